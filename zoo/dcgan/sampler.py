"""Samples of a class-conditioned generator, by class id or class name."""
import numpy as np

from zoo.conditions import class_ids
from zoo.sampling import to_uint8


class LabelSampler:
    """Samples of a class-conditioned generator.

    Attributes:
        generator: the Keras model ``[one_hot, z] -> image in [-1, 1]``.
        config: the model's config dataclass.
    """

    def __init__(self, generator, config):
        self.generator = generator
        self.config = config

    @property
    def class_names(self):
        return tuple(self.config.class_names)

    def class_ids(self, condition):
        """Class ids ``(N,)`` for an id, a name, or a sequence of either."""
        return class_ids(condition, self.class_names, self.config.num_classes, self.config.name)

    def one_hot(self, class_ids):
        return np.eye(self.config.num_classes, dtype=np.float32)[class_ids]

    def noise(self, count, seed=None):
        return np.random.default_rng(seed).standard_normal((count, self.config.nz)).astype(np.float32)

    def generate(self, condition, z):
        """Raw generator output in [-1, 1] for one-hot ``condition (N, classes)``, ``z (N, nz)``."""
        condition = np.asarray(condition, dtype=np.float32)
        z = np.asarray(z, dtype=np.float32)
        expected = (self.config.num_classes,)
        if condition.ndim != 2 or condition.shape[1:] != expected:
            raise ValueError(f"condition must have shape (N, {expected[0]}) (one-hot), got {condition.shape}")
        if condition.size and not (np.isfinite(condition).all() and condition.min() >= 0 and condition.max() <= 1):
            raise ValueError("condition must be one-hot rows with values in [0, 1], "
                             f"got values in [{condition.min():.3g}, {condition.max():.3g}]")
        if z.ndim != 2 or z.shape[1] != self.config.nz:
            raise ValueError(f"z must have shape (N, {self.config.nz}), got {z.shape}")
        if len(z) != len(condition):
            raise ValueError(f"condition and z differ in batch size: {len(condition)} vs {len(z)}")
        return np.asarray(self.generator([condition, z], training=False))

    def sample(self, condition, num_samples, seed=None):
        """``num_samples`` images per condition as uint8 in [0, 255].

        Args:
            condition: a class id (int), a class name (str), or a list of either.
            num_samples: how many samples (different noise vectors) per condition, >= 1.
            seed: seed of the noise; the same seed gives the same samples.

        Returns:
            ``(num_samples, H, W, C)`` uint8 for one condition, ``(N, num_samples, H, W, C)``
            for a list of N conditions.
        """
        if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) or num_samples < 1:
            raise ValueError(f"num_samples must be an integer >= 1, got {num_samples!r}")
        ids = self.class_ids(condition)
        z = self.noise(len(ids) * num_samples, seed)
        images = self.generate(self.one_hot(np.repeat(ids, num_samples)), z)
        images = to_uint8(images).reshape(len(ids), num_samples, *images.shape[1:])
        single = isinstance(condition, (int, np.integer, str))
        return images[0] if single else images
