"""Time one training step of a zoo model (not a test).

    python bench/train_step.py --model msgan_pix2pix_maps --size 256 --steps 10
    python bench/train_step.py --model msgan_pix2pix_maps --size 128 --steps 10 --lambda-ms 0
    python bench/train_step.py --model msgan_dcgan_cifar10 --steps 10

Builds the model's registered config (paper architecture: U-Net with z at every block, ngf 64,
two PatchGANs; for DCGAN the official CIFAR-10 network, batch 32) at ``--size``, compiles its ``train_step`` once in a ``tf.function`` (the same
way ``fit`` does), runs ``--warmup`` untimed steps on a fixed random batch, then ``--steps``
timed ones, and prints one JSON line: ``step_s`` (median), ``step_s_mean``,
``images_per_s`` (generated images per second: 2 per condition for Pix2Pix+MS, 3 for
BicycleGAN and DCGAN+MS), ``lambda_ms``, the training path (``mixed_precision``,
``jit_compile`` and ``path_reason``) and the machine.

``--mixed-precision`` and ``--jit-compile`` are ``training/fit.py``'s flags with the same
``auto`` default (``zoo.training.fastpath``): the benchmark times the path a training run would
take. The dtype policy is set before the model is built.

``--compare float32,float32+xla,mixed_bfloat16,mixed_bfloat16+xla --rounds 2`` builds one model
per path in one process (each under its own policy) and times them in interleaved rounds, order
rotated each round; ``--official PYTHON`` adds ``bench/torch_dcgan_step.py --serve`` (run by that
interpreter, e.g. a venv with PyTorch, kept alive between rounds) to every round. On a loaded
machine use short rounds (``--steps 1 --rounds 15``): each round's paths then meet the same load. The last line then summarizes images/s
per round and the ratios to float32 and to the official step *of the same round*, and the same
median of the per-round ratios (``x_float32_median``) and the ratios of the best single step
of all rounds (``x_float32_best``): on a shared machine only such
ratios mean something, and the best step is the least contended one.

The official PyTorch Pix2Pix+MS step (batch 1, float32, 2 threads) took 2.44 s at 256 and
1.04 s at 128 on the AVX2 machine, 1.67 s and 0.70 s on the AVX-512 one; the official
DCGAN+MS CIFAR-10 step (batch 32) took 0.78 s on the AVX-512 one (see NOTES).
"""
import argparse
import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from zoo.training.fastpath import AUTO, JIT_CHOICES, PRECISIONS, choose_path  # noqa: E402

GENERATED_PER_CONDITION = {"pix2pix": 2, "bicyclegan": 3, "dcgan": 2}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python bench/train_step.py", description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="msgan_pix2pix_maps", help="zoo name of a DCGAN, Pix2Pix or BicycleGAN model")
    parser.add_argument("--size", type=int, help="image size (default: 256 for image models, the config's for DCGAN)")
    parser.add_argument("--steps", type=int, default=10, help="timed steps")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps (tracing, allocator warm-up)")
    parser.add_argument("--batch-size", type=int, help="default: the model's config (1 for Pix2Pix, 32 for DCGAN)")
    parser.add_argument("--lambda-ms", type=float, help="default: the model's config")
    parser.add_argument("--mixed-precision", choices=(AUTO, *PRECISIONS), default=AUTO,
                        help="dtype policy (default auto: as training/fit.py chooses for this machine)")
    parser.add_argument("--jit-compile", choices=JIT_CHOICES, nargs="?", const="on", default=AUTO,
                        help="XLA-compile the step: auto (default, as fit.py), on (also a bare --jit-compile), off")
    parser.add_argument("--threads", type=int, help="TF intra-op threads (default: TF's choice)")
    parser.add_argument("--compare", metavar="PATHS",
                        help="time several paths in one process, e.g. float32,float32+xla,mixed_bfloat16,"
                             "mixed_bfloat16+xla (overrides --mixed-precision/--jit-compile)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="interleaved rounds: every path (and --official) once per round, order rotated")
    parser.add_argument("--official", metavar="PYTHON",
                        help="DCGAN only: also run bench/torch_dcgan_step.py with this interpreter (a venv with "
                             "PyTorch) once per round, same --steps/--warmup/--threads")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="override a config field (e.g. ngf=16)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.steps < 1 or args.warmup < 0 or args.rounds < 1:
        raise SystemExit("train_step.py: error: --steps and --rounds must be >= 1 and --warmup >= 0")
    import tensorflow as tf

    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    try:
        config = _config(args)
        paths = ([_named_path(name) for name in args.compare.split(",")] if args.compare
                 else [choose_path(args.mixed_precision, args.jit_compile)])
        official_net = ("dcgan", 32, 3, 128, 100, 10)
        if args.official and tuple(getattr(config, k, None) for k in (
                "family", "image_size", "channels", "d", "nz", "num_classes")) != official_net:
            raise ValueError("--official times the official CIFAR-10 DCGAN step: use it with msgan_dcgan_cifar10 "
                             "at its own size and widths")
    except (KeyError, ValueError) as error:
        raise SystemExit(f"train_step.py: error: {error.args[0]}") from None
    steps = [_build_step(config, path) for path in paths]
    for step in steps:
        for _ in range(args.warmup):
            _block(step(*step.data))
    results = {i: [] for i in range(len(paths))}
    official = []
    peer = _OfficialStep(args.official, config.batch_size, args.warmup, args.threads) if args.official else None
    for round_index in range(args.rounds):
        # Rotate the order each round, so no path always runs right after the official one.
        order = [(round_index + k) % len(paths) for k in range(len(paths))]
        for i in order:
            line = _timed(args, config, paths[i], steps[i])
            results[i].append(line)
            print(json.dumps({"round": round_index + 1, **line}), flush=True)
        if peer:
            official.append(peer.time(args.steps))
            print(json.dumps({"round": round_index + 1, **official[-1]}), flush=True)
    if peer:
        peer.close()
    if args.compare:
        print(json.dumps(_summary(paths, results, official)))


def _config(args):
    """The model's registered config with the command line's changes."""
    from zoo.registry import get_config

    config = get_config(args.model)
    if config.family not in GENERATED_PER_CONDITION:
        raise ValueError(f"{args.model} is not a DCGAN, Pix2Pix or BicycleGAN model")
    changes = {}
    if args.size or config.family != "dcgan":
        changes["image_size"] = args.size or 256
    for item in args.set:
        field, _, value = item.partition("=")
        changes[field] = json.loads(value)
    if args.batch_size:
        changes["batch_size"] = args.batch_size
    if args.lambda_ms is not None:
        changes["lambda_ms"] = args.lambda_ms
    return config.replace(**changes)


def _named_path(name):
    """``float32``, ``float32+xla``, ``mixed_bfloat16+xla``, ... as a given TrainingPath."""
    precision, _, xla = name.strip().partition("+")
    if xla not in ("", "xla"):
        raise ValueError(f"--compare: {name!r} is not PRECISION or PRECISION+xla")
    return choose_path(precision, "on" if xla else "off")


def _build_step(config, path):
    """The model built under ``path``'s dtype policy and its traced-on-first-call step.

    The global policy is set before the model is built (layers take it at construction) and
    put back to float32 afterwards, so several paths can live in one process.
    """
    import keras
    import numpy as np
    import tensorflow as tf

    from zoo.registry import get_family

    keras.config.set_dtype_policy(path.precision)
    try:
        gan = get_family(config.family).gan_class(config)
        gan.compile(jit_compile=path.jit_compile)
    finally:
        keras.config.set_dtype_policy("float32")
    rng = np.random.default_rng(0)
    shape = (config.batch_size, config.image_size, config.image_size, getattr(config, "channels", 3))
    real = tf.constant(rng.uniform(-1, 1, shape), tf.float32)
    if config.family == "dcgan":
        labels = rng.integers(0, config.num_classes, config.batch_size)
        condition = tf.one_hot(labels, config.num_classes)
    else:
        condition = tf.constant(rng.uniform(-1, 1, shape), tf.float32)
    step = tf.function(gan.train_step, jit_compile=path.jit_compile, reduce_retracing=True)
    step.data = ((condition, real),)
    return step


def _timed(args, config, path, step):
    """Time ``args.steps`` steps; the JSON line's fields."""
    from zoo.machine import describe_machine, machine_line

    traces_before = step.experimental_get_tracing_count()
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        _block(step(*step.data))
        times.append(time.perf_counter() - start)
    step_s = statistics.median(times)
    generated = GENERATED_PER_CONDITION[config.family] * config.batch_size
    machine = describe_machine()
    return {
        "model": args.model, "family": config.family, "size": config.image_size,
        "batch_size": config.batch_size, "lambda_ms": config.lambda_ms, **path.record(),
        **{k: getattr(config, k) for k in ("ngf", "ndf", "d") if hasattr(config, k)}, "steps": args.steps,
        "step_s": round(step_s, 4), "step_s_mean": round(statistics.mean(times), 4),
        "step_s_min": round(min(times), 4), "images_per_s": round(generated / step_s, 3),
        # Tracing happens in the warm-up only (twice: Keras creates optimizer slots in the
        # first trace); a retrace while timing would show here.
        "traces": traces_before, "retraces_while_timed": step.experimental_get_tracing_count() - traces_before,
        "machine": machine_line(machine), "cpu_flags": machine["cpu_flags"],
        # Other processes on a shared machine slow every number down: record how busy it was.
        "load_avg_1min": round(os.getloadavg()[0], 2),
    }


class _OfficialStep:
    """``bench/torch_dcgan_step.py --serve`` run by ``python`` (a venv with PyTorch), kept alive
    so each round times its steps right beside ours (no start-up or warm-up per round)."""

    def __init__(self, python, batch_size, warmup, threads):
        import subprocess

        script = Path(__file__).resolve().parent / "torch_dcgan_step.py"
        self.batch_size = batch_size
        self.command = [python, str(script), "--serve", "--batch-size", str(batch_size), "--warmup", str(warmup),
                        "--threads", str(threads or 2)]
        self.process = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.torch = self._answer()["torch"]

    def _answer(self):
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"train_step.py: error: {' '.join(self.command)} stopped (is PyTorch installed there?)")
        return json.loads(line)

    def time(self, steps):
        self.process.stdin.write(f"{steps}\n")
        self.process.stdin.flush()
        times = self._answer()["step_s"]
        step_s = statistics.median(times)
        return {"path": "official", "model": "official DCGAN+MS step (PyTorch re-implementation)",
                "torch": self.torch, "steps": steps, "step_s": round(step_s, 4), "step_s_min": round(min(times), 4),
                "batch_size": self.batch_size, "images_per_s": round(2 * self.batch_size / step_s, 3),
                "load_avg_1min": round(os.getloadavg()[0], 2)}

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def _summary(paths, results, official):
    """Per path: images/s of every round and its ratio to float32 / the official step, same round."""
    def name(path):
        return path.precision + ("+xla" if path.jit_compile else "")

    rate = {name(p): [r["images_per_s"] for r in results[i]] for i, p in enumerate(paths)}
    # The fastest single step of all rounds: load only ever slows a step down, so on a shared
    # machine the best step is the least contended estimate of each path.
    best = {name(p): round(r[0]["images_per_s"] * r[0]["step_s"] / min(x["step_s_min"] for x in r), 3)
            for p, r in zip(paths, results.values())}
    if official:
        rate["official"] = [o["images_per_s"] for o in official]
        best["official"] = round(official[0]["images_per_s"] * official[0]["step_s"]
                                 / min(o["step_s_min"] for o in official), 3)
    summary = {"summary": True, "images_per_s": rate, "best_images_per_s": best,
               "load_avg_1min": round(os.getloadavg()[0], 2)}
    for peer in ("float32", "official"):
        if peer in rate:
            summary[f"x_{peer}"] = {k: [round(a / b, 3) for a, b in zip(v, rate[peer])] for k, v in rate.items()}
            summary[f"x_{peer}_median"] = {k: round(statistics.median(v), 3) for k, v in summary[f"x_{peer}"].items()}
            summary[f"x_{peer}_best"] = {k: round(v / best[peer], 3) for k, v in best.items()}
    return summary


def _block(logs):
    """Wait for the step's results (eager tensors are async on some devices)."""
    return {k: float(v) for k, v in logs.items()}


if __name__ == "__main__":
    main()
