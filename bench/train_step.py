"""Time one training step of a zoo model (not a test).

    python bench/train_step.py --model msgan_pix2pix_maps --size 256 --steps 10
    python bench/train_step.py --model msgan_pix2pix_maps --size 128 --steps 10 --lambda-ms 0
    python bench/train_step.py --model msgan_dcgan_cifar10 --steps 10

Builds the model's registered config (paper architecture: U-Net with z at every block, ngf 64,
two PatchGANs; for DCGAN the official CIFAR-10 network, batch 32) at ``--size``, compiles its ``train_step`` once in a ``tf.function`` (the same
way ``fit`` does), runs ``--warmup`` untimed steps on a fixed random batch, then ``--steps``
timed ones, and prints one JSON line: ``step_s`` (median), ``step_s_mean``,
``images_per_s`` (generated images per second: 2 per condition for Pix2Pix+MS, 3 for
BicycleGAN and DCGAN+MS), ``lambda_ms`` and the machine.

The official PyTorch Pix2Pix+MS step (batch 1, float32, 2 threads) took 2.44 s at 256 and
1.04 s at 128 on the AVX2 machine, 1.67 s and 0.70 s on the AVX-512 one; the official
DCGAN+MS CIFAR-10 step (batch 32) took 0.78 s on the AVX-512 one (see NOTES).
"""
import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GENERATED_PER_CONDITION = {"pix2pix": 2, "bicyclegan": 3, "dcgan": 2}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python bench/train_step.py", description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="msgan_pix2pix_maps", help="zoo name of a DCGAN, Pix2Pix or BicycleGAN model")
    parser.add_argument("--size", type=int, help="image size (default: 256 for image models, the config's for DCGAN)")
    parser.add_argument("--steps", type=int, default=10, help="timed steps")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps (tracing, allocator warm-up)")
    parser.add_argument("--batch-size", type=int, help="default: the model's config (1 for Pix2Pix, 32 for DCGAN)")
    parser.add_argument("--lambda-ms", type=float, help="default: the model's config")
    parser.add_argument("--jit-compile", action="store_true", help="XLA-compile the step")
    parser.add_argument("--threads", type=int, help="TF intra-op threads (default: TF's choice)")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="override a config field (e.g. ngf=16)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.steps < 1 or args.warmup < 0:
        raise SystemExit("train_step.py: error: --steps must be >= 1 and --warmup >= 0")
    import numpy as np
    import tensorflow as tf

    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    from training.machine import describe_machine, machine_line
    from zoo.registry import get_config, get_family

    try:
        config = get_config(args.model)
    except (KeyError, ValueError) as error:
        raise SystemExit(f"train_step.py: error: {error.args[0]}") from None
    if config.family not in GENERATED_PER_CONDITION:
        raise SystemExit(f"train_step.py: error: {args.model} is not a DCGAN, Pix2Pix or BicycleGAN model")
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
    config = config.replace(**changes)

    gan = get_family(config.family).gan_class(config)
    gan.compile(jit_compile=args.jit_compile)
    rng = np.random.default_rng(0)
    shape = (config.batch_size, config.image_size, config.image_size, getattr(config, "channels", 3))
    real = tf.constant(rng.uniform(-1, 1, shape), tf.float32)
    if config.family == "dcgan":
        labels = rng.integers(0, config.num_classes, config.batch_size)
        condition = tf.one_hot(labels, config.num_classes)
    else:
        condition = tf.constant(rng.uniform(-1, 1, shape), tf.float32)
    data = (condition, real)
    step = tf.function(gan.train_step, jit_compile=args.jit_compile, reduce_retracing=True)

    for _ in range(args.warmup):
        _block(step(data))
    traces_before = step.experimental_get_tracing_count()
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        _block(step(data))
        times.append(time.perf_counter() - start)
    step_s = statistics.median(times)
    generated = GENERATED_PER_CONDITION[config.family] * config.batch_size
    machine = describe_machine()
    print(json.dumps({
        "model": args.model, "family": config.family, "size": config.image_size,
        "batch_size": config.batch_size, "lambda_ms": config.lambda_ms, "jit_compile": args.jit_compile,
        **{k: getattr(config, k) for k in ("ngf", "ndf", "d") if hasattr(config, k)}, "steps": args.steps,
        "step_s": round(step_s, 4), "step_s_mean": round(statistics.mean(times), 4),
        "step_s_min": round(min(times), 4), "images_per_s": round(generated / step_s, 3),
        # Tracing happens in the warm-up only (twice: Keras creates optimizer slots in the
        # first trace); a retrace while timing would show here.
        "traces": traces_before, "retraces_while_timed": step.experimental_get_tracing_count() - traces_before,
        "machine": machine_line(machine), "cpu_flags": machine["cpu_flags"],
        # Other processes on a shared machine slow every number down: record how busy it was.
        "load_avg_1min": round(os.getloadavg()[0], 2),
    }))


def _block(logs):
    """Wait for the step's results (eager tensors are async on some devices)."""
    return {k: float(v) for k, v in logs.items()}


if __name__ == "__main__":
    main()
