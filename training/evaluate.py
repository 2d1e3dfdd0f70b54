"""Evaluate zoo models with the MSGAN paper's protocols: ``python training/evaluate.py``.

The command line of :mod:`zoo.training.evaluation` (protocols, their inputs, reports).

    # label task (the shipped digits models, side by side, FID-digits + NDB/JSD + L1 diversity)
    python training/evaluate.py --preset label --model msgan_dcgan_digits --baseline dcgan_digits \\
        --samples-per-class 1000 --k 10 --json runs/eval_digits.json

    # label task on CIFAR-10 offline: FID-CIFAR (the shipped CIFAR-10 classifier) + LPIPS + NDB/JSD
    python training/evaluate.py --preset label --model msgan_dcgan_cifar10 --baseline dcgan_cifar10 \\
        --data-dir ../shared/data/cifar10 --features cifar10 --samples-per-class 1000 --json runs/eval_cifar10.json

    # unpaired task (DRIT cat -> dog, trainA/ trainB/ testA/ testB/ folders), FID-AlexNet offline
    python training/evaluate.py --preset unpaired --model runs/msgan_drit_cat2dog --baseline runs/drit_cat2dog \\
        --data-dir ../shared/data/cat2dog --features alexnet --json runs/eval_cat2dog.json

Presets (counts default to the paper's; pass smaller ones for CPU runs and tests):

* ``label``: per class, generate ``--samples-per-class`` images (paper 5,000); FID of each
  class against that class's training images, averaged over classes; NDB/JSD per class with
  K bins fitted on that class's training images, averaged; within-class mean pairwise L1; and,
  for RGB images of at least 31x31 (LPIPS' AlexNet needs that much), within-class LPIPS over
  ``--lpips-pairs`` (50) random pairs of the class's samples, averaged over classes.
* ``image``: ``--conditions`` test inputs (paper 100) x ``--samples-per-condition`` (50) =
  5,000 images; FID against the training targets; LPIPS over ``--lpips-pairs`` (50) random
  pairs per input, averaged; NDB/JSD with K = 50 (paper: 20 for facades).
* ``text``: ``--conditions`` sentences (200) x 10 samples = 2,000 images vs ``--real-count``
  (2,000) training images; LPIPS over 10 pairs per sentence; NDB/JSD with K = 100.
* ``unpaired`` (the drit family, ``--direction a2b|b2a``, default the model's): the first
  ``--conditions`` (100) images of ``testA`` (``testB`` for b2a) x ``--samples-per-condition``
  (50) translations with seeded attribute codes; LPIPS over ``--lpips-pairs`` (50) random pairs
  per input, averaged; FID against the target domain's train + test images (100 test images are
  fewer than the 256 FID-AlexNet dimensions); NDB/JSD with K = 20 bins on its test images (K is
  this zoo's choice for a ~100-image reference); and whether each translation keeps its own
  input's layout better than another input's (``zoo.metrics.layout``: > 1 = it does).

Every preset splits the L1 diversity into colour (pairwise L1 of the samples' mean colours) and
structure (pairwise L1 with each sample's mean colour removed), with the mean saturation for RGB
(:func:`zoo.metrics.colour_split`); the label preset adds a ``training images`` column: the same
diversity figures (and LPIPS) on each class's real images, the level a faithful model would reach
(the image and text presets: only the training images' saturation, as there is one target per input;
unpaired: the target domain's training images' saturation).

Reference statistics (real features, NDB bins) are computed once and shared by every model of a
run, so ``--baseline`` compares two models on identical bins. Output: a console table where each
row names its protocol, ``--json`` with everything, ``--plot-dir`` with the NDB bar charts and
the centres of the bins each model over- or under-fills (what kind of image it makes too often
or too rarely), and ``--write-cards`` puts the table into the models' cards (section ``metrics``).
"""
import argparse
import json
import shlex
import sys
from pathlib import Path

from zoo.training import evaluation  # lazy: TensorFlow loads when a protocol is built
from zoo.training.evaluation.presets import PRESETS
from zoo.cards import write_section
from zoo.machine import machine_line
from zoo.metrics.ndb import DEFAULT_N_INIT


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python training/evaluate.py",
                                     description="Evaluate zoo models with the MSGAN paper's protocols (FID, LPIPS, NDB/JSD).",
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="label")
    parser.add_argument("--model", default="msgan_dcgan_digits", help="zoo name or saved model directory")
    parser.add_argument("--baseline", help="a second model scored on the same reference statistics (side by side)")
    parser.add_argument("--data-dir", help="label: dataset dir (default: the dataset's loader); image: pix2pix layout; "
                        "unpaired: trainA/ trainB/ testA/ testB/ folders")
    parser.add_argument("--direction", choices=("a2b", "b2a"),
                        help="unpaired: translation direction (default: the model's); b2a takes testB as inputs")
    parser.add_argument("--condition-file", help="text: one sentence per line")
    parser.add_argument("--real-dir", help="text: folder of training images (searched recursively)")
    parser.add_argument("--samples-per-class", type=int, help="label (paper 5000)")
    parser.add_argument("--conditions", type=int, help="image/text/unpaired: number of test conditions (paper 100 / 200 / 100)")
    parser.add_argument("--samples-per-condition", type=int, help="image/text/unpaired (paper 50 / 10 / 50)")
    parser.add_argument("--lpips-pairs", type=int, help="random pairs per condition or class (paper 50 / 10; label 50)")
    parser.add_argument("--real-count", type=int, help="real images used (text: paper 2000; label: a seeded random subset; default all)")
    parser.add_argument("--k", type=int, help="NDB bins (label 100, image 50 (facades 20), text 100, unpaired 20)")
    parser.add_argument("--alpha", type=float, default=0.05, help="significance of NDB's z-test")
    parser.add_argument("--ndb-n-init", type=int, default=DEFAULT_N_INIT,
                        help=f"K-means restarts for the NDB bins (default {DEFAULT_N_INIT}, scikit-learn's own; "
                             "10 = the scikit-learn the reference ndb.py was written against)")
    parser.add_argument("--features", default="auto",
                        help="FID features: inception (TTUR graph), digits / cifar10 / shapes (the shipped classifiers: "
                             "FID-digits / FID-CIFAR / FID-shapes), alexnet (LPIPS's ImageNet AlexNet conv5: FID-AlexNet, offline, "
                             "any RGB images), PATH.keras[:layer], none; auto = digits / shapes for those datasets, "
                             "else inception (the paper's FID)")
    parser.add_argument("--inception-graph", help="classify_image_graph_def.pb (offline; default: Keras cache/download)")
    parser.add_argument("--lpips-net", choices=("auto", "alex", "vgg", "none"), default="auto",
                        help="LPIPS backbone; auto = alex, except none for label-task images that are not RGB of at "
                             "least 31x31 (the 8x8 grayscale digits: AlexNet's taps do not fit them)")
    parser.add_argument("--lpips-weights", help="LPIPS .npz (default: the shipped AlexNet v0.1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write the full report here")
    parser.add_argument("--plot-dir", help="write the NDB PNGs here: bin proportions and the centres of the bins "
                        "each model over- and under-fills")
    parser.add_argument("--write-cards", action="store_true", help="put the table into the models' cards (section 'metrics')")
    args = parser.parse_args(argv)
    for key, value in PRESETS[args.preset].items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    for key in ("samples_per_class", "conditions", "samples_per_condition", "lpips_pairs", "k", "real_count", "ndb_n_init"):
        value = getattr(args, key, None)
        if value is not None and value < 1:
            parser.error(f"--{key.replace('_', '-')} must be >= 1, got {value}")
    if args.preset == "label" and args.samples_per_class < 2:
        parser.error("--samples-per-class must be >= 2 (FID and diversity need pairs)")
    if args.preset != "label" and args.samples_per_condition < 2:
        parser.error("--samples-per-condition must be >= 2 (diversity needs pairs)")
    if args.direction is not None and args.preset != "unpaired":
        parser.error("--direction is an option of --preset unpaired")
    return args


def main(argv=None):
    args = parse_args(argv)
    command = shlex.join(["python", "training/evaluate.py", *(argv if argv is not None else sys.argv[1:])])
    try:
        samplers = {args.model: evaluation.load_model(args.model)}
        if args.baseline:
            samplers = {args.baseline: evaluation.load_model(args.baseline), **samplers}
        protocol = evaluation.build_protocol(args, samplers[args.model])
        report = evaluation.evaluate_models(protocol, samplers)
    except (ValueError, FileNotFoundError, KeyError) as error:
        print(f"evaluate.py: error: {error.args[0] if error.args else error}", file=sys.stderr)
        return 2
    machine = machine_line()
    report.update(command=command, machine=machine)
    print(f"\nprotocol: {json.dumps({k: v for k, v in report['protocol'].items() if k not in ('rows', 'summary')})}")
    if "summary" in report["protocol"]:
        print(report["protocol"]["summary"])
    print(evaluation.format_table(report))
    print(f"machine: {machine}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n")
    if args.plot_dir:
        evaluation.write_plots(report, protocol, args.plot_dir)
    if args.write_cards:
        for name in samplers:
            if write_section(name, "metrics", evaluation.card_body(report, command, machine)) is None:
                print(f"evaluate.py: no card for {name} (no saved model directory)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
