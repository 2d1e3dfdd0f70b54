"""Within-class diversity of label-conditioned models: mean pairwise L1 between samples of a class.

For every class, ``num_samples`` images are drawn with the same noise for every model (seeded)
and the mean L1 distance over all pairs of them is computed on the generator's [-1, 1] output;
the table reports the mean over classes and the lowest class (a collapsed class shows there
first). ``training/diversity.py`` is its command line.
"""
import numpy as np

from zoo.training.data import digits_arrays
from zoo.metrics.diversity import per_condition_l1_diversity


def class_diversity(sampler, num_samples=50, seed=0):
    """Per-class mean pairwise L1 of ``num_samples`` samples on [-1, 1].

    Returns ``{"mean": float, "min": float, "per_class": [float, ...]}``.
    """
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
    images, labels = digits_arrays()
    rng = np.random.default_rng(seed)
    groups = [images[rng.choice(np.flatnonzero(labels == c), num_samples, replace=False)] for c in range(10)]
    mean, per_class = per_condition_l1_diversity(np.stack(groups))
    return {"lambda_ms": float("nan"), "mean": mean, "min": float(per_class.min()),
            "per_class": per_class.round(5).tolist()}


def table(results, num_samples, seed):
    """Markdown: one row per model (and the real digits), mean and lowest per-class diversity."""
    lines = [f"Within-class diversity: mean pairwise L1 of {num_samples} samples per class "
             f"(generator output in [-1, 1], noise seed {seed}, the same noise for every model).", "",
             "| model | lambda_ms | mean over classes | lowest class |", "|---|---|---|---|"]
    for name, r in results.items():
        ms = "-" if np.isnan(r["lambda_ms"]) else f"{r['lambda_ms']:g}"
        lines.append(f"| `{name}` | {ms} | {r['mean']:.4f} | {r['min']:.4f} |")
    return "\n".join(lines)
