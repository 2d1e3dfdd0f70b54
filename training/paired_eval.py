"""Diversity and fidelity of image-conditioned zoo models on the validation pairs.

The command line of :mod:`zoo.training.evaluation.paired`.

    python training/paired_eval.py runs/msgan_pix2pix_maps runs/pix2pix_maps \\
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


def main(argv=None):
    args = parse_args(argv)
    # TensorFlow loads here, after the arguments: --help and argument errors stay instant.
    from zoo.cards import write_section
    from zoo.loading import load
    from zoo.machine import machine_line
    from zoo.metrics.lpips import LPIPS
    from zoo.training.data import DataError
    from zoo.training.evaluation.paired import evaluate, model_samples, save_val_grid, table
    from zoo.training.paired_data import load_pairs

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
