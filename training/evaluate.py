"""Evaluate zoo models with the MSGAN paper's protocols: ``python training/evaluate.py``.

    # label task (the shipped digits models, side by side, FID-digits + NDB/JSD + L1 diversity)
    python training/evaluate.py --preset label --model msgan_dcgan_digits --baseline dcgan_digits \\
        --samples-per-class 1000 --k 10 --json runs/eval_digits.json

    # label task on CIFAR-10 offline: FID-CIFAR (the shipped CIFAR-10 classifier) + LPIPS + NDB/JSD
    python training/evaluate.py --preset label --model msgan_dcgan_cifar10 --baseline dcgan_cifar10 \\
        --data-dir ../shared/data/cifar10 --features cifar10 --samples-per-class 1000 --json runs/eval_cifar10.json

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

Every preset splits the L1 diversity into colour (pairwise L1 of the samples' mean colours) and
structure (pairwise L1 with each sample's mean colour removed), with the mean saturation for RGB
(:func:`zoo.metrics.colour_split`); the label preset adds a ``training images`` column: the same
diversity figures (and LPIPS) on each class's real images, the level a faithful model would reach
(the image and text presets: only the training images' saturation, as there is one target per input).

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

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from zoo.metrics.diversity import colour_split, lpips_diversity, mean_pairwise_l1, saturation  # noqa: E402
from zoo.metrics.fid import feature_statistics, frechet_distance, kid  # noqa: E402
from zoo.metrics.ndb import DEFAULT_N_INIT, fit_bins, plot_bin_centers, plot_bin_proportions  # noqa: E402

PRESETS = {
    "label": {"samples_per_class": 5000, "k": 100, "diversity_samples": 50, "lpips_pairs": 50},
    "image": {"conditions": 100, "samples_per_condition": 50, "lpips_pairs": 50, "k": 50},
    "text": {"conditions": 200, "samples_per_condition": 10, "lpips_pairs": 10, "k": 100, "real_count": 2000},
}
DIGITS_CLASSIFIER = Path(__file__).resolve().parent.parent / "saved_models" / "digits_classifier" / "model.keras"
CIFAR10_CLASSIFIER = Path(__file__).resolve().parent.parent / "saved_models" / "cifar10_classifier" / "model.keras"
SAMPLE_CHUNK = 500
KID_SUBSETS, KID_SUBSET_SIZE = 100, 1000
DIVERSITY_KEYS = ("l1_diversity", "colour_l1", "residual_l1", "saturation")
REFERENCE = "training images"  # the column of the real images' own diversity


def diversity_scores(images):
    """Pixel L1 diversity of one condition's uint8 images and its colour/structure split."""
    unit = to_unit(images)
    return {"l1_diversity": mean_pairwise_l1(unit), **colour_split(unit)}


def diversity_rows(count, unit):
    """Row labels of the L1 diversity and its colour split (``count`` samples per ``unit``)."""
    return {
        "l1_diversity": f"L1 diversity, higher is more diverse (mean pairwise L1 distance of {count} samples per "
                        f"{unit} in [-1, 1])",
        "colour_l1": "  of which colour: mean pairwise L1 of the same samples' mean colours (tint, brightness)",
        "residual_l1": "  of which structure: mean pairwise L1 after each sample's mean colour is removed",
        "saturation": "saturation: mean std over RGB per pixel (0 = gray; compare with the training images)",
    }


def to_unit(images):
    """uint8 [0, 255] -> float32 [-1, 1] (NDB and L1 compare images in the generators' range)."""
    return np.asarray(images, np.float32) / 127.5 - 1.0


def draw(sampler, condition, count, seed):
    """``count`` uint8 samples of one condition, drawn in chunks (bounded memory), seeded."""
    chunks, start = [], 0
    while start < count:
        size = min(SAMPLE_CHUNK, count - start)
        chunk_seed = int(np.random.SeedSequence([seed, start]).generate_state(1)[0])
        chunks.append(np.asarray(sampler.sample(condition, size, seed=chunk_seed)))
        start += size
    return np.concatenate(chunks)


def feature_scores(real_features, features, generated):
    """FID and KID (mean over subsets) of ``generated`` uint8 images against real features."""
    fake = features(generated)
    kid_mean, _ = kid(real_features, fake, num_subsets=KID_SUBSETS, subset_size=KID_SUBSET_SIZE)
    return {"fid": frechet_distance(*feature_statistics(real_features), *feature_statistics(fake)), "kid": kid_mean}


class LabelProtocol:
    """Per-class FID, NDB/JSD and within-class L1 and LPIPS diversity (the paper's label task).

    Args:
        real_images: ``(N, H, W, C)`` uint8 training images; real_labels: ``(N,)`` class ids.
        class_names: names of the classes, in id order.
        features: a feature extractor (``images -> (n, d)``, with ``.name``) or None (no FID).
        samples_per_class, k, seed, alpha: the protocol's counts (see the module docstring).
        diversity_samples: the first this-many samples of each class enter the L1 diversity.
        lpips: a :class:`zoo.metrics.LPIPS` or None (no LPIPS row); it scores the generated
            images at their own size, so they must be at least ``zoo.metrics.lpips.MIN_SIZE``.
        lpips_pairs: random pairs per class, drawn among all ``samples_per_class`` samples.
    """

    name = "label"

    def __init__(self, real_images, real_labels, class_names, features=None, samples_per_class=5000, k=100,
                 seed=0, alpha=0.05, diversity_samples=50, lpips=None, lpips_pairs=50, n_init=DEFAULT_N_INIT):
        import keras

        self.class_names, self.features, self.lpips = list(class_names), features, lpips
        self.samples_per_class, self.k, self.seed, self.alpha = samples_per_class, k, seed, alpha
        self.n_init = n_init
        self.diversity_samples = min(diversity_samples, samples_per_class)
        self.lpips_pairs, self.image_size = lpips_pairs, tuple(real_images.shape[1:3])
        self.image_shape = tuple(real_images.shape[1:])  # what the NDB bins' centres reshape to
        if lpips is not None:
            check_lpips_size(lpips, self.image_size)
        self.real_features, self.bins, self.reference_rows = [], [], []
        progress = keras.utils.Progbar(len(self.class_names), unit_name="class")
        for c in range(len(self.class_names)):
            real = real_images[real_labels == c]
            if len(real) < k:
                raise ValueError(f"K={k} bins need at least {k} training images per class; class "
                                 f"{self.class_names[c]!r} has {len(real)} (pass a smaller --k)")
            if features is not None:
                self.real_features.append(features(real))
            self.bins.append(fit_bins(to_unit(real), k=k, seed=seed, n_init=n_init))
            self.reference_rows.append(self.real_diversity(real, c))
            progress.add(1)
        self.real_counts = [int((real_labels == c).sum()) for c in range(len(self.class_names))]
        keys = [key for key in self.reference_rows[0] if key != "class"]
        self.reference = {"metrics": {key: float(np.mean([row[key] for row in self.reference_rows])) for key in keys},
                          "per_condition": self.reference_rows}

    def real_diversity(self, real, c):
        """The diversity measures of one class's training images (the reference column)."""
        rng = np.random.default_rng([self.seed, c])
        subset = real[np.sort(rng.choice(len(real), min(self.diversity_samples, len(real)), replace=False))]
        row = {"class": self.class_names[c], **diversity_scores(subset)}
        if self.lpips is not None:
            row["lpips"], _ = lpips_diversity(real[None], self.lpips, self.lpips_pairs, seed=self.seed + c)
        return row

    def describe(self):
        features = self.features.name if self.features is not None else "none"
        height, width = self.image_size
        lpips_row = {} if self.lpips is None else {
            "lpips": f"within-class LPIPS diversity, higher is more diverse ({self.lpips.protocol}; per class "
                     f"{self.lpips_pairs} random pairs among its {self.samples_per_class} generated images, scored at "
                     f"their own {height}x{width} size, no resize; mean of {len(self.class_names)} classes)"}
        description = {
            "preset": "label",
            "samples_per_class": self.samples_per_class,
            "real_per_class": f"{min(self.real_counts)}-{max(self.real_counts)}",
            "classes": len(self.class_names),
            "features": features,
            "lpips": self.lpips.protocol if self.lpips is not None else "none",
            "lpips_pairs": self.lpips_pairs,
            "k": self.k, "ndb_n_init": self.n_init, "alpha": self.alpha, "seed": self.seed,
            "rows": {
                "fid": f"FID, lower is better ({features}; per class {self.samples_per_class} generated vs that class's "
                       f"training images; mean of {len(self.class_names)} classes)",
                "kid": f"KID, lower is better (same features; unbiased MMD^2, cubic kernel, {KID_SUBSETS} subsets "
                       f"of <= {KID_SUBSET_SIZE}; mean over classes)",
                **lpips_row,
                "ndb_ratio": f"NDB/K, lower is better (K={self.k} bins per class on the class's training images, K-means "
                             f"n_init {self.n_init}, alpha {self.alpha}; mean over classes)",
                "ndb": f"NDB (K={self.k} per class; mean over classes)",
                "jsd": "JSD, lower is better (same bins; natural log; mean over classes)",
                **diversity_rows(self.diversity_samples, "class"),
            },
            "reference": f"{REFERENCE}: the same diversity measures on each class's real training images "
                         f"({self.diversity_samples} seeded random ones for L1"
                         + (f", {self.lpips_pairs} random pairs among all of them for LPIPS" if self.lpips else "")
                         + "), the level a model that matches the data would reach",
        }
        if self.image_shape[-1] != 3:
            description["rows"].pop("saturation")
        return description

    def evaluate(self, sampler):
        import keras

        per_class = []
        progress = keras.utils.Progbar(len(self.class_names), unit_name="class")
        for c, name in enumerate(self.class_names):
            generated = draw(sampler, c, self.samples_per_class, seed=self.seed + c)
            scores = self.bins[c].evaluate(to_unit(generated), alpha=self.alpha)
            row = {"class": name, "ndb": scores["ndb"], "ndb_ratio": scores["ndb_ratio"], "jsd": scores["jsd"],
                   **diversity_scores(generated[:self.diversity_samples]),
                   "train_proportions": scores["train_proportions"].tolist(),
                   "generated_proportions": scores["generated_proportions"].tolist(),
                   "different_bins": scores["different_bins"].tolist()}
            if self.features is not None:
                row.update(feature_scores(self.real_features[c], self.features, generated))
            if self.lpips is not None:
                row["lpips"], _ = lpips_diversity(generated[None], self.lpips, self.lpips_pairs, seed=self.seed + c)
            per_class.append(row)
            progress.add(1)
        keys = ((["fid", "kid"] if self.features is not None else []) + (["lpips"] if self.lpips is not None else [])
                + ["ndb_ratio", "ndb", "jsd"] + [key for key in DIVERSITY_KEYS if key in per_class[0]])
        return {"metrics": {key: float(np.mean([row[key] for row in per_class])) for key in keys},
                "per_condition": per_class}


class ConditionProtocol:
    """The image- and text-task protocols: conditions x samples, FID vs a real set, LPIPS pairs, NDB.

    Args:
        name: ``"image"`` or ``"text"``.
        conditions: the inputs given to ``sampler.sample`` (uint8 images, or sentences).
        real_images: ``(N, H, W, C)`` uint8 training images (FID reference, NDB bins).
        features: feature extractor or None; lpips: a :class:`zoo.metrics.LPIPS` or None.
        samples_per_condition, lpips_pairs, k, seed, alpha: the protocol's counts.
    """

    def __init__(self, name, conditions, real_images, features=None, lpips=None, samples_per_condition=50,
                 lpips_pairs=50, k=50, seed=0, alpha=0.05, n_init=DEFAULT_N_INIT):
        if len(real_images) < k:
            raise ValueError(f"K={k} bins need at least {k} real images, got {len(real_images)} (pass a smaller --k)")
        if len(conditions) < 1:
            raise ValueError("no conditions to evaluate")
        self.name, self.conditions, self.features, self.lpips = name, list(conditions), features, lpips
        self.samples_per_condition, self.lpips_pairs, self.k = samples_per_condition, lpips_pairs, k
        self.seed, self.alpha, self.real_count, self.n_init = seed, alpha, len(real_images), n_init
        self.real_features = features(real_images) if features is not None else None
        self.bins = fit_bins(to_unit(real_images), k=k, seed=seed, n_init=n_init)
        self.image_shape = tuple(np.shape(real_images)[1:])
        # One real target per input: no within-condition diversity to compare with, only the colours.
        self.reference = ({"metrics": {"saturation": saturation(to_unit(real_images))}, "per_condition": {}}
                          if self.image_shape[-1] == 3 else None)

    def describe(self):
        features = self.features.name if self.features is not None else "none"
        total = len(self.conditions) * self.samples_per_condition
        rows = {
            "fid": f"FID, lower is better ({features}; {total} generated = {len(self.conditions)} {self.name} conditions x "
                   f"{self.samples_per_condition}, vs {self.real_count} training images)",
            "kid": f"KID, lower is better (same features and sets; unbiased MMD^2, cubic kernel, {KID_SUBSETS} "
                   f"subsets of <= {KID_SUBSET_SIZE})",
            "lpips": f"LPIPS diversity, higher is more diverse ({self.lpips.protocol if self.lpips else 'none'}; {self.lpips_pairs} random "
                     f"pairs per condition, mean of {len(self.conditions)})",
            "ndb_ratio": f"NDB/K, lower is better (K={self.k} bins on {self.real_count} training images, K-means n_init "
                         f"{self.n_init}, alpha {self.alpha}; {total} generated)",
            "ndb": f"NDB (K={self.k})",
            "jsd": "JSD, lower is better (same bins; natural log)",
            **diversity_rows(self.samples_per_condition, "condition"),
        }
        if self.image_shape[-1] != 3:
            rows.pop("saturation")
        reference = {} if self.reference is None else {
            "reference": f"{REFERENCE}: the saturation of the {self.real_count} training images (one target per "
                         f"input, so no within-input diversity to compare with)"}
        if self.features is None:
            rows.pop("fid")
            rows.pop("kid")
        if self.lpips is None:
            rows.pop("lpips")
        return {"preset": self.name, "conditions": len(self.conditions), "samples_per_condition": self.samples_per_condition,
                "real_images": self.real_count, "features": features, "lpips_pairs": self.lpips_pairs,
                "k": self.k, "ndb_n_init": self.n_init, "alpha": self.alpha, "seed": self.seed, "rows": rows, **reference}

    def evaluate(self, sampler):
        import keras

        progress = keras.utils.Progbar(len(self.conditions), unit_name="condition")
        samples = []
        for i, condition in enumerate(self.conditions):
            samples.append(draw(sampler, condition, self.samples_per_condition, seed=self.seed + i))
            progress.add(1)
        samples = np.stack(samples)  # (conditions, n, H, W, C) uint8
        flat = samples.reshape(-1, *samples.shape[2:])
        scores = self.bins.evaluate(to_unit(flat), alpha=self.alpha)
        diversity = [diversity_scores(s) for s in samples]
        metrics = {"ndb_ratio": scores["ndb_ratio"], "ndb": scores["ndb"], "jsd": scores["jsd"],
                   **{key: float(np.mean([row[key] for row in diversity])) for key in diversity[0]}}
        per_condition = {}
        if self.features is not None:
            metrics.update(feature_scores(self.real_features, self.features, flat))
        if self.lpips is not None:
            metrics["lpips"], per = lpips_diversity(samples, self.lpips, self.lpips_pairs, seed=self.seed)
            per_condition["lpips"] = per.tolist()
        return {"metrics": metrics, "per_condition": per_condition,
                "ndb_bins": {k: scores[k].tolist() for k in ("train_proportions", "generated_proportions", "different_bins")}}


def check_lpips_size(lpips, image_size):
    """One-line error when images are too small for the LPIPS backbone (e.g. 8x8 digits)."""
    from zoo.metrics.lpips import MIN_SIZE

    if min(image_size) < MIN_SIZE[lpips.net]:
        raise ValueError(f"LPIPS {lpips.net} needs images of at least {MIN_SIZE[lpips.net]}x{MIN_SIZE[lpips.net]}, "
                         f"these are {image_size[0]}x{image_size[1]} (pass --lpips-net none)")


def evaluate_models(protocol, samplers, log=print):
    """``{label: sampler}`` -> the JSON-ready report: the protocol and every model's results.

    ``log`` names each model before its progress bar (``None``: silent).
    """
    models = {}
    for label, sampler in samplers.items():
        if log is not None:
            log(f"scoring {label}")
        models[label] = protocol.evaluate(sampler)
    report = {"protocol": protocol.describe(), "models": models}
    if getattr(protocol, "reference", None) is not None:
        report["reference"] = protocol.reference
    return report


def model_labels(names):
    """Table names of models given by zoo name or directory: a directory's name, not its path
    (``runs/a/msgan_x`` -> ``msgan_x``), unless two models would then share a name."""
    short = [Path(name).name or name for name in names]
    return short if len(set(short)) == len(short) else list(names)


def table_columns(report):
    """``[(name, results)]``: every model, then the training images' own figures where measured.

    A model given as a directory is named by the directory alone (``runs/a/msgan_x`` -> ``msgan_x``)
    unless two models would then share a name; the JSON report keeps what was passed.
    """
    columns = list(zip(model_labels(report["models"]), report["models"].values()))
    if "reference" in report:
        columns.append((REFERENCE, report["reference"]))
    return columns


def format_table(report):
    """Console table: one row per metric (its protocol in the row name), one column per model.

    A last column gives the training images' own diversity (label task) as the level to compare with.
    """
    rows = report["protocol"]["rows"]
    columns = table_columns(report)
    models = [name for name, _ in columns]
    widths = [max(len(m), 10) for m in models]
    lines = [" | ".join(["metric (protocol)".ljust(60)] + [m.rjust(w) for m, w in zip(models, widths)])]
    lines.append("-" * len(lines[0]))
    for key, label in rows.items():
        values = [results["metrics"].get(key) for _, results in columns]
        cells = [("-" if v is None else f"{v:.4f}").rjust(w) for v, w in zip(values, widths)]
        lines.append(" | ".join([label.ljust(60)] + cells) if len(label) <= 60 else
                     label + "\n" + " | ".join([" " * 60] + cells))
    return "\n".join(lines)


def markdown_table(report):
    columns = table_columns(report)
    lines = ["| metric (protocol) | " + " | ".join(m if m == REFERENCE else f"`{m}`" for m, _ in columns) + " |",
             "|---|" + "---|" * len(columns)]
    for key, label in report["protocol"]["rows"].items():
        values = [results["metrics"].get(key) for _, results in columns]
        lines.append(f"| {label} | " + " | ".join("-" if v is None else f"{v:.4f}" for v in values) + " |")
    return "\n".join(lines)


PER_CLASS_COLUMNS = (("fid", "FID"), ("lpips", "LPIPS"), ("ndb", "NDB"), ("jsd", "JSD"), ("l1_diversity", "L1 div."),
                     ("saturation", "sat."))


def per_class_markdown(report):
    """Label preset: one row per class, each metric side by side for every model ('' otherwise).

    The means in the main table hide where models differ; e.g. one class with a far higher FID.
    Diversity columns end with the class's training images ("train") as the level to compare with.
    """
    if report["protocol"]["preset"] != "label":
        return ""
    sources = table_columns(report)
    first = sources[0][1]["per_condition"]
    # (metric, column header, per-class rows) for every model, then the training images where measured.
    cells = [(key, f"{title} train" if name == REFERENCE else f"{title} `{name}`",
              results["per_condition"])
             for key, title in PER_CLASS_COLUMNS if key in first[0]
             for name, results in sources if key in results["per_condition"][0]]
    lines = ["| class | " + " | ".join(header for _, header, _ in cells) + " |", "|---|" + "---|" * len(cells)]
    for c, row in enumerate(first):
        text = [str(rows[c][key]) if key == "ndb" else f"{rows[c][key]:.4f}" for key, _, rows in cells]
        lines.append(f"| {row['class']} | " + " | ".join(text) + " |")
    return "\n".join(lines)


# --- the command line --------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python training/evaluate.py",
                                     description="Evaluate zoo models with the MSGAN paper's protocols (FID, LPIPS, NDB/JSD).",
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="label")
    parser.add_argument("--model", default="msgan_dcgan_digits", help="zoo name or saved model directory")
    parser.add_argument("--baseline", help="a second model scored on the same reference statistics (side by side)")
    parser.add_argument("--data-dir", help="label: dataset dir (default: the dataset's loader); image: pix2pix layout")
    parser.add_argument("--condition-file", help="text: one sentence per line")
    parser.add_argument("--real-dir", help="text: folder of training images (searched recursively)")
    parser.add_argument("--samples-per-class", type=int, help="label (paper 5000)")
    parser.add_argument("--conditions", type=int, help="image/text: number of test conditions (paper 100 / 200)")
    parser.add_argument("--samples-per-condition", type=int, help="image/text (paper 50 / 10)")
    parser.add_argument("--lpips-pairs", type=int, help="random pairs per condition or class (paper 50 / 10; label 50)")
    parser.add_argument("--real-count", type=int, help="real images used (text: paper 2000; label: a seeded random subset; default all)")
    parser.add_argument("--k", type=int, help="NDB bins (label 100, image 50 (facades 20), text 100)")
    parser.add_argument("--alpha", type=float, default=0.05, help="significance of NDB's z-test")
    parser.add_argument("--ndb-n-init", type=int, default=DEFAULT_N_INIT,
                        help=f"K-means restarts for the NDB bins (default {DEFAULT_N_INIT}, scikit-learn's own; "
                             "10 = the scikit-learn the reference ndb.py was written against)")
    parser.add_argument("--features", default="auto",
                        help="FID features: inception (TTUR graph), digits / cifar10 (the shipped classifiers: "
                             "FID-digits / FID-CIFAR), alexnet (LPIPS's ImageNet AlexNet conv5: FID-AlexNet, offline, "
                             "any RGB images), PATH.keras[:layer], none; auto = digits for the digits dataset, "
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
    return args


def feature_spec(spec, dataset=None):
    """``--features auto`` resolved: the shipped classifier for digits, the paper's Inception otherwise."""
    if spec == "auto":
        return "digits" if dataset == "digits" else "inception"
    return spec


def make_lpips(net, weights=None, image_shape=None):
    """The LPIPS metric named by ``--lpips-net``, or None.

    ``auto`` is AlexNet unless ``image_shape`` (``(H, W, C)``, label task) is not RGB or smaller
    than the backbone's minimum: an LPIPS of tiled 8x8 grayscale digits would not mean anything.
    """
    from zoo.metrics.lpips import LPIPS, MIN_SIZE

    if net == "auto":
        fits = image_shape is None or (image_shape[-1] == 3 and min(image_shape[:2]) >= MIN_SIZE["alex"])
        net = "alex" if fits else "none"
    return None if net == "none" else LPIPS(net, weights=weights)


def make_features(spec, dataset=None, inception_graph=None):
    """The FID feature extractor named by ``--features``."""
    from zoo.metrics.fid import InceptionGraph, KerasFeatures

    spec = feature_spec(spec, dataset)
    if spec == "none":
        return None
    if spec == "inception":
        return InceptionGraph(inception_graph)
    if spec == "alexnet":
        from zoo.metrics import alexnet_features

        return alexnet_features()
    if spec == "digits":
        if not DIGITS_CLASSIFIER.is_file():
            raise FileNotFoundError(f"digit classifier not found: {DIGITS_CLASSIFIER}; train it with "
                                    f"`python training/train_digit_classifier.py`")
        return KerasFeatures(DIGITS_CLASSIFIER, layer="features", name="FID-digits: shipped digits_classifier/features")
    if spec == "cifar10":
        if not CIFAR10_CLASSIFIER.is_file():
            raise FileNotFoundError(f"CIFAR-10 classifier not found: {CIFAR10_CLASSIFIER}; train it with "
                                    f"`python training/train_cifar_classifier.py --data-dir ../shared/data/cifar10`")
        return KerasFeatures(CIFAR10_CLASSIFIER, layer="features",
                             name="FID-CIFAR: shipped cifar10_classifier/features (JPEG q75 CIFAR-10)")
    path, _, layer = spec.partition(":") if not Path(spec).is_file() else (spec, "", "")
    return KerasFeatures(path, layer=layer or None, name=f"{Path(path).name}" + (f"/{layer}" if layer else ""))


def load_model(name):
    import zoo

    return zoo.load(name)


def label_data(config, data_dir, limit=None, seed=0):
    """The training images of a label task as uint8 ``(N, H, W, C)`` and labels ``(N,)``.

    ``limit`` keeps a seeded random subset of that size: a folder tree lists its images class by
    class, so its first ``limit`` images would leave whole classes out.
    """
    from training.data import load_label_data
    from zoo.sampling import to_uint8

    dataset, _, _ = load_label_data(config, data_dir, split="train")
    images, labels = [], []
    for one_hot, image in dataset.batch(1024):
        images.append(to_uint8(image.numpy()))
        labels.append(one_hot.numpy().argmax(axis=1))
    images, labels = np.concatenate(images), np.concatenate(labels)
    if limit is not None and limit < len(images):
        keep = np.sort(np.random.default_rng(seed).choice(len(images), limit, replace=False))
        images, labels = images[keep], labels[keep]
    return images, labels


def image_folder_uint8(root, limit=None, size=None):
    from PIL import Image

    from training.data import IMAGE_SUFFIXES

    paths = sorted(p for p in Path(root).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)[:limit]
    if not paths:
        raise FileNotFoundError(f"no images in {root}")
    images = []
    for path in paths:
        with Image.open(path) as image:
            image = image.convert("RGB")
            images.append(np.asarray(image.resize((size, size), Image.BICUBIC) if size else image))
    return np.stack(images)


def build_protocol(args, sampler):
    from zoo.sampling import to_uint8

    config = sampler.config
    features = make_features(args.features, getattr(config, "dataset", None), args.inception_graph)
    if args.preset == "label":
        images, labels = label_data(config, args.data_dir, args.real_count, args.seed)
        lpips = make_lpips(args.lpips_net, args.lpips_weights, images.shape[1:])
        print(f"reference: {len(images)} training images, {len(config.class_names)} classes "
              f"({'features and ' if features is not None else ''}K={args.k} NDB bins per class)")
        return LabelProtocol(images, labels, config.class_names, features, args.samples_per_class, args.k,
                             args.seed, args.alpha, PRESETS["label"]["diversity_samples"], lpips, args.lpips_pairs,
                             args.ndb_n_init)
    lpips = make_lpips(args.lpips_net, args.lpips_weights)
    if args.preset == "image":
        from training.paired_data import load_pairs

        if args.data_dir is None:
            raise ValueError("--preset image needs --data-dir (pix2pix layout: train/ and val/ side-by-side pairs)")
        inputs, _ = load_pairs(args.data_dir, config.image_size, split="val", limit=args.conditions)
        _, targets = load_pairs(args.data_dir, config.image_size, split="train", limit=args.real_count)
        conditions = list(to_uint8(inputs))
        real = to_uint8(targets)
    else:
        if not (args.condition_file and args.real_dir):
            raise ValueError("--preset text needs --condition-file (one sentence per line) and --real-dir")
        path = Path(args.condition_file)
        if not path.is_file():
            raise FileNotFoundError(f"condition file not found: {path}")
        conditions = [line.strip() for line in path.read_text().splitlines() if line.strip()][:args.conditions]
        real = image_folder_uint8(args.real_dir, args.real_count, getattr(config, "image_size", None))
    print(f"reference: {len(real)} training images, {len(conditions)} {args.preset} conditions "
          f"({'features and ' if features is not None else ''}K={args.k} NDB bins)")
    return ConditionProtocol(args.preset, conditions, real, features, lpips, args.samples_per_condition,
                             args.lpips_pairs, args.k, args.seed, args.alpha, args.ndb_n_init)


def write_plots(report, protocol, plot_dir):
    """Per class (label) or once (image/text): the bin-proportion chart and the bin-centre picture."""
    plot_dir = Path(plot_dir)
    models = list(report["models"])
    labels = [Path(m).name or m for m in models]  # a model directory's name, not its whole path
    keys = ("train_proportions", "generated_proportions", "different_bins")
    if isinstance(protocol, LabelProtocol):
        for c, name in enumerate(protocol.class_names):
            results = [{k: np.asarray(report["models"][m]["per_condition"][c][k]) for k in keys} for m in models]
            title = f"class {name}: K={protocol.k} bins, train vs generated"
            plot_bin_proportions(results, plot_dir / f"ndb_class_{name}.png", title=title, labels=labels)
            plot_bin_centers(protocol.bins[c], results, plot_dir / f"ndb_centers_class_{name}.png",
                             protocol.image_shape, title=f"class {name}: K={protocol.k} bins", labels=labels,
                             scale=max(1, 96 // protocol.image_shape[1]))
    else:
        results = [{k: np.asarray(report["models"][m]["ndb_bins"][k]) for k in keys} for m in models]
        title = f"{protocol.name}: K={protocol.k} bins"
        plot_bin_proportions(results, plot_dir / "ndb.png", title=title, labels=labels)
        plot_bin_centers(protocol.bins, results, plot_dir / "ndb_centers.png", protocol.image_shape, title=title,
                         labels=labels, scale=max(1, 96 // protocol.image_shape[1]))


def paper_deviations(protocol):
    """``"k 10 (paper 100), ..."`` for every count that differs from the preset's paper value."""
    paper = PRESETS[protocol["preset"]]
    changed = [f"{key.replace('_', ' ')} {protocol[key]} (paper {value})" for key, value in paper.items()
               if key in protocol and protocol[key] != value]
    return ", ".join(changed)


def card_body(report, command, machine):
    protocol = report["protocol"]
    deviations = paper_deviations(protocol)
    note = f" Counts differ from the paper's: {deviations}." if deviations else ""
    per_class = per_class_markdown(report)
    per_class = f"\n\nPer class (the same run; NDB = different bins of K={protocol['k']}):\n\n{per_class}" if per_class else ""
    return (f"Measured with `{command}` on {machine}.\n\n"
            f"Protocol `{protocol['preset']}`; every model scored against the same reference statistics and "
            f"NDB bins (seed {protocol['seed']}).{note}\n\n{markdown_table(report)}{per_class}")


def main(argv=None):
    args = parse_args(argv)
    from zoo.machine import machine_line

    command = shlex.join(["python", "training/evaluate.py", *(argv if argv is not None else sys.argv[1:])])
    try:
        samplers = {args.model: load_model(args.model)}
        if args.baseline:
            samplers = {args.baseline: load_model(args.baseline), **samplers}
        protocol = build_protocol(args, samplers[args.model])
        report = evaluate_models(protocol, samplers)
    except (ValueError, FileNotFoundError, KeyError) as error:
        print(f"evaluate.py: error: {error.args[0] if error.args else error}", file=sys.stderr)
        return 2
    machine = machine_line()
    report.update(command=command, machine=machine)
    print(f"\nprotocol: {json.dumps({k: v for k, v in report['protocol'].items() if k != 'rows'})}")
    print(format_table(report))
    print(f"machine: {machine}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n")
    if args.plot_dir:
        write_plots(report, protocol, args.plot_dir)
    if args.write_cards:
        from zoo.cards import write_section

        for name in samplers:
            if write_section(name, "metrics", card_body(report, command, machine)) is None:
                print(f"evaluate.py: no card for {name} (no saved model directory)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
