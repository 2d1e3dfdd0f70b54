"""Diversity of the samples of one condition: the quantity mode seeking is meant to raise."""
import numpy as np


def mean_pairwise_l1(samples):
    """Mean L1 distance over all unordered pairs of ``samples``.

    Args:
        samples: ``(n, ...)`` array, n >= 2, e.g. n images of one condition in [-1, 1].

    Returns:
        ``mean_{i<j} mean|s_i - s_j|`` as a float; 0 for n identical samples.
    """
    samples = np.asarray(samples, dtype=np.float64).reshape(len(samples), -1)
    n = len(samples)
    if n < 2:
        raise ValueError(f"mean_pairwise_l1 needs at least 2 samples, got {n}")
    total = 0.0
    for i in range(n - 1):
        total += np.abs(samples[i + 1:] - samples[i]).mean(axis=1).sum()
    return float(total / (n * (n - 1) / 2))


def per_condition_l1_diversity(samples):
    """Within-condition diversity for a ``(conditions, n, ...)`` array.

    Returns:
        ``(mean over conditions, array of per-condition mean pairwise L1)``.
    """
    samples = np.asarray(samples)
    if samples.ndim < 3:
        raise ValueError(f"expected (conditions, n, ...) samples, got shape {samples.shape}")
    per_condition = np.array([mean_pairwise_l1(s) for s in samples])
    return float(per_condition.mean()), per_condition
