"""Diversity and fidelity of image-conditioned zoo models on the validation pairs.

    python training/paired_eval.py saved_models/msgan_pix2pix_maps saved_models/pix2pix_maps \\
        --data-dir ../shared/data/maps --inputs 100 --samples 50 --write-cards

For each of the first ``--inputs`` validation pairs (no jitter, resized to the model's size),
every model draws ``--samples`` outputs with the *same* noise vectors (seeded), and the script
reports, on the generator's [-1, 1] output:

* ``pairwise L1``: mean L1 over all pairs of the samples of one input (diversity), averaged
  over inputs;
* ``LPIPS``: LPIPS v0.1 AlexNet over 50 random pairs of the samples of one input (the MSGAN
  paper's protocol: 50 samples and 50 pairs per input), averaged over inputs;
* ``L1 to target``: mean L1 between each sample and the ground truth (fidelity).

``--write-cards`` writes the table (all models side by side) into each model's ``README.md``
(the ``diversity`` section) and a grid ``val_samples.png`` beside it: rows = inputs, columns =
input, ground truth, then outputs for different z.
"""
import argparse
import shlex
import sys
from pathlib import Path

import numpy as np


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python training/paired_eval.py", description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="+", help="model directories (written by fit.py) or zoo names")
    parser.add_argument("--data-dir", required=True, help="paired dataset root (with val/ or test/)")
    parser.add_argument("--split", default="val", choices=("train", "val", "test"))
    parser.add_argument("--inputs", type=int, default=100, help="first N pairs of the split")
    parser.add_argument("--samples", type=int, default=50, help="outputs per input")
    parser.add_argument("--lpips-pairs", type=int, default=50, help="random pairs per input for LPIPS; 0 = skip")
    parser.add_argument("--grid-rows", type=int, default=6)
    parser.add_argument("--grid-columns", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write-cards", action="store_true")
    return parser.parse_args(argv)


def model_samples(sampler, inputs, num_samples, seed):
    """``(inputs, num_samples, S, S, C)`` float32 in [-1, 1]; the same z for every model and input."""
    from keras.utils import Progbar

    z = sampler.noise(num_samples, seed)
    samples = []
    progress = Progbar(len(inputs), unit_name="input")
    for image in inputs:
        samples.append(sampler.generate(np.repeat(image[None], num_samples, axis=0), z))
        progress.add(1)
    return np.stack(samples)


def evaluate(samples, targets, lpips=None, lpips_pairs=50, seed=0):
    """Diversity and fidelity numbers for ``samples (N, n, S, S, C)`` and ``targets (N, S, S, C)``."""
    from zoo.metrics.diversity import lpips_diversity, per_condition_l1_diversity

    pairwise, per_input = per_condition_l1_diversity(samples)
    to_target = np.abs(samples - targets[:, None]).mean(axis=(2, 3, 4))
    result = {"pairwise_l1": pairwise, "pairwise_l1_min": float(per_input.min()),
              "l1_to_target": float(to_target.mean()), "best_of_n_l1": float(to_target.min(axis=1).mean())}
    if lpips is not None and lpips_pairs:
        result["lpips"] = lpips_diversity(samples, lpips, num_pairs=lpips_pairs, seed=seed)[0]
    return result


def table(names, results):
    has_lpips = all("lpips" in r for r in results)
    header = "| model | pairwise L1 (diversity) | lowest input | " + ("LPIPS (diversity) | " if has_lpips else "")
    header += "L1 to target | best of n L1 |"
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for name, r in zip(names, results):
        lpips = f"{r['lpips']:.4f} | " if has_lpips else ""
        lines.append(f"| `{name}` | {r['pairwise_l1']:.4f} | {r['pairwise_l1_min']:.4f} | {lpips}"
                     f"{r['l1_to_target']:.4f} | {r['best_of_n_l1']:.4f} |")
    return "\n".join(lines)


def save_val_grid(sampler, inputs, targets, samples, path):
    """Rows = inputs; columns = input, ground truth, then samples with different z."""
    from training.grids import save_grid
    from zoo.sampling import to_uint8

    rows = np.concatenate([inputs[:, None], targets[:, None], samples], axis=1)
    return save_grid(to_uint8(rows), path, scale=2 if inputs.shape[1] <= 64 else 1)


def main(argv=None):
    args = parse_args(argv)
    from training.data import DataError
    from zoo.machine import machine_line
    from training.paired_data import load_pairs
    from zoo.cards import write_section
    from zoo.loading import load

    try:
        samplers = [load(m) for m in args.models]
    except (KeyError, ValueError, FileNotFoundError) as error:
        raise SystemExit(f"paired_eval.py: error: {error.args[0]}") from None
    size = samplers[0].config.image_size
    if any(s.config.image_size != size for s in samplers):
        raise SystemExit("paired_eval.py: error: the models differ in image_size")
    direction = samplers[0].config.direction
    try:
        inputs, targets = load_pairs(args.data_dir, size, args.split, direction, limit=args.inputs)
    except DataError as error:
        raise SystemExit(f"paired_eval.py: error: {error}") from None
    lpips = None
    if args.lpips_pairs:
        from zoo.metrics.lpips import LPIPS

        lpips = LPIPS("alex")
    names, results, all_samples = [], [], []
    for model, sampler in zip(args.models, samplers):
        print(f"{model}: {len(inputs)} inputs x {args.samples} samples at {size}x{size}")
        samples = model_samples(sampler, inputs, args.samples, args.seed)
        names.append(Path(model).name)
        results.append(evaluate(samples, targets, lpips, args.lpips_pairs, args.seed))
        all_samples.append(samples)
    body = table(names, results)
    command = "python training/paired_eval.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    protocol = (f"{args.split} pairs 1-{len(inputs)} of `{Path(args.data_dir).name}` ({direction}, resized to "
                f"{size}x{size}, no jitter); {args.samples} samples per input with the same seeded z for every "
                f"model; L1 on [-1, 1] outputs")
    if lpips is not None:
        protocol += f"; LPIPS: {lpips.protocol}, {args.lpips_pairs} random pairs per input"
    report = f"Measured by `{command}`\n\nProtocol: {protocol}.\nMachine: {machine_line()}.\n\n{body}\n"
    print(report)
    if args.write_cards:
        for model, sampler, samples in zip(args.models, samplers, all_samples):
            directory = Path(model)
            if not directory.is_dir():
                continue
            rows = min(args.grid_rows, len(inputs))
            grid = save_val_grid(sampler, inputs[:rows], targets[:rows], samples[:rows, :args.grid_columns],
                                 directory / "val_samples.png")
            grid_note = (f"\n![validation samples]({grid.name})\n\n`{grid.name}`: rows = validation inputs; "
                         f"columns = input photo, ground-truth map, then {args.grid_columns} outputs for "
                         f"different z (the same z in every row and in every model's grid).\n")
            write_section(directory, "diversity", report + grid_note)
    return results


if __name__ == "__main__":
    main()
