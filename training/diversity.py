"""Within-class diversity of label-conditioned zoo models (mean pairwise L1 between samples).

    python training/diversity.py msgan_dcgan_digits dcgan_digits --samples 50 --write-cards

For every class, ``--samples`` images are drawn with the same noise for every model
(seeded), and the mean L1 distance over all pairs of them is computed on the generator's
[-1, 1] output; the table reports the mean over classes and the lowest class (a collapsed
class shows there first).
"""
import argparse
import json
import shlex
import sys

import numpy as np


def class_diversity(sampler, num_samples=50, seed=0):
    """Per-class mean pairwise L1 of ``num_samples`` samples on [-1, 1].

    Returns ``{"mean": float, "min": float, "per_class": [float, ...]}``.
    """
    from zoo.metrics.diversity import per_condition_l1_diversity

    config = sampler.config
    z = np.random.default_rng(seed).standard_normal((num_samples, config.nz)).astype(np.float32)
    samples = []
    for class_id in range(config.num_classes):
        condition = sampler.one_hot(np.full(num_samples, class_id))
        samples.append(sampler.generate(condition, z))
    mean, per_class = per_condition_l1_diversity(np.stack(samples))
    return {"mean": mean, "min": float(per_class.min()), "per_class": per_class.round(5).tolist()}


def real_digits_diversity(num_samples=50, seed=0):
    """The same statistic on ``num_samples`` random real digits per class (the data's own spread)."""
    from training.data import digits_arrays
    from zoo.metrics.diversity import per_condition_l1_diversity

    images, labels = digits_arrays()
    rng = np.random.default_rng(seed)
    groups = [images[rng.choice(np.flatnonzero(labels == c), num_samples, replace=False)] for c in range(10)]
    mean, per_class = per_condition_l1_diversity(np.stack(groups))
    return {"lambda_ms": float("nan"), "mean": mean, "min": float(per_class.min()),
            "per_class": per_class.round(5).tolist()}


def table(results, num_samples, seed):
    lines = [f"Within-class diversity: mean pairwise L1 of {num_samples} samples per class "
             f"(generator output in [-1, 1], noise seed {seed}, the same noise for every model).", "",
             "| model | lambda_ms | mean over classes | lowest class |", "|---|---|---|---|"]
    for name, r in results.items():
        ms = "-" if np.isnan(r["lambda_ms"]) else f"{r['lambda_ms']:g}"
        lines.append(f"| `{name}` | {ms} | {r['mean']:.4f} | {r['min']:.4f} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python training/diversity.py", description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="+", help="zoo names or saved model directories")
    parser.add_argument("--samples", type=int, default=50, help="samples per class (default 50)")
    parser.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    parser.add_argument("--real-digits", action="store_true",
                        help="add a row for real scikit-learn digits (same samples per class)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--write-cards", action="store_true",
                        help="write the table into the diversity section of each model's card")
    args = parser.parse_args(argv)
    if args.samples < 2:
        parser.error("--samples must be >= 2")

    import zoo
    from zoo.cards import write_section
    from zoo.machine import machine_line

    results = {}
    for name in args.models:
        try:
            sampler = zoo.load(name)
        except (KeyError, ValueError, FileNotFoundError) as error:
            parser.error(error.args[0])
        if not hasattr(sampler, "one_hot"):
            parser.error(f"{name} is not a class-conditioned model (use training/paired_eval.py for image models)")
        result = class_diversity(sampler, args.samples, args.seed)
        results[name] = {"lambda_ms": sampler.config.lambda_ms, **result}
    if args.real_digits:
        results["real digits (scikit-learn)"] = real_digits_diversity(args.samples, args.seed)
    text = table(results, args.samples, args.seed)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    if args.write_cards:
        command = "python training/diversity.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
        body = f"{text}\n\nMeasured with `{command}` on {machine_line()}."
        for name in args.models:
            if write_section(name, "diversity", body) is None:
                print(f"no card written for {name}: not a zoo model with weights here", file=sys.stderr)
    return results


if __name__ == "__main__":
    main()
