"""Speed of the NDB/JSD protocol: K-means bins on 20,000 training samples and the scoring of
5,000 generated ones, 64x64x3 each (the issue's target: under 60 s on 2 cores).

    python bench/metrics.py                   # full size, prints one line per stage + JSON
    python bench/metrics.py --train 2000 --generated 500   # a quick look
    python bench/metrics.py --real-dir ../shared/data/cifar10/train   # real images, see below

The samples are random (structure does not change K-means' cost per iteration, only how many
iterations it needs: the data are a Gaussian mixture of 100 blobs so K-means converges as on
images). Dimensions 12,288 > 1,000, so the reference's random d // 6 = 2,048 dimensions are used.
Blobs converge in a few Lloyd iterations; real images take many more, so ``--real-dir`` (any
folder of images, searched recursively, resized to ``--size`` bicubic) gives the harder case:
the first ``--train`` images are the training set and the next ``--generated`` the "generated".
``--generated-dir`` (repeatable) scores ``--generated`` images of other folders on the same bins
instead, e.g. the test set (same distribution: NDB should stay near alpha * K) and a folder of
half the classes (dropped modes: NDB should be large); ``--seed`` changes the K-means seed and
the random dimensions, to compare restarts (``--n-init``) with seed-to-seed variation.
"""
import argparse
import json
import os
import time
from pathlib import Path

from zoo.metrics.ndb import DEFAULT_N_INIT


def blobs(count, size, modes, seed):
    import numpy as np

    rng = np.random.default_rng(seed)
    centers = np.random.default_rng(12345).uniform(-1, 1, (modes, size * size * 3)).astype(np.float32)
    labels = rng.integers(0, modes, count)
    samples = centers[labels] + 0.3 * rng.standard_normal((count, size * size * 3), dtype=np.float32)
    return np.clip(samples, -1, 1).reshape(count, size, size, 3)


def real_images(root, count, size):
    """``count`` images of a folder tree, evenly spaced over its sorted paths (so every class
    folder gives its share), shuffled with a fixed seed (so any prefix is a fair sample), in [-1, 1]."""
    import numpy as np
    from PIL import Image

    from zoo.training.data import IMAGE_SUFFIXES

    paths = sorted(p for p in Path(root).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if len(paths) < count:
        raise SystemExit(f"metrics.py: error: {root} has {len(paths)} images, {count} needed")
    picks = np.random.default_rng(0).permutation(np.arange(count) * len(paths) // count)
    paths = [paths[i] for i in picks]
    out = np.empty((count, size, size, 3), np.float32)
    for i, path in enumerate(paths):
        with Image.open(path) as image:
            out[i] = np.asarray(image.convert("RGB").resize((size, size), Image.BICUBIC), np.float32) / 127.5 - 1
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python bench/metrics.py", description=__doc__.split("\n")[0])
    parser.add_argument("--train", type=int, default=20_000)
    parser.add_argument("--generated", type=int, default=5_000)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--n-init", type=int, default=DEFAULT_N_INIT,
                        help=f"K-means restarts (default {DEFAULT_N_INIT}, fit_bins' default; 10 = the reference's)")
    parser.add_argument("--real-dir", help="use real images from this folder instead of blobs")
    parser.add_argument("--generated-dir", action="append", default=[],
                        help="score images of this folder (repeatable; needs --real-dir)")
    parser.add_argument("--seed", type=int, default=0, help="K-means / dimension-sampling seed")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    for flag in ("train", "generated", "size", "n_init"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag.replace('_', '-')} must be >= 1, got {getattr(args, flag)}")
    if args.k < 2 or args.seed < 0:
        parser.error(f"--k must be >= 2 and --seed >= 0, got {args.k} and {args.seed}")
    if args.generated_dir and not args.real_dir:
        parser.error("--generated-dir needs --real-dir (the training images)")
    for folder in ([args.real_dir] if args.real_dir else []) + args.generated_dir:
        if not Path(folder).is_dir():
            parser.error(f"not a folder: {folder}")

    from zoo.machine import machine_line
    from zoo.metrics.ndb import fit_bins

    generated_sets = {}
    if args.generated_dir:
        train = real_images(args.real_dir, args.train, args.size)
        for folder in args.generated_dir:
            generated_sets[folder] = real_images(folder, args.generated, args.size)
    elif args.real_dir:
        images = real_images(args.real_dir, args.train + args.generated, args.size)
        train, generated = images[:args.train], images[args.train:]
    else:
        train = blobs(args.train, args.size, args.k, seed=0)
        generated = blobs(args.generated, args.size, args.k, seed=1)
    start, cpu_start = time.perf_counter(), time.process_time()
    bins = fit_bins(train, k=args.k, seed=args.seed, n_init=args.n_init)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    if generated_sets:
        per_set = {folder: bins.evaluate(images) for folder, images in generated_sets.items()}
        result = per_set[args.generated_dir[0]]
    else:
        per_set = {}
        result = bins.evaluate(generated)
    score_s = time.perf_counter() - start
    # CPU seconds of all threads: on a shared machine the wall time says more about the others.
    cpu_s = time.process_time() - cpu_start
    figures = {
        "data": f"real images from {args.real_dir}, resized to {args.size}" if args.real_dir else "100-blob Gaussian mixture",
        "protocol": f"NDB/JSD K={args.k}, {args.train} train vs {args.generated} generated samples of "
                    f"{args.size}x{args.size}x3, {len(bins.used_dims)} of {bins.dims} dims, K-means n_init={args.n_init} max_iter=100",
        "kmeans_s": round(fit_s, 2), "assign_and_test_s": round(score_s, 2), "total_s": round(fit_s + score_s, 2),
        "cpu_s": round(cpu_s, 2), "load_average_1min": os.getloadavg()[0],
        "seed": args.seed, "ndb": result["ndb"], "jsd": result["jsd"], "machine": machine_line(),
        "threads": os.environ.get("OMP_NUM_THREADS", "default"),
    }
    print(f"{figures['protocol']}\nK-means {fit_s:.1f} s + assignment/z-test {score_s:.1f} s = "
          f"{fit_s + score_s:.1f} s wall, {cpu_s:.1f} CPU s (target < 60 s on 2 cores)\n"
          f"machine: {figures['machine']}; load average {figures['load_average_1min']:.1f}")
    if per_set:
        figures["per_generated_dir"] = {folder: {"ndb": r["ndb"], "jsd": round(float(r["jsd"]), 5)}
                                        for folder, r in per_set.items()}
        for folder, r in figures["per_generated_dir"].items():
            print(f"{folder}: NDB {r['ndb']}/{args.k}, JSD {r['jsd']}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return figures


if __name__ == "__main__":
    main()
