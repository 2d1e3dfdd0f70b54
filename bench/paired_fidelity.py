"""Does a paired image-to-image model learn to follow its input? Train briefly, then measure.

    python bench/paired_fidelity.py --model pix2pix_maps --data-dir ../shared/data/maps \\
        --limit 32 --steps 1000 --set image_size=128 --set ngf=32 --set load_size=256 \\
        --eval-split train --eval-inputs 32 --json bench/results/maps_fidelity/overfit.json

Trains ``--model`` (zoo name; ``--set FIELD=VALUE`` overrides its config, as in fit.py) for
``--steps`` steps on the first ``--limit`` training pairs with a constant learning rate, then
on the first ``--eval-inputs`` pairs of ``--eval-split`` (no jitter, at the model's size):

* fidelity ratio (:func:`zoo.metrics.fidelity.fidelity_ratio`) of the outputs for one z,
  averaged over ``--eval-z`` noise vectors;
* photo vs noise (:func:`zoo.metrics.fidelity.photo_vs_noise`) over those z;
* steps/s of the training (after the first, compiling, step).

``--load-size 256`` style jitter is set through ``--set load_size=...`` (the 256-equivalent
resize before the crop; ``load_size=256`` = no crop, flips only).
"""
import argparse
import json
import shlex
import sys
import time
from pathlib import Path


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python bench/paired_fidelity.py", description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="pix2pix_maps")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
    parser.add_argument("--lambda-ms", type=float)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--limit", type=int, help="train on the first N pairs only")
    parser.add_argument("--eval-split", default="val", choices=("train", "val", "test"))
    parser.add_argument("--eval-inputs", type=int, default=32)
    parser.add_argument("--eval-size", type=int, help="evaluate the fully convolutional G at this size")
    parser.add_argument("--eval-z", type=int, default=4)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--jit-compile", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="append the result as one JSON line to this file")
    return parser.parse_args(argv)


def measure(generator, inputs, targets, nz, num_z, seed):
    """Fidelity and photo-vs-noise of ``generator`` on ``inputs``/``targets`` (N, S, S, 3)."""
    import numpy as np

    from zoo.metrics.fidelity import fidelity_ratio, photo_vs_noise, structure_fidelity

    z = np.random.default_rng(seed).standard_normal((num_z, nz)).astype(np.float32)
    samples = np.stack([np.concatenate([np.asarray(generator([inputs[i:i + 8], np.repeat(zk[None], len(inputs[i:i + 8]), 0)],
                                                             training=False))
                                        for i in range(0, len(inputs), 8)]) for zk in z], axis=1)
    fidelity = [fidelity_ratio(samples[:, k], targets) for k in range(num_z)]
    ratio, own, other = (float(np.mean([f[i] for f in fidelity])) for i in range(3))
    structure = [structure_fidelity(samples[:, k], targets) for k in range(num_z)]
    edges = {f"edge_corr_{key}": float(np.mean([s[key] for s in structure])) for key in structure[0]}
    return {"fidelity_ratio": ratio, "l1_own_target": own, "l1_other_target": other, **edges,
            **{f"photo_vs_noise_{k}": v for k, v in photo_vs_noise(samples).items()}}, samples


def main(argv=None):
    args = parse_args(argv)
    import keras
    import numpy as np
    import tensorflow as tf

    from zoo.training.fit import _field_overrides
    from zoo.machine import machine_line, set_threads
    from zoo.training.paired_data import load_pairs, load_size_for, training_pairs
    from zoo.registry import get_config, get_family

    if args.threads:
        set_threads(args.threads)
    config = get_config(args.model)
    changes = _field_overrides(args.set, config)
    if args.lambda_ms is not None:
        changes["lambda_ms"] = args.lambda_ms
    # One constant-rate epoch: the overfit check must not depend on the decay schedule.
    config = config.replace(**changes, seed=args.seed, epochs=1, niter=1, niter_decay=0)
    from zoo.unet import num_downsamplings
    levels = 2 ** num_downsamplings(config.image_size)
    if args.eval_size is not None and (args.eval_size < levels or args.eval_size % levels):
        # Checked before training, so a bad size costs nothing.
        raise SystemExit(f"paired_fidelity.py: error: --eval-size {args.eval_size}: the {config.image_size} px "
                         f"U-Net halves its input {levels.bit_length() - 1} times, so the size must be a "
                         f"multiple of {levels} (e.g. {levels}, {2 * levels})")
    keras.utils.set_random_seed(args.seed)
    dataset, count = training_pairs(args.data_dir, config.image_size, config.batch_size, config.direction,
                                    load_size=load_size_for(config.image_size, config.load_size),
                                    limit=args.limit, seed=args.seed)
    gan = get_family(config.family).gan_class(config)
    gan.compile(jit_compile=args.jit_compile)
    first = {}

    class Timer(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 0:
                first["t"] = time.perf_counter()

    start = time.perf_counter()
    history = gan.fit(dataset.repeat(), epochs=1, steps_per_epoch=args.steps, callbacks=[Timer()], verbose=0)
    end = time.perf_counter()
    steps_per_s = (args.steps - 1) / (end - first["t"]) if args.steps > 1 else float("nan")

    eval_size = args.eval_size or config.image_size
    generator = gan.generator
    if eval_size != config.image_size:
        # The same weights at another size: keep the trained U-Net's depth (log2 of the training
        # size), so a 128 px G runs on 256 px inputs with a 2x2 innermost block instead of failing.
        from zoo.unet import build_unet
        other = build_unet(eval_size, config.nz, config.in_channels, config.out_channels, ngf=config.ngf,
                           depth=num_downsamplings(config.image_size), name="generator")
        other.set_weights(generator.get_weights())
        generator = other
    inputs, targets = load_pairs(args.data_dir, eval_size, args.eval_split, config.direction, limit=args.eval_inputs)
    result, _ = measure(generator, inputs, targets, config.nz, args.eval_z, args.seed)
    logs = {k: float(v[-1]) for k, v in history.history.items()}
    record = {"command": "python bench/paired_fidelity.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:])),
              "model": args.model, "config": {k: getattr(config, k) for k in
                                              ("image_size", "load_size", "ngf", "ndf", "n_layers_d", "num_d",
                                               "lambda_ms", "lambda_l1", "lambda_gan", "lambda_kl", "nef",
                                               "batch_size") if hasattr(config, k)},
              "steps": args.steps, "train_pairs": count, "eval": f"{args.eval_split} 1-{len(inputs)} at {eval_size}",
              "steps_per_s": steps_per_s, "wall_s": end - start, **result, "final_logs": logs,
              "machine": machine_line()}
    print(json.dumps(record, indent=1))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        with open(args.json, "a") as f:
            f.write(json.dumps(record) + "\n")
    return record


if __name__ == "__main__":
    main()
