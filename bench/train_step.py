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
rotated each round; ``--official PYTHON`` adds the official step of the model's family,
re-written in PyTorch (``bench/torch_dcgan_step.py`` for DCGAN, ``bench/torch_pix2pix_step.py``
for Pix2Pix; BicycleGAN has none: the official repository has no BicycleGAN+MS code), run with
``--serve`` by that interpreter (e.g. a venv with PyTorch) and kept alive between rounds, to
every round. Every line gives the networks' parameters and forward FLOPs per image
(``g_params``, ``d_params``, ``g_flops``, ``d_flops``); with ``--official`` the summary sets ours
beside the PyTorch peer's (``networks``), which must be equal for the ratio to compare code and
not architectures. On a loaded
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
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from zoo.training.fastpath import AUTO, JIT_CHOICES, PRECISIONS, choose_path  # noqa: E402

GENERATED_PER_CONDITION = {"pix2pix": 2, "bicyclegan": 3, "dcgan": 2}
# The official MSGAN steps re-written in PyTorch, by family: (script beside this one, its name).
OFFICIAL_PEERS = {
    "dcgan": ("torch_dcgan_step.py", "official DCGAN+MS step (PyTorch re-implementation)"),
    "pix2pix": ("torch_pix2pix_step.py", "official Pix2Pix+MS step (PyTorch re-implementation)"),
}
WITHOUT_PEER = {"bicyclegan": "the official MSGAN repository has no BicycleGAN+MS code to re-write"}
# torch_dcgan_step.py builds the official CIFAR-10 networks only (no width or size options).
OFFICIAL_DCGAN = {"image_size": 32, "channels": 3, "d": 128, "nz": 100, "num_classes": 10}


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
                        help="DCGAN and Pix2Pix: also run the official step re-written in PyTorch "
                             "(bench/torch_<family>_step.py) with this interpreter (a venv with PyTorch) once per "
                             "round, same config, --steps/--warmup/--threads")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="override a config field (e.g. ngf=16)")
    return parser.parse_args(argv)


def fail(message):
    """A one-line error on stderr and exit status 2 (argparse's convention for a bad command line)."""
    print(f"train_step.py: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def main(argv=None):
    args = parse_args(argv)
    if args.steps < 1 or args.warmup < 0 or args.rounds < 1:
        fail("--steps and --rounds must be >= 1 and --warmup >= 0")
    import tensorflow as tf

    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    try:
        config = _config(args)
        paths = ([_named_path(name) for name in args.compare.split(",")] if args.compare
                 else [choose_path(args.mixed_precision, args.jit_compile)])
        peer = official_command(config, args.official, args.warmup, args.threads) if args.official else None
    except (KeyError, ValueError) as error:
        fail(error.args[0])
    steps = [_build_step(config, path) for path in paths]
    for step in steps:
        for _ in range(args.warmup):
            _block(step(*step.data))
    results = {i: [] for i in range(len(paths))}
    official = []
    peer = _OfficialStep(peer, config) if peer else None
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
        print(json.dumps(_summary(paths, results, official, steps[0].networks, peer.networks if peer else None)))


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


def official_command(config, python, warmup, threads):
    """The command line of the family's PyTorch peer in ``--serve`` mode, for ``config``.

    Raises ValueError (one line) for a family without an official peer, or a config the peer
    cannot build.
    """
    if config.family not in OFFICIAL_PEERS:
        why = f": {WITHOUT_PEER[config.family]}" if config.family in WITHOUT_PEER else ""
        raise ValueError(f"--official: no PyTorch re-implementation of the official {config.family} step "
                         f"(peers exist for {', '.join(sorted(OFFICIAL_PEERS))}){why}")
    script = Path(__file__).resolve().parent / OFFICIAL_PEERS[config.family][0]
    command = [python, str(script), "--serve", "--batch-size", str(config.batch_size), "--warmup", str(warmup),
               "--threads", str(threads or 2), "--lambda-ms", str(config.lambda_ms)]
    if config.family == "dcgan":
        if any(getattr(config, k, None) != v for k, v in OFFICIAL_DCGAN.items()):
            raise ValueError("--official times the official CIFAR-10 DCGAN step: use it with msgan_dcgan_cifar10 "
                             "at its own size and widths")
        return command
    options = {"size": config.image_size, "nz": config.nz, "ngf": config.ngf, "ndf": config.ndf,
               "n-layers-d": config.n_layers_d, "num-d": config.num_d, "in-channels": config.in_channels,
               "out-channels": config.out_channels, "lambda-l1": config.lambda_l1, "lambda-gan": config.lambda_gan}
    return command + [x for name, value in options.items() for x in (f"--{name}", str(value))]


def network_counts(gan):
    """Trainable parameters and forward FLOPs per image of G and D (``g_params``, ``d_params``,
    ``g_flops``, ``d_flops``); batch norm's moving statistics are not counted, as in PyTorch's
    ``parameters()``."""
    import numpy as np

    def trainable(model):
        return sum(int(np.prod(w.shape)) for w in model.trainable_weights)

    return {"g_params": trainable(gan.generator), "d_params": trainable(gan.discriminator),
            "g_flops": model_flops(gan.generator), "d_flops": model_flops(gan.discriminator)}


def model_flops(model):
    """Multiply-adds x 2 of a Keras model's Conv2D / Conv2DTranspose / Dense layers for one sample.

    Biases and norms left out, as ``bench/sample.py`` and the PyTorch peers count them.
    """
    import keras
    import numpy as np

    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            total += model_flops(layer)
        elif isinstance(layer, keras.layers.Dense):
            total += 2 * int(np.prod(layer.kernel.shape))
        elif isinstance(layer, keras.layers.Conv2DTranspose):  # each input position scatters a k x k x out patch
            total += 2 * int(np.prod(layer.input.shape[1:3])) * int(np.prod(layer.kernel.shape))
        elif isinstance(layer, keras.layers.Conv2D):
            total += 2 * int(np.prod(layer.output.shape[1:3])) * int(np.prod(layer.kernel.shape))
    return total


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
    step.networks = network_counts(gan)
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
        **step.networks,
        "machine": machine_line(machine), "cpu_flags": machine["cpu_flags"],
        # Other processes on a shared machine slow every number down: record how busy it was.
        "load_avg_1min": round(os.getloadavg()[0], 2),
    }


class _OfficialStep:
    """The family's PyTorch peer (:func:`official_command`) run in ``--serve`` mode, kept alive
    so each round times its steps right beside ours (no start-up or warm-up per round)."""

    def __init__(self, command, config):
        import subprocess

        self.batch_size = config.batch_size
        self.generated = GENERATED_PER_CONDITION[config.family] * config.batch_size
        self.name = OFFICIAL_PEERS[config.family][1]
        self.command = command
        self.process = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ready = self._answer()
        self.torch = ready["torch"]
        self.networks = {k: v for k, v in ready.items() if k.endswith(("_params", "_flops"))}

    def _answer(self):
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"train_step.py: error: {' '.join(self.command)} stopped (is PyTorch installed there?)")
        return json.loads(line)

    def time(self, steps):
        self.process.stdin.write(f"{steps}\n")
        self.process.stdin.flush()
        answer = self._answer()
        times = answer["step_s"]
        step_s = statistics.median(times)
        return {"path": "official", "model": self.name, "torch": self.torch, "steps": steps,
                "step_s": round(step_s, 4), "step_s_min": round(min(times), 4), "batch_size": self.batch_size,
                "images_per_s": round(self.generated / step_s, 3), **self.networks,
                **({"losses": answer["losses"]} if "losses" in answer else {}),
                "load_avg_1min": round(os.getloadavg()[0], 2)}

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def _summary(paths, results, official, networks=None, official_networks=None):
    """Per path: images/s of every round and its ratio to float32 / the official step, same round.

    ``networks`` / ``official_networks``: ours and the peer's parameter and FLOP counts, set side
    by side (only the counts the peer reports) so a ratio between different networks shows.
    """
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
    if networks and official_networks:
        shared = [k for k in networks if k in official_networks]
        summary["networks"] = {"ours": networks, "official": official_networks,
                               "same": all(networks[k] == official_networks[k] for k in shared)}
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
