"""Within-class diversity of label-conditioned zoo models (mean pairwise L1 between samples).

The command line of :mod:`zoo.training.evaluation.class_diversity`.

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

import zoo


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
    # TensorFlow loads here, after the arguments: --help and argument errors stay instant.
    from zoo.cards import write_section
    from zoo.machine import machine_line
    from zoo.training.evaluation.class_diversity import class_diversity, real_digits_diversity, table

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
