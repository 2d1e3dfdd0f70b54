"""The unpaired image-to-image protocol (DRIT, cat -> dog): diversity, distribution and layout kept.

Inputs are the first ``conditions`` (100) test images of the source domain (``testA`` for a2b,
``testB`` for b2a), each translated ``samples_per_condition`` (50) times with seeded N(0, 1)
attribute codes. Every image (inputs and references) gets the model's test transform (resize to
``load_size``, bicubic; centre ``image_size`` crop), so generated and real images share their framing.

* FID / KID on ``features`` (offline: FID-AlexNet) against the target domain's train + test
  images (cat2dog: 238 + 100 dogs). The 100 test images alone are fewer than the 256 AlexNet
  feature dimensions: their covariance would be singular (rank <= 99) and the FID mostly the bias
  of estimating it. KID is unbiased at any size and uses the same set.
* LPIPS diversity over ``lpips_pairs`` (50) random pairs of each input's translations, averaged
  (the authors' protocol).
* NDB / JSD with K (20) bins fitted on the target domain's *test* images (100 dogs: about 5 per
  bin; the paper does not give K for this task, 20 is this zoo's choice for that reference size).
* L1 diversity and its colour / structure split, and the saturation, as every preset.
* Layout kept (:mod:`zoo.metrics.layout`): on the test inputs, does each translation keep its
  own input's layout (pose, head position) better than another input's? The layout-map ratio on
  every translation, and the LPIPS ratio on the first ``LAYOUT_LPIPS_SAMPLES`` of each input.
"""
import numpy as np

from zoo.training.evaluation.protocols import (DIVERSITY_KEYS, KID_SUBSET_SIZE, KID_SUBSETS, diversity_rows,
                                               diversity_scores, draw, feature_scores, to_unit)
from zoo.training.evaluation.progress import progress_bar
from zoo.metrics.diversity import lpips_diversity, saturation
from zoo.metrics.layout import LAYOUT_SIZE, layout_ratio, lpips_layout_ratio
from zoo.metrics.ndb import DEFAULT_N_INIT, fit_bins

LAYOUT_LPIPS_SAMPLES = 10  # translations per input in the LPIPS layout ratio (2 LPIPS calls each)
DOMAINS = {"a2b": ("A", "B"), "b2a": ("B", "A")}


def centre_crop(images, image_size):
    """uint8 ``(N, L, L, C)`` -> uint8 ``(N, S, S, C)``, the centre ``image_size`` crop (DRIT's test
    transform after the resize to ``L = load_size``); ``image_size`` None keeps the images."""
    images = np.asarray(images)
    if image_size is None:
        return images
    if min(images.shape[1:3]) < image_size:
        raise ValueError(f"images of {images.shape[1]}x{images.shape[2]} cannot be cropped to {image_size}")
    top, left = (images.shape[1] - image_size) // 2, (images.shape[2] - image_size) // 2
    return images[:, top:top + image_size, left:left + image_size]


class UnpairedProtocol:
    """Unpaired translation: N test inputs x n codes; FID vs the target domain, NDB vs its test images,
    LPIPS and L1 diversity, and whether each output keeps its own input's layout.

    Args:
        inputs: ``(N, L, L, C)`` uint8 source-domain test images resized to the model's
            ``load_size`` L (what ``sampler.sample`` takes), N >= 2.
        fid_real: ``(M, L, L, C)`` uint8 target-domain images for FID / KID (train + test).
        ndb_real: ``(K', L, L, C)`` uint8 target-domain test images for the NDB bins.
        train_real: ``(T, L, L, C)`` uint8 target-domain training images (the saturation column).
        image_size: the model's crop S: every image above is centre-cropped to it for scoring
            (the sampler crops its inputs the same way); None: no crop.
        direction: ``"a2b"`` or ``"b2a"``; every sampler is scored in it (``with_direction``).
        features: FID feature extractor or None; lpips: a :class:`zoo.metrics.LPIPS` or None.
        samples_per_condition, lpips_pairs, k, seed, alpha, n_init: the protocol's counts.
        sources: ``{"inputs", "fid_real", "ndb_real"}`` names of the folders they came from.
    """

    name = "unpaired"

    def __init__(self, inputs, fid_real, ndb_real, train_real, image_size=None, direction="a2b", features=None, lpips=None,
                 samples_per_condition=50, lpips_pairs=50, k=20, seed=0, alpha=0.05, n_init=DEFAULT_N_INIT,
                 sources=None):
        if direction not in DOMAINS:
            raise ValueError(f"direction must be 'a2b' or 'b2a', got {direction!r}")
        if len(inputs) < 2:
            raise ValueError(f"the unpaired protocol needs at least 2 test inputs (the layout ratio compares "
                             f"each with the others), got {len(inputs)}")
        if len(ndb_real) < k:
            raise ValueError(f"K={k} bins need at least {k} target-domain test images, got {len(ndb_real)} "
                             f"(pass a smaller --k)")
        inputs, fid_real, ndb_real, train_real = (np.asarray(a) for a in (inputs, fid_real, ndb_real, train_real))
        shapes = {tuple(a.shape[1:]) for a in (inputs, fid_real, ndb_real, train_real)}
        if len(shapes) != 1:
            raise ValueError(f"inputs and reference images differ in shape: {sorted(shapes)}")
        source, target = DOMAINS[direction]
        self.sources = sources or {"inputs": f"test{source}", "fid_real": f"train{target} + test{target}",
                                   "ndb_real": f"test{target}"}
        # the sampler takes the inputs at load_size; the scores see them as the model does (cropped)
        self.inputs, self.seen_inputs = inputs, centre_crop(inputs, image_size)
        fid_real, ndb_real, train_real = (centre_crop(a, image_size) for a in (fid_real, ndb_real, train_real))
        self.direction, self.features, self.lpips = direction, features, lpips
        self.samples_per_condition, self.lpips_pairs, self.k = samples_per_condition, lpips_pairs, k
        self.seed, self.alpha, self.n_init = seed, alpha, n_init
        self.fid_count, self.ndb_count = len(fid_real), len(ndb_real)
        self.image_shape = tuple(self.seen_inputs.shape[1:])
        self.real_features = features(fid_real) if features is not None else None
        self.bins = fit_bins(to_unit(ndb_real), k=k, seed=seed, n_init=n_init)
        self.reference = {"metrics": {"saturation": saturation(to_unit(train_real))}, "per_condition": {}}
        self.train_count = len(train_real)

    def describe(self):
        features = self.features.name if self.features is not None else "none"
        count, per = len(self.inputs), self.samples_per_condition
        total = count * per
        lpips_name = self.lpips.protocol if self.lpips is not None else "none"
        lpips_layout = min(LAYOUT_LPIPS_SAMPLES, per)
        rows = {
            "fid": f"FID, lower is better ({features}; {total} translations = {count} {self.sources['inputs']} "
                   f"inputs x {per}, vs {self.fid_count} {self.sources['fid_real']} images)",
            "kid": f"KID, lower is better (same features and sets; unbiased MMD^2, cubic kernel, {KID_SUBSETS} "
                   f"subsets of <= {KID_SUBSET_SIZE})",
            "lpips": f"LPIPS diversity, higher is more diverse ({lpips_name}; {self.lpips_pairs} random pairs of "
                     f"each input's {per} translations, mean of {count})",
            "ndb_ratio": f"NDB/K, lower is better (K={self.k} bins on {self.ndb_count} {self.sources['ndb_real']} "
                         f"images, K-means n_init {self.n_init}, alpha {self.alpha}; {total} translations)",
            "ndb": f"NDB (K={self.k})",
            "jsd": "JSD, lower is better (same bins; natural log)",
            **diversity_rows(per, "input"),
            "layout_ratio": f"layout kept, higher is better: layout L1 to other inputs / to its own input "
                            f"(gray, {LAYOUT_SIZE}x{LAYOUT_SIZE} area mean, standardized, either polarity; "
                            f"all {total} translations vs {count} inputs; 1 = ignores its input)",
            "layout_own": "  layout L1 to its own input, lower keeps more of it",
            "layout_other": "  layout L1 to the other inputs",
            "lpips_layout_ratio": f"LPIPS to other inputs / to its own input, higher is better (first "
                                  f"{lpips_layout} translations per input, one random other input each; "
                                  f"sees texture too)",
            "lpips_own": "  LPIPS to its own input",
            "lpips_other": "  LPIPS to another input",
        }
        if self.image_shape[-1] != 3:
            rows.pop("saturation")
        if self.features is None:
            rows.pop("fid")
            rows.pop("kid")
        if self.lpips is None:
            for key in ("lpips", "lpips_layout_ratio", "lpips_own", "lpips_other"):
                rows.pop(key)
        return {"preset": self.name, "direction": self.direction, "conditions": count,
                "samples_per_condition": per, "inputs": self.sources["inputs"],
                "fid_reference": f"{self.fid_count} {self.sources['fid_real']}",
                "ndb_reference": f"{self.ndb_count} {self.sources['ndb_real']}",
                "image_size": self.image_shape[0], "features": features, "lpips": lpips_name,
                "lpips_pairs": self.lpips_pairs, "k": self.k, "ndb_n_init": self.n_init, "alpha": self.alpha,
                "seed": self.seed, "layout": {"size": LAYOUT_SIZE, "lpips_samples": lpips_layout},
                "summary": self.summary(features, lpips_name), "rows": rows,
                "reference": f"training images: the saturation of the {self.train_count} target-domain training "
                             f"images (train{DOMAINS[self.direction][1]})"}

    def summary(self, features, lpips_name):
        """The protocol in one paragraph (cards and console)."""
        count, per = len(self.inputs), self.samples_per_condition
        size = self.image_shape[0]
        return (f"Unpaired {self.direction}: the first {count} {self.sources['inputs']} images at the model's test "
                f"transform ({size}x{size} centre crop), {per} translations each with seeded N(0, 1) attribute codes. "
                f"FID/KID: {features} vs the {self.fid_count} {self.sources['fid_real']} images (the test images "
                f"alone are fewer than the feature dimensions: a singular covariance). NDB/JSD: K={self.k} bins on "
                f"the {self.ndb_count} {self.sources['ndb_real']} images (K is this zoo's choice for ~100 reference "
                f"images; the paper gives none). LPIPS: {lpips_name}, {self.lpips_pairs} random pairs per input. "
                f"Layout kept: distance of each translation to the other inputs over the distance to its own input, "
                f"on {LAYOUT_SIZE}x{LAYOUT_SIZE} standardized gray maps (zoo.metrics.layout) and with LPIPS; "
                f"1 = the output ignores its input.")

    def translations(self, sampler):
        """``(N, n, S, S, C)`` uint8 translations of every input in this protocol's direction."""
        if not callable(getattr(sampler, "with_direction", None)):
            raise ValueError(f"the unpaired preset scores two-domain translation models (the drit family); "
                             f"got a {type(sampler).__name__}")
        sampler = sampler.with_direction(self.direction)
        progress = progress_bar(len(self.inputs), "input")
        samples = []
        for i, image in enumerate(self.inputs):
            samples.append(draw(sampler, image, self.samples_per_condition, seed=self.seed + i))
            progress.add(1)
        samples = np.stack(samples)
        if samples.shape[2:] != self.image_shape:
            raise ValueError(f"the model translates to {samples.shape[2:]} images, the references are "
                             f"{self.image_shape} (models of one run must share image_size)")
        return samples

    def evaluate(self, sampler):
        samples = self.translations(sampler)
        flat = samples.reshape(-1, *samples.shape[2:])
        scores = self.bins.evaluate(to_unit(flat), alpha=self.alpha)
        diversity = [diversity_scores(s) for s in samples]
        layout = layout_ratio(to_unit(samples), to_unit(self.seen_inputs))
        metrics = {"ndb_ratio": scores["ndb_ratio"], "ndb": scores["ndb"], "jsd": scores["jsd"],
                   **{key: float(np.mean([row[key] for row in diversity])) for key in DIVERSITY_KEYS
                      if key in diversity[0]},
                   "layout_ratio": layout["ratio"], "layout_own": layout["own"], "layout_other": layout["other"]}
        per_condition = {"layout_ratio": layout["per_input"].tolist()}
        if self.features is not None:
            metrics.update(feature_scores(self.real_features, self.features, flat))
        if self.lpips is not None:
            metrics["lpips"], per = lpips_diversity(samples, self.lpips, self.lpips_pairs, seed=self.seed)
            per_condition["lpips"] = per.tolist()
            kept = lpips_layout_ratio(samples[:, :LAYOUT_LPIPS_SAMPLES], self.seen_inputs, self.lpips, seed=self.seed)
            metrics.update(lpips_layout_ratio=kept["ratio"], lpips_own=kept["own"], lpips_other=kept["other"])
        return {"metrics": metrics, "per_condition": per_condition,
                "ndb_bins": {k: scores[k].tolist() for k in ("train_proportions", "generated_proportions", "different_bins")}}
