"""Mode-collapse benchmark: each remedy x each 2-D mixture x several seeds, same networks and steps.

    python bench/mode_collapse.py                 # the default setting (see --help)
    python bench/mode_collapse.py --quick --out /tmp/mc   # seconds; what the tests run

Methods (all :class:`zoo.lab.gan2d.GAN2D` with the same G, D, optimizer, batch and steps):

* ``gan``: the plain GAN (the base ``train_step`` with ``lambda_ms = 0``);
* ``ms``: + the mode seeking term on pairs of z (``lambda_ms``, default 1);
* ``mbd``: + minibatch discrimination before D's logit;
* ``unrolled5``: G trained through 5 unrolled Adam steps of D (second-order term included);
* ``pacgan4``: D scores packs of 4 samples.

Evaluation as VEEGAN and PacGAN: 2,500 samples from each trained generator, high quality within
3 std of the nearest mode, a mode captured if it is the nearest mode of one high-quality sample,
plus the reverse KL of the mode histogram to uniform. Writes ``mode_collapse.json``,
``mode_collapse.md`` and ``mode_collapse.png`` (one scatter panel per method and dataset, its
lowest seed, true modes marked) into ``--out``, after every run. ``--resume`` continues a stopped
run in the same ``--out`` with the same setting: finished (seed, dataset, method) runs are read
back from ``mode_collapse.json`` (and the figure's samples from ``mode_collapse_samples.npz``)
and only the rest are trained.
"""
import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from zoo.machine import describe_machine, machine_line  # noqa: E402
from zoo.lab.gan2d import GAN2DConfig  # noqa: E402
from zoo.lab.harness import train_gan2d  # noqa: E402
from zoo.lab.reports import json_safe  # noqa: E402
from zoo.lab.toy import EVAL_SAMPLES, evaluate_modes, get_mixture  # noqa: E402

METHODS = {
    "gan": {},
    "ms": {"lambda_ms": 1.0},
    "mbd": {"minibatch_discrimination": True},
    "unrolled5": {"unroll_steps": 5},
    "pacgan4": {"pack": 4},
}

# Modes captured / % high quality under the same evaluation rule, as quoted in the issue.
# VEEGAN: Srivastava et al., NeurIPS 2017, table 1 (their networks, 2,500 samples).
# PacGAN: Lin et al., NeurIPS 2018, table 2 (its own setup, mean over 10 trials).
PUBLISHED = {
    "ring8": [("GAN (VEEGAN paper)", 1, 99.3), ("Unrolled GAN k=5 (VEEGAN paper)", 7.6, 35.6),
              ("VEEGAN", 8, 52.9), ("GAN (PacGAN paper)", 6.3, 98.2), ("PacGAN4", 7.8, 95.9)],
    "grid25": [("GAN (VEEGAN paper)", 3.3, 0.5), ("Unrolled GAN (VEEGAN paper)", 23.6, 16.0),
               ("VEEGAN", 24.6, 40.0), ("PacGAN4", 24.8, 93.6)],
}

# --setting pacgan: the PacGAN paper's 2-D setting (fjxmlzn/PacGAN, synthetic_data_experiments,
# 2DGrid_GAN&PacGAN/config.py and pacgan_task.py; the ring's config is the same): z 2-D N(0, 1),
# G 4 x 400 (no bias, batch norm, ReLU), D 3 x 200 maxout with 5 pieces, weights N(0, 0.02),
# Adam 1e-4 with beta_1 0.8, batch 100, 400 epochs of 100,000 samples = 400,000 steps.
# Flags given explicitly still win.
SETTINGS = {
    "small": {},
    "pacgan": {"nz": 2, "g_hidden": "400,400,400,400", "d_hidden": "200,200,200", "g_batch_norm": True,
               "d_maxout_pieces": 5, "init": "normal", "learning_rate": 1e-4, "beta1": 0.8, "batch_size": 100,
               "steps": 400_000},
}

QUICK = {"steps": 40, "seeds": 1, "batch_size": 64, "methods": ["gan", "ms", "mbd", "unrolled5", "pacgan4"]}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--setting", default="small", choices=sorted(SETTINGS),
                        help="defaults for the flags below: 'small' (the unrolled-GAN paper's networks, this "
                        "repo's CPU setting) or 'pacgan' (the PacGAN paper's networks, optimizer and length)")
    parser.add_argument("--datasets", default="ring8,grid25", help="comma-separated: ring8, grid25")
    parser.add_argument("--methods", default=",".join(METHODS), help=f"comma-separated from {', '.join(METHODS)}")
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 per method and dataset")
    parser.add_argument("--steps", type=int, default=2000, help="training steps per run")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=1e-3, help="Adam, both nets")
    parser.add_argument("--beta1", type=float, default=0.5, help="Adam beta_1, both nets")
    parser.add_argument("--lr-final-fraction", type=float, default=1.0,
                        help="cosine-decay both learning rates to this fraction (1 = constant)")
    parser.add_argument("--lambda-ms", type=float, default=1.0, help="weight of the MS term for 'ms'")
    parser.add_argument("--nz", type=int, default=256, help="noise length")
    parser.add_argument("--g-batch-norm", action=argparse.BooleanOptionalAction, default=False,
                        help="batch norm after each hidden layer of G (PacGAN's G)")
    parser.add_argument("--d-maxout-pieces", type=int, default=1,
                        help="maxout pieces per hidden unit of D (PacGAN: 5; 1 = ReLU units)")
    parser.add_argument("--init", default="orthogonal", choices=("orthogonal", "normal"),
                        help="weights: orthogonal (gain 0.8, unrolled-GAN paper) or N(0, 0.02) (PacGAN)")
    parser.add_argument("--g-hidden", default="128,128", help="generator hidden widths, comma-separated "
                        "(VEEGAN/PacGAN used 400,400,400,400)")
    parser.add_argument("--d-hidden", default="128", help="discriminator hidden widths (VEEGAN/PacGAN: 200,200,200)")
    parser.add_argument("--out", default="bench/results/mode_collapse", help="output folder")
    parser.add_argument("--quick", action="store_true", help="tiny setting for the tests (seconds)")
    parser.add_argument("--verbose", type=int, default=1, help="1: a progress bar over runs")
    parser.add_argument("--resume", action="store_true",
                        help="keep the finished runs of the same setting in --out and train only the rest")
    parser.add_argument("--threads", type=int, default=0,
                        help="TF intra/inter-op threads (0 = TF default; 1 lets a run share the CPU with a training)")
    setting, _ = parser.parse_known_args(argv)
    parser.set_defaults(**SETTINGS[setting.setting])
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.seeds, args.batch_size = QUICK["steps"], QUICK["seeds"], QUICK["batch_size"]
    args.datasets = [d for d in args.datasets.split(",") if d]
    args.methods = [m for m in args.methods.split(",") if m]
    for name in args.datasets:
        try:
            get_mixture(name)
        except ValueError as error:
            parser.error(str(error))
    unknown = [m for m in args.methods if m not in METHODS]
    if unknown:
        parser.error(f"unknown method(s) {unknown}; known: {', '.join(METHODS)}")
    if args.threads < 0:
        parser.error(f"--threads must be >= 0, got {args.threads}")
    if args.nz < 1 or args.d_maxout_pieces < 1:
        parser.error(f"--nz and --d-maxout-pieces must be >= 1, got {args.nz} and {args.d_maxout_pieces}")
    if args.seeds < 1 or args.steps < 2:
        parser.error("--seeds must be >= 1 and --steps >= 2")
    for flag in ("g_hidden", "d_hidden"):
        try:
            widths = tuple(int(w) for w in getattr(args, flag).split(",") if w.strip())
        except ValueError:
            widths = ()
        if not widths or min(widths) < 1:
            parser.error(f"--{flag.replace('_', '-')} must be comma-separated positive widths, got {getattr(args, flag)!r}")
        setattr(args, flag, widths)
    return args


def method_config(method, dataset, seed, args):
    changes = dict(METHODS[method])
    if method == "ms":
        changes["lambda_ms"] = args.lambda_ms
    try:
        return GAN2DConfig(name=f"{method}_{dataset}", dataset=dataset, seed=seed, steps=args.steps,
                           batch_size=args.batch_size, learning_rate=args.learning_rate, beta_1=args.beta1,
                           lr_final_fraction=args.lr_final_fraction, g_hidden=args.g_hidden,
                           d_hidden=args.d_hidden, nz=args.nz, g_batch_norm=args.g_batch_norm,
                           d_maxout_pieces=args.d_maxout_pieces, init=args.init, **changes)
    except ValueError as error:  # e.g. a batch size that is not a multiple of the pack
        raise SystemExit(f"mode_collapse.py: error: {method} on {dataset}: {error}") from None


def run_all(args, on_run=None, finished=(), figure_samples=None):
    """Train and evaluate every (seed, dataset, method); returns ``(runs, samples_for_figure)``.

    Seeds are the outer loop so that a stopped run still leaves whole seeds for every method;
    ``on_run(runs, samples_for_figure)`` is called after each run (partial results). Runs in
    ``finished`` (records of an earlier, stopped invocation) are kept and not trained again;
    ``samples_for_figure`` maps ``(dataset, method)`` to ``(seed, samples)`` of the lowest seed run.
    """
    runs, samples_for_figure = list(finished), dict(figure_samples or {})
    done = {(r["seed"], r["dataset"], r["method"]) for r in runs}
    total = len(args.datasets) * len(args.methods) * args.seeds
    progress = keras.utils.Progbar(total, unit_name="run") if args.verbose else None
    for seed in range(args.seeds):
        for dataset in args.datasets:
            mixture = get_mixture(dataset)
            for method in args.methods:
                if (seed, dataset, method) in done:
                    if progress:
                        progress.add(1)
                    continue
                config = method_config(method, dataset, seed, args)
                gan, info = train_gan2d(config, mixture, steps_per_execution=min(25, args.steps // 2))
                samples = gan.sample(EVAL_SAMPLES, seed=10_000 + seed)
                result = evaluate_modes(samples, mixture)
                runs.append({"dataset": dataset, "method": method, "seed": seed, **result,
                             "seconds_per_step": info["seconds_per_step"],
                             "wall_seconds": info["wall_seconds"],
                             "final_d_loss": info["history"].get("d_loss", [math.nan])[-1],
                             "final_g_loss": info["history"].get("g_loss", [math.nan])[-1]})
                if seed < samples_for_figure.get((dataset, method), (math.inf,))[0]:
                    samples_for_figure[(dataset, method)] = (seed, samples)
                if progress:
                    progress.add(1, values=[("modes", result["modes_captured"]),
                                            ("hq", result["high_quality"])])
                if on_run is not None:
                    on_run(runs, samples_for_figure)
                keras.backend.clear_session()
    return runs, samples_for_figure


# Settings that must match for --resume to reuse finished runs (not --out, --verbose, --threads).
_RESUME_KEYS = ("datasets", "methods", "seeds", "steps", "batch_size", "learning_rate", "beta1", "lr_final_fraction",
                "lambda_ms", "nz", "g_hidden", "d_hidden", "g_batch_norm", "d_maxout_pieces", "init", "quick")


def load_finished(out, args):
    """``(runs, samples_for_figure, wall_seconds)`` of an earlier invocation in ``out`` for --resume.

    Raises:
        ValueError: no earlier results in ``out``, or they were made with another setting.
    """
    path = out / "mode_collapse.json"
    if not path.is_file():
        raise ValueError(f"--resume: no earlier results in {out} (missing {path.name})")
    try:
        report = json.loads(path.read_text())
        report["runs"]
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"--resume: {path} is not a results file of this benchmark ({error})") from None
    # A key missing from an older file had its default then (the flag did not exist yet).
    defaults = json.loads(json.dumps({k: v for k, v in vars(parse_args([])).items() if k in _RESUME_KEYS}))
    before = {**defaults, **report.get("setting", {})}
    now = json.loads(json.dumps({k: v for k, v in vars(args).items() if k in _RESUME_KEYS}))
    changed = [k for k in _RESUME_KEYS if now.get(k) != before.get(k)]
    if changed:
        raise ValueError(f"--resume: {path} was made with another setting ({', '.join(changed)} differ)")
    # json_safe wrote inf/nan as null: read them back (an infinite KL is a run that hit no mode).
    runs = [{k: (math.inf if k == "reverse_kl" else math.nan) if v is None else v for k, v in r.items()}
            for r in report["runs"]]
    samples = {}
    npz = out / "mode_collapse_samples.npz"
    if npz.is_file():
        with np.load(npz) as data:
            for key in data.files:
                dataset, method, seed = key.split("/")
                samples[(dataset, method)] = (int(seed), data[key])
    return runs, samples, float(report.get("wall_seconds", 0.0))


def summarize(runs, datasets, methods):
    """Mean and std over seeds per (dataset, method); step time relative to ``gan``, same seed."""
    rows = []
    for dataset in datasets:
        base = {r["seed"]: r["seconds_per_step"] for r in runs if r["dataset"] == dataset and r["method"] == "gan"}
        for method in methods:
            group = [r for r in runs if r["dataset"] == dataset and r["method"] == method]
            if not group:
                continue
            relative = [r["seconds_per_step"] / base[r["seed"]] for r in group if r["seed"] in base]
            kl = np.array([r["reverse_kl"] for r in group], dtype=np.float64)
            rows.append({
                "dataset": dataset, "method": method, "seeds": len(group),
                "num_modes": group[0]["num_modes"],
                "modes_mean": float(np.mean([r["modes_captured"] for r in group])),
                "modes_std": float(np.std([r["modes_captured"] for r in group])),
                "high_quality_pct_mean": 100 * float(np.mean([r["high_quality"] for r in group])),
                "high_quality_pct_std": 100 * float(np.std([r["high_quality"] for r in group])),
                "reverse_kl_mean": float(np.mean(kl)) if np.all(np.isfinite(kl)) else math.inf,
                "runs_without_any_mode": int(np.sum(~np.isfinite(kl))),
                "ms_per_step": 1000 * float(np.mean([r["seconds_per_step"] for r in group])),
                "relative_step_time": float(np.mean(relative)) if relative else math.nan,
            })
    return rows


def markdown(rows, args, machine, wall):
    lines = [
        f"Setting: {args.steps} steps, batch {args.batch_size}, Adam {args.learning_rate:g} "
        f"(beta_1 {getattr(args, 'beta1', 0.5):g})"
        + (f" cosine-decayed to {args.lr_final_fraction:g}x" if args.lr_final_fraction != 1 else "") + ", "
        f"seeds 0..{args.seeds - 1}, same G (nz {getattr(args, 'nz', 256)}, {'-'.join(map(str, args.g_hidden))}"
        + (", batch norm" if getattr(args, "g_batch_norm", False) else "") + ") and "
        f"D ({'-'.join(map(str, args.d_hidden))}"
        + (f", maxout x{args.d_maxout_pieces}" if getattr(args, "d_maxout_pieces", 1) > 1 else "")
        + f"), {getattr(args, 'init', 'orthogonal')} init, for every method; "
        f"{EVAL_SAMPLES} samples per run, high quality = within 3 std of the nearest mode.",
        f"Machine: {machine}. TF threads: {getattr(args, 'threads', 0) or 'default'}. Total wall time {wall / 60:.1f} min.",
        "",
        "| dataset | method | modes (mean ± std) | % high quality | reverse KL | ms / step | step time vs GAN |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        kl = "inf" if math.isinf(r["reverse_kl_mean"]) else f"{r['reverse_kl_mean']:.3f}"
        if r["runs_without_any_mode"]:
            kl += f" ({r['runs_without_any_mode']} run(s) hit no mode)"
        relative = "n/a (no gan run)" if math.isnan(r["relative_step_time"]) else f"{r['relative_step_time']:.2f}×"
        lines.append(
            f"| {r['dataset']} | {r['method']} | {r['modes_mean']:.1f} ± {r['modes_std']:.1f} / {r['num_modes']} "
            f"| {r['high_quality_pct_mean']:.1f} ± {r['high_quality_pct_std']:.1f} | {kl} "
            f"| {r['ms_per_step']:.1f} | {relative} |")
    lines += ["", "Published (modes / % high quality, their networks and training lengths):", ""]
    for dataset in args.datasets:
        lines.append(f"- {dataset}: " + "; ".join(f"{name} {m} / {hq}" for name, m, hq in PUBLISHED.get(dataset, [])))
    return "\n".join(lines) + "\n"


def draw_figure(samples_for_figure, datasets, methods, path, panel=220):
    """One scatter panel per (dataset row, method column); true modes as red circles.

    ``samples_for_figure`` maps ``(dataset, method)`` to ``(seed, (N, 2) samples)``.
    """
    from PIL import Image, ImageDraw

    label_h = 16
    image = Image.new("RGB", (panel * len(methods), (panel + label_h) * len(datasets)), "white")
    draw = ImageDraw.Draw(image)
    for row, dataset in enumerate(datasets):
        mixture = get_mixture(dataset)
        extent = float(np.abs(mixture.means).max()) * 1.5

        def to_pixel(points, col):
            xy = (np.asarray(points, np.float64) / extent + 1) / 2 * (panel - 1)
            return xy[:, 0] + col * panel, (panel - 1 - xy[:, 1]) + row * (panel + label_h) + label_h

        for col, method in enumerate(methods):
            draw.rectangle([col * panel, row * (panel + label_h) + label_h,
                            (col + 1) * panel - 1, (row + 1) * (panel + label_h) - 1], outline="gray")
            seed, points = samples_for_figure.get((dataset, method), (None, None))
            label = f"{method} / {dataset}" + ("" if seed is None else f" / seed {seed}")
            draw.text((col * panel + 4, row * (panel + label_h) + 2), label, fill="black")
            if points is not None:
                inside = np.all(np.abs(points) < extent, axis=1)
                xs, ys = to_pixel(points[inside], col)
                for x, y in zip(xs, ys):
                    draw.point((float(x), float(y)), fill=(30, 80, 200))
            mx, my = to_pixel(mixture.means, col)
            radius = max(2.0, 3 * mixture.std / extent / 2 * panel)
            for x, y in zip(mx, my):
                draw.ellipse([x - radius, y - radius, x + radius, y + radius], outline="red")
    path = Path(path)
    image.save(path)
    return path


def write_outputs(out, args, runs, samples_for_figure, machine, wall, command):
    """Write the JSON, the Markdown table and the figure for the runs finished so far."""
    rows = summarize(runs, args.datasets, args.methods)
    total = len(args.datasets) * len(args.methods) * args.seeds
    report = {"command": command, "machine": describe_machine(), "machine_line": machine,
              "wall_seconds": wall, "runs_finished": len(runs), "runs_planned": total,
              "setting": {k: v for k, v in vars(args).items() if k != "out"},
              "summary": rows, "runs": runs, "published": PUBLISHED}
    (out / "mode_collapse.json").write_text(json.dumps(json_safe(report), indent=2) + "\n")
    table = markdown(rows, args, machine, wall)
    if len(runs) < total:
        table = f"**Partial: {len(runs)} of {total} runs finished.**\n\n" + table
    (out / "mode_collapse.md").write_text(f"Command: `{command}`\n\n" + table)
    draw_figure(samples_for_figure, args.datasets, args.methods, out / "mode_collapse.png")
    np.savez(out / "mode_collapse_samples.npz",
             **{f"{d}/{m}/{seed}": points for (d, m), (seed, points) in samples_for_figure.items()})
    return report, table


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        from zoo.machine import set_threads

        if not set_threads(args.threads, inter_op=True):
            print(f"note: TF already initialised, --threads {args.threads} ignored", file=sys.stderr)
    for dataset in args.datasets:  # every config is checked before any training starts
        for method in args.methods:
            method_config(method, dataset, 0, args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    machine = machine_line()
    command = ("python bench/mode_collapse.py " + " ".join(argv if argv is not None else sys.argv[1:])).strip()
    finished, figure_samples, wall_before = [], {}, 0.0
    if args.resume:
        try:
            finished, figure_samples, wall_before = load_finished(out, args)
        except ValueError as error:
            print(f"mode_collapse.py: error: {error}", file=sys.stderr)
            raise SystemExit(2)
        print(f"resuming: {len(finished)} finished run(s) kept from {out / 'mode_collapse.json'}", file=sys.stderr)
    start = time.perf_counter() - wall_before

    def on_run(runs, samples_for_figure):
        write_outputs(out, args, runs, samples_for_figure, machine, time.perf_counter() - start, command)

    runs, samples_for_figure = run_all(args, on_run=on_run, finished=finished, figure_samples=figure_samples)
    report, table = write_outputs(out, args, runs, samples_for_figure, machine, time.perf_counter() - start, command)
    print(table)
    print(f"wrote {out / 'mode_collapse.json'}, {out / 'mode_collapse.md'}, {out / 'mode_collapse.png'}")
    return report


if __name__ == "__main__":
    main()
