"""2-D Gaussian mixtures where modes can be counted exactly, and their evaluation.

The two benchmarks of the unrolled-GAN, VEEGAN and PacGAN papers:

* ``ring8``: 8 Gaussians on a circle of radius 2, std 0.02. The angles are
  ``linspace(0, 2*pi, 9)[:-1]``; the ``linspace(0, 2*pi, 8)`` of many public scripts puts the
  first and last mode on top of each other and gives 7 modes.
* ``grid25``: 25 Gaussians with means ``{-4, -2, 0, 2, 4}^2``, std 0.05.

Evaluation as VEEGAN (Srivastava et al. 2017, sec. 5.1) and PacGAN (Lin et al. 2018, sec. 4)
do it on 2,500 generated samples: a sample is *high quality* if it lies within 3 standard
deviations of its nearest mode; a mode is *captured* if it is the nearest mode of at least one
high-quality sample. We add the per-mode counts and the reverse KL ``KL(p || uniform)`` of the
histogram ``p`` of high-quality samples over modes.
"""
import dataclasses
import math

import numpy as np

EVAL_SAMPLES = 2500
QUALITY_STDS = 3.0


@dataclasses.dataclass(frozen=True)
class Mixture2D:
    """An equal-weight mixture of isotropic 2-D Gaussians.

    Attributes:
        name: ``"ring8"`` or ``"grid25"`` (or any name for a custom mixture).
        means: ``(K, 2)`` float64 array of mode centres.
        std: the standard deviation of every component (both axes).
    """

    name: str
    means: np.ndarray
    std: float

    @property
    def num_modes(self):
        return len(self.means)

    def sample(self, n, seed=None):
        """``(n, 2)`` float32 samples; the component of each sample is uniform over modes."""
        if n < 1:
            raise ValueError(f"number of samples must be >= 1, got {n}")
        rng = np.random.default_rng(seed)
        component = rng.integers(0, self.num_modes, size=n)
        points = self.means[component] + self.std * rng.standard_normal((n, 2))
        return points.astype(np.float32)


def ring_means(num_modes=8, radius=2.0):
    """``(num_modes, 2)`` means evenly spaced on a circle (no duplicated first/last mode)."""
    angles = np.linspace(0.0, 2.0 * math.pi, num_modes + 1)[:-1]
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def grid_means(per_side=5, spacing=2.0):
    """``(per_side**2, 2)`` means on a square grid centred at 0 (``{-4,..,4}^2`` by default)."""
    axis = spacing * (np.arange(per_side) - (per_side - 1) / 2.0)
    xs, ys = np.meshgrid(axis, axis, indexing="ij")
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


MIXTURES = {
    "ring8": Mixture2D("ring8", ring_means(8, 2.0), 0.02),
    "grid25": Mixture2D("grid25", grid_means(5, 2.0), 0.05),
}


def get_mixture(name):
    """The benchmark mixture called ``name`` (``ring8`` or ``grid25``)."""
    if name not in MIXTURES:
        raise ValueError(f"unknown 2-D dataset {name!r}; known: {', '.join(sorted(MIXTURES))}")
    return MIXTURES[name]


def nearest_modes(samples, means):
    """Index of and distance to the nearest mode for every sample.

    Args:
        samples: ``(N, 2)`` points.
        means: ``(K, 2)`` mode centres.

    Returns:
        ``(index (N,) int, distance (N,) float64)``.
    """
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[1] != means.shape[1]:
        raise ValueError(f"expected samples of shape (N, {means.shape[1]}), got {samples.shape}")
    squared = ((samples[:, None, :] - means[None, :, :]) ** 2).sum(axis=-1)
    index = squared.argmin(axis=1)
    return index, np.sqrt(squared[np.arange(len(samples)), index])


def reverse_kl_to_uniform(counts):
    """``KL(p || uniform)`` in nats for the histogram ``counts`` over K modes.

    0 when every mode has the same count, ``log K`` when one mode has them all; ``inf`` for an
    empty histogram (no high-quality sample at all: the generator hit no mode).
    """
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    if total <= 0:
        return math.inf
    p = counts[counts > 0] / total
    return float(np.sum(p * np.log(p * len(counts))))


def evaluate_modes(samples, mixture, quality_stds=QUALITY_STDS):
    """The VEEGAN/PacGAN evaluation of generated 2-D samples.

    Args:
        samples: ``(N, 2)`` generated points (the papers use N = 2,500).
        mixture: the :class:`Mixture2D` the generator was trained on.
        quality_stds: a sample within ``quality_stds * mixture.std`` of its nearest mode is
            high quality.

    Returns:
        dict with ``modes_captured`` (int), ``num_modes``, ``high_quality`` (fraction in
        [0, 1]), ``reverse_kl`` (nats, of the high-quality mode histogram to uniform),
        ``counts`` (list of K ints: high-quality samples per mode) and ``num_samples``.
    """
    samples = np.asarray(samples)
    if len(samples) == 0:
        raise ValueError("evaluate_modes needs at least one sample")
    if not np.all(np.isfinite(samples)):
        raise ValueError("generated samples contain NaN or inf")
    index, distance = nearest_modes(samples, mixture.means)
    good = distance <= quality_stds * mixture.std
    counts = np.bincount(index[good], minlength=mixture.num_modes)
    return {
        "modes_captured": int((counts > 0).sum()),
        "num_modes": mixture.num_modes,
        "high_quality": float(good.mean()),
        "reverse_kl": reverse_kl_to_uniform(counts),
        "counts": counts.astype(int).tolist(),
        "num_samples": int(len(samples)),
    }
