"""Stacked MNIST benchmark (1,000 modes): each remedy with the same DCGAN-style networks, steps and seeds.

    python training/train_mnist_classifier.py                # once: the mode-counting classifier
    python bench/stacked_mnist.py --threads 1                # the setting of BENCHMARKS.md
    python bench/stacked_mnist.py --quick --out /tmp/sm      # seconds; what the tests run

Methods (all :class:`zoo.lab.stacked_mnist.StackedMNISTGAN`, the same G, D, optimizer, batch, steps):

* ``gan``: the plain DCGAN (base ``train_step``, ``lambda_ms = 0``);
* ``ms``: + the mode seeking term on pairs of z (``--lambda-ms``, default 1);
* ``pacgan2``: D scores pairs of images concatenated along the channels (PacDCGAN2);
* ``mbd``: + minibatch discrimination before D's logit;
* ``unrolled5``: G trained through 5 unrolled Adam steps of D (second-order term included).

Evaluation as VEEGAN and PacGAN: 26,000 samples per trained generator (``--samples``), each
channel labelled by the classifier of ``training/train_mnist_classifier.py``, mode = the digit
triple; modes captured and ``KL(mode histogram || uniform)``. The same count on 26,000 *real*
stacked digits of the GAN part is reported as the ceiling the classifier allows. Writes
``stacked_mnist.json``, ``stacked_mnist.md`` and one PNG sample grid per method (and one of the
real data) into ``--out``; partial results are written after every run.
"""
import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from zoo.lab.reports import json_safe  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

METHODS = {
    "gan": {},
    "ms": {"lambda_ms": 1.0},
    "pacgan2": {"pack": 2},
    "mbd": {"minibatch_discrimination": True},
    "unrolled5": {"unroll_steps": 5},
}

# Modes captured / reverse KL, as quoted in the issue. VEEGAN: Srivastava et al., NeurIPS 2017,
# table 2 (D of 1/4 G's size, 26,000 samples); PacGAN: Lin et al., NeurIPS 2018, table 3.
PUBLISHED = [("DCGAN (VEEGAN paper)", 99, 3.4), ("Unrolled GAN (VEEGAN paper)", 48.7, 4.32),
             ("VEEGAN", 150, 2.95), ("PacDCGAN2 (PacGAN paper)", 1000, 0.06)]

DEFAULTS = {"steps": 2000, "seeds": 1, "batch_size": 32, "samples": 26000}
# --setting pacgan: the PacGAN paper's Stacked MNIST setting (fjxmlzn/PacGAN,
# stacked_MNIST_experiments/VEEGAN_experiment: config.py and model.py): its DCGAN with
# gf_dim = df_dim = 64, batch 64, Adam 2e-4 (beta_1 0.5), two G updates per D update,
# 50 epochs of 128,000 stacked images = 100,000 steps. Flags given explicitly still win.
SETTINGS = {
    "small": {},
    "pacgan": {"architecture": "pacgan", "g_width": 64, "d_width": 64, "batch_size": 64,
               "generator_steps": 2, "steps": 100_000, "learning_rate": 2e-4},
}
QUICK = {"steps": 4, "seeds": 1, "batch_size": 16, "samples": 300, "jit": ""}
GRID_SIDE = 8


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--setting", default="small", choices=sorted(SETTINGS),
                        help="defaults for the flags below: 'small' (this repo's CPU setting) or 'pacgan' "
                        "(the PacGAN paper's networks and training length)")
    parser.add_argument("--architecture", default="small", choices=("small", "pacgan"),
                        help="networks (zoo.lab.stacked_mnist.StackedMNISTConfig.architecture)")
    parser.add_argument("--generator-steps", type=int, default=1, help="G updates per D update")
    parser.add_argument("--methods", default=",".join(METHODS), help=f"comma-separated from {', '.join(METHODS)}")
    parser.add_argument("--seeds", type=int, default=DEFAULTS["seeds"], help="seeds 0..N-1 per method")
    parser.add_argument("--steps", type=int, default=DEFAULTS["steps"], help="training steps per run")
    parser.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"])
    parser.add_argument("--samples", type=int, default=DEFAULTS["samples"], help="generated samples per run")
    parser.add_argument("--learning-rate", type=float, default=2e-4, help="Adam (beta_1 0.5), both nets")
    parser.add_argument("--lr-final-fraction", type=float, default=1.0,
                        help="cosine-decay both learning rates to this fraction (1 = constant)")
    parser.add_argument("--lambda-ms", type=float, default=1.0, help="weight of the MS term for 'ms'")
    parser.add_argument("--g-width", type=int, default=32, help="G width g (D is --d-width)")
    parser.add_argument("--d-width", type=int, default=8, help="D width; g / 4 is the small-D setting")
    parser.add_argument("--mnist-dir", default=str(ROOT.parent / "shared" / "data" / "mnist"),
                        help="folder with t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz")
    parser.add_argument("--split-seed", type=int, default=0, help="seed of the classifier/GAN split")
    parser.add_argument("--classifier", default=str(ROOT / "saved_models" / "mnist_classifier" / "model.keras"),
                        help="Keras digit classifier (training/train_mnist_classifier.py)")
    parser.add_argument("--jit", default="unrolled5",
                        help="comma-separated methods trained with XLA (jit_compile); '' for none")
    parser.add_argument("--threads", type=int, default=0, help="TF intra/inter-op threads (0 = TF default)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "stacked_mnist"), help="output folder")
    parser.add_argument("--quick", action="store_true", help="tiny setting for the tests (seconds)")
    parser.add_argument("--verbose", type=int, default=1, help="1: a progress bar over runs")
    setting, _ = parser.parse_known_args(argv)
    parser.set_defaults(**SETTINGS[setting.setting])
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.seeds, args.batch_size = QUICK["steps"], QUICK["seeds"], QUICK["batch_size"]
        args.samples, args.jit = QUICK["samples"], QUICK["jit"]
    args.methods = [m for m in args.methods.split(",") if m]
    args.jit = [m for m in args.jit.split(",") if m]
    unknown = [m for m in args.methods + args.jit if m not in METHODS]
    if unknown:
        parser.error(f"unknown method(s) {unknown}; known: {', '.join(METHODS)}")
    if args.seeds < 1 or args.steps < 2 or args.samples < 1:
        parser.error("--seeds and --samples must be >= 1 and --steps >= 2")
    if args.generator_steps < 1 or args.g_width < 1 or args.d_width < 1:
        parser.error("--generator-steps, --g-width and --d-width must be >= 1")
    if not 0 < args.lr_final_fraction <= 1:
        parser.error(f"--lr-final-fraction must be in (0, 1], got {args.lr_final_fraction}")
    if not Path(args.classifier).is_file():
        parser.error(f"classifier not found: {args.classifier} (train it with python training/train_mnist_classifier.py)")
    return args, parser


def method_config(method, seed, args):
    from zoo.lab.stacked_mnist import StackedMNISTConfig

    changes = dict(METHODS[method])
    if method == "ms":
        changes["lambda_ms"] = args.lambda_ms
    try:
        return StackedMNISTConfig(name=f"{method}_stacked_mnist", seed=seed, steps=args.steps,
                                  batch_size=args.batch_size, learning_rate=args.learning_rate,
                                  lr_final_fraction=args.lr_final_fraction,
                                  architecture=args.architecture, generator_steps=args.generator_steps,
                                  g_width=args.g_width, d_width=args.d_width, **changes)
    except ValueError as error:  # e.g. a batch size that is not a multiple of the pack
        raise SystemExit(f"stacked_mnist.py: error: {method}: {error}") from None


def count_modes(images, args):
    """Classify every channel of ``images`` and evaluate the mode histogram."""
    import keras

    from zoo.lab.stacked_mnist import classify_channels, evaluate_stacked_modes, mode_ids

    classifier = keras.saving.load_model(args.classifier)
    return evaluate_stacked_modes(mode_ids(classify_channels(classifier, images)))


def run_all(args, gan_images, on_run=None):
    """Train and evaluate every (seed, method); returns ``(runs, grids)``.

    Seeds are the outer loop so that a stopped run still leaves whole seeds for every method;
    ``on_run(runs, grids)`` is called after each run (partial results).
    """
    import keras

    from zoo.lab.harness import train_stacked_mnist

    runs, grids = [], {}
    progress = keras.utils.Progbar(len(args.methods) * args.seeds, unit_name="run") if args.verbose else None
    for seed in range(args.seeds):
        for method in args.methods:
            config = method_config(method, seed, args)
            gan, info = train_stacked_mnist(config, gan_images, jit_compile=method in args.jit)
            samples = gan.sample(args.samples, seed=10_000 + seed)
            result = count_modes(samples, args)
            runs.append({"method": method, "seed": seed, **result, "xla": method in args.jit,
                         "seconds_per_step": info["seconds_per_step"], "wall_seconds": info["wall_seconds"],
                         "final_d_loss": info["history"].get("d_loss", [math.nan])[-1],
                         "final_g_loss": info["history"].get("g_loss", [math.nan])[-1]})
            if seed == 0:
                grids[method] = samples[:GRID_SIDE ** 2]
            if progress:
                progress.add(1, values=[("modes", result["modes_captured"]), ("kl", result["reverse_kl"])])
            if on_run is not None:
                on_run(runs, grids)
            keras.backend.clear_session()
    return runs, grids


def summarize(runs, methods):
    """Mean and std over seeds per method; step time relative to ``gan`` of the same seed."""
    rows = []
    base = {r["seed"]: r["seconds_per_step"] for r in runs if r["method"] == "gan"}
    for method in methods:
        group = [r for r in runs if r["method"] == method]
        if not group:
            continue
        relative = [r["seconds_per_step"] / base[r["seed"]] for r in group if r["seed"] in base]
        rows.append({
            "method": method, "seeds": len(group), "xla": group[0]["xla"],
            "modes_mean": float(np.mean([r["modes_captured"] for r in group])),
            "modes_std": float(np.std([r["modes_captured"] for r in group])),
            "reverse_kl_mean": float(np.mean([r["reverse_kl"] for r in group])),
            "reverse_kl_std": float(np.std([r["reverse_kl"] for r in group])),
            "ms_per_step": 1000 * float(np.mean([r["seconds_per_step"] for r in group])),
            "relative_step_time": float(np.mean(relative)) if relative else math.nan,
        })
    return rows


def markdown(rows, real, args, classifier_card, machine, wall):
    accuracy = classifier_card.get("held_out_accuracy")
    accuracy_text = f"{accuracy:.4f}" if accuracy is not None else "unknown (no metrics.json beside the classifier)"
    lines = [
        f"Setting: {args.steps} steps, batch {args.batch_size}, Adam {args.learning_rate:g} (beta_1 0.5)"
        + (f" cosine-decayed to {args.lr_final_fraction:g}x" if args.lr_final_fraction != 1 else "") + ", "
        f"seeds 0..{args.seeds - 1}; the same G (nz 100, width {args.g_width}) and D (width {args.d_width}, "
        + ("no batch norm" if getattr(args, "architecture", "small") == "small" else "batch norm")
        + f") for every method, {getattr(args, 'architecture', 'small')} architecture, "
        f"{getattr(args, 'generator_steps', 1)} G update(s) per D update; {args.samples} samples per run, each channel labelled by "
        f"`{Path(args.classifier).name}` (held-out digit accuracy {accuracy_text}); MNIST test set split "
        f"with seed {args.split_seed}, the GAN stacks only its half.",
        f"Machine: {machine}. TF threads: {args.threads or 'default'}. Total wall time {wall / 60:.1f} min.",
        "",
        "| method | modes (of 1000) | reverse KL | ms / step | step time vs GAN |",
        "|---|---|---|---|---|",
        f"| real stacked digits ({real['num_samples']}, the classifier's ceiling) | {real['modes_captured']} "
        f"| {real['reverse_kl']:.3f} | – | – |",
    ]
    for r in rows:
        xla = " (XLA)" if r["xla"] else ""
        relative = "–" if math.isnan(r["relative_step_time"]) else f"{r['relative_step_time']:.2f}×"
        lines.append(
            f"| {r['method']} | {r['modes_mean']:.1f} ± {r['modes_std']:.1f} | {r['reverse_kl_mean']:.3f} "
            f"± {r['reverse_kl_std']:.3f} | {r['ms_per_step']:.0f}{xla} | {relative} |")
    lines += ["", "Published (modes / KL, their networks and training lengths): "
              + "; ".join(f"{name} {m} / {kl}" for name, m, kl in PUBLISHED) + "."]
    return "\n".join(lines) + "\n"


def save_grid(images, path, side=GRID_SIDE):
    """A ``side x side`` PNG of stacked images ``(<= side^2, 28, 28, 3)`` in [-1, 1] (RGB = 3 digits)."""
    from PIL import Image

    images = np.asarray(images[:side * side], np.float32)
    canvas = np.full((side * 30, side * 30, 3), 255, np.uint8)
    for i, image in enumerate(images):
        row, col = divmod(i, side)
        pixels = np.clip((image + 1.0) * 127.5, 0, 255).round().astype(np.uint8)
        canvas[row * 30 + 1:row * 30 + 29, col * 30 + 1:col * 30 + 29] = pixels
    Image.fromarray(canvas).save(path)
    return Path(path)


def write_outputs(out, args, runs, grids, real, classifier_card, machine, wall, command):
    """Write the JSON, the Markdown table and the sample grids for the runs finished so far."""
    from zoo.machine import describe_machine

    rows = summarize(runs, args.methods)
    total = len(args.methods) * args.seeds
    setting = {k: v for k, v in vars(args).items() if k != "out"}
    report = {"command": command, "machine": describe_machine(), "machine_line": machine,
              "wall_seconds": wall, "runs_finished": len(runs), "runs_planned": total,
              "setting": setting, "classifier": classifier_card, "real_stacked": real,
              "summary": rows, "runs": runs, "published": PUBLISHED}
    (out / "stacked_mnist.json").write_text(json.dumps(json_safe(report), indent=2) + "\n")
    table = markdown(rows, real, args, classifier_card, machine, wall)
    if len(runs) < total:
        table = f"**Partial: {len(runs)} of {total} runs finished.**\n\n" + table
    (out / "stacked_mnist.md").write_text(f"Command: `{command}`\n\n" + table)
    for method, images in grids.items():
        save_grid(images, out / f"stacked_mnist_{method}.png")
    return report, table


def set_threads(threads):
    """Pin TF's thread pools (must run before TF's first op; ignored with a note afterwards)."""
    if not threads:
        return
    from zoo.machine import set_threads as set_tf_threads

    if not set_tf_threads(threads, inter_op=True):
        print(f"note: TF already initialised, --threads {threads} ignored", file=sys.stderr)


def main(argv=None):
    args, parser = parse_args(argv)
    for method in args.methods:  # every config is checked before any training starts
        method_config(method, 0, args)
    set_threads(args.threads)
    from zoo.machine import machine_line
    from zoo.lab.mnist_files import load_mnist
    from zoo.lab.stacked_mnist import split_mnist, stack_digits

    try:
        images, labels = load_mnist(args.mnist_dir)
    except (FileNotFoundError, ValueError) as error:
        parser.error(str(error))
    gan_images, gan_labels = split_mnist(images, labels, seed=args.split_seed)["gan"]
    metrics_file = Path(args.classifier).with_name("metrics.json")
    classifier_card = json.loads(metrics_file.read_text()) if metrics_file.is_file() else {}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    machine = machine_line()
    command = ("python bench/stacked_mnist.py " + " ".join(argv if argv is not None else sys.argv[1:])).strip()
    start = time.perf_counter()

    real_images, _ = stack_digits(gan_images, gan_labels, args.samples, seed=20_000)
    real = count_modes(real_images, args)
    save_grid(real_images, out / "stacked_mnist_real.png")

    def on_run(runs, grids):
        write_outputs(out, args, runs, grids, real, classifier_card, machine, time.perf_counter() - start, command)

    runs, grids = run_all(args, gan_images, on_run=on_run)
    report, table = write_outputs(out, args, runs, grids, real, classifier_card, machine,
                                  time.perf_counter() - start, command)
    print(table)
    print(f"wrote {out / 'stacked_mnist.json'}, {out / 'stacked_mnist.md'} and the sample grids")
    return report


if __name__ == "__main__":
    main()
