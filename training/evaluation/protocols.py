"""The MSGAN paper's evaluation protocols: sample a model, score it against shared references.

Presets (counts default to the paper's; pass smaller ones for CPU runs and tests):

* ``label``: per class, generate ``samples_per_class`` images (paper 5,000); FID of each
  class against that class's training images, averaged over classes; NDB/JSD per class with
  K bins fitted on that class's training images, averaged; within-class mean pairwise L1; and,
  for RGB images of at least 31x31 (LPIPS' AlexNet needs that much), within-class LPIPS over
  ``lpips_pairs`` (50) random pairs of the class's samples, averaged over classes.
* ``image``: ``conditions`` test inputs (paper 100) x ``samples_per_condition`` (50) =
  5,000 images; FID against the training targets; LPIPS over ``lpips_pairs`` (50) random
  pairs per input, averaged; NDB/JSD with K = 50 (paper: 20 for facades).
* ``text``: ``conditions`` sentences (200) x 10 samples = 2,000 images vs ``real_count``
  (2,000) training images; LPIPS over 10 pairs per sentence; NDB/JSD with K = 100.

Every preset splits the L1 diversity into colour and structure, with the mean saturation for
RGB (:func:`zoo.metrics.colour_split`); the label preset adds a ``training images`` reference:
the same diversity figures (and LPIPS) on each class's real images.

A protocol computes its reference statistics (real features, NDB bins) once, in its
constructor, and :func:`evaluate_models` scores every model against them, so a baseline and
its MS twin are compared on identical bins. Building a protocol from options (data, features,
LPIPS) is :mod:`zoo.training.evaluation.sources`; tables, cards and plots :mod:`zoo.training.evaluation.report`.
"""
import numpy as np

from zoo.training.evaluation.progress import progress_bar
from zoo.metrics.diversity import colour_split, lpips_diversity, mean_pairwise_l1, saturation
from zoo.metrics.fid import feature_statistics, frechet_distance, kid
from zoo.metrics.lpips import MIN_SIZE
from zoo.metrics.ndb import DEFAULT_N_INIT, fit_bins

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
        self.class_names, self.features, self.lpips = list(class_names), features, lpips
        self.samples_per_class, self.k, self.seed, self.alpha = samples_per_class, k, seed, alpha
        self.n_init = n_init
        self.diversity_samples = min(diversity_samples, samples_per_class)
        self.lpips_pairs, self.image_size = lpips_pairs, tuple(real_images.shape[1:3])
        self.image_shape = tuple(real_images.shape[1:])  # what the NDB bins' centres reshape to
        if lpips is not None:
            check_lpips_size(lpips, self.image_size)
        self.real_features, self.bins, self.reference_rows = [], [], []
        progress = progress_bar(len(self.class_names), "class")
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
        per_class = []
        progress = progress_bar(len(self.class_names), "class")
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
        progress = progress_bar(len(self.conditions), "condition")
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
