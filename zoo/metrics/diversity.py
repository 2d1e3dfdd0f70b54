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


def colour_split(samples):
    """Split the pixel L1 diversity of one condition's samples into colour and structure.

    Mode seeking rewards any pixel difference between two samples, and a global shift of an
    image's colour is the cheapest one to make. This tells the two kinds apart:

    * ``colour_l1``: mean pairwise L1 between the samples' mean colours (one value per channel,
      the image's average): how much the samples differ in overall tint and brightness.
    * ``residual_l1``: mean pairwise L1 after each sample has its own mean colour taken away:
      how much they differ in layout, shape and texture.
    * ``saturation`` (RGB only, else absent): mean over pixels of the standard deviation over the
      three channels; 0 for gray images. Compare it with the training images'.

    Args:
        samples: ``(n, H, W, C)`` images of one condition in [-1, 1], n >= 2.

    Returns:
        ``{"colour_l1", "residual_l1"[, "saturation"]}`` as floats.
    """
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 4:
        raise ValueError(f"colour_split expects (n, H, W, C) images, got shape {samples.shape}")
    mean = samples.mean(axis=(1, 2), keepdims=True)  # (n, 1, 1, C)
    scores = {"colour_l1": mean_pairwise_l1(mean), "residual_l1": mean_pairwise_l1(samples - mean)}
    if samples.shape[-1] == 3:
        scores["saturation"] = saturation(samples)
    return scores


def saturation(images):
    """Mean over pixels of the standard deviation over R, G, B: 0 for gray images.

    Args:
        images: ``(..., 3)`` RGB images in [-1, 1] (e.g. ``(n, H, W, 3)``).
    """
    images = np.asarray(images, dtype=np.float64)
    if images.shape[-1] != 3:
        raise ValueError(f"saturation needs RGB images (last axis 3), got shape {images.shape}")
    return float(images.std(axis=-1).mean())


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


def random_pairs(num_samples, num_pairs, seed=0):
    """``num_pairs`` random index pairs ``(num_pairs, 2)`` of distinct samples out of ``num_samples``.

    Pairs are drawn with replacement across pairs (as the MSGAN authors' 50 random pairs out of
    50 samples), never pairing a sample with itself.
    """
    if num_samples < 2:
        raise ValueError(f"need at least 2 samples per condition to form pairs, got {num_samples}")
    if num_pairs < 1:
        raise ValueError(f"num_pairs must be >= 1, got {num_pairs}")
    rng = np.random.default_rng(seed)
    first = rng.integers(0, num_samples, num_pairs)
    # An offset in 1..n-1 picks a different sample uniformly.
    second = (first + rng.integers(1, num_samples, num_pairs)) % num_samples
    return np.stack([first, second], axis=1)


def lpips_diversity(samples, lpips, num_pairs=50, seed=0):
    """Within-condition LPIPS diversity, the MSGAN paper's protocol.

    Args:
        samples: ``(conditions, n, H, W, C)`` images (uint8, or floats in [-1, 1]), n samples
            of each condition (paper: 50 for image-to-image, 10 for text-to-image).
        lpips: a :class:`zoo.metrics.LPIPS` (or any callable ``(x0, x1) -> (N,)`` distances).
        num_pairs: random pairs per condition (paper: 50, or 10 for text).
        seed: seed of the pair draws (condition c uses ``seed + c``).

    Returns:
        ``(mean over conditions, per-condition mean LPIPS (conditions,))``.
    """
    samples = np.asarray(samples)
    if samples.ndim != 5:
        raise ValueError(f"expected (conditions, n, H, W, C) samples, got shape {samples.shape}")
    per_condition = np.empty(len(samples))
    for c, condition_samples in enumerate(samples):
        pairs = random_pairs(len(condition_samples), num_pairs, seed + c)
        per_condition[c] = float(np.mean(lpips(condition_samples[pairs[:, 0]], condition_samples[pairs[:, 1]])))
    return float(per_condition.mean()), per_condition
