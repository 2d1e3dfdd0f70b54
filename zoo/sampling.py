"""A trained generator and what it takes to ask it for many diverse samples."""
import json
import warnings
from pathlib import Path

import numpy as np

from zoo.conditions import class_ids

GENERATOR_WEIGHTS = "generator.weights.h5"
CONFIG_FILE = "config.json"


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


def to_uint8(images):
    """[-1, 1] floats to uint8 [0, 255]."""
    return np.clip(np.rint((np.asarray(images) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def save_generator(generator, config, directory):
    """Write ``generator.weights.h5`` and ``config.json`` into ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    generator.save_weights(directory / GENERATOR_WEIGHTS)
    config.to_json(directory / CONFIG_FILE)


def read_config(directory):
    """The config dataclass stored in ``directory/config.json``."""
    from zoo.registry import FAMILIES

    path = Path(directory) / CONFIG_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no {CONFIG_FILE} in {directory}")
    try:
        values = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from None
    family = values.get("family")
    if family not in FAMILIES:
        raise ValueError(f"{path}: unknown model family {family!r}")
    return FAMILIES[family].config_class.from_dict(values)


def sampler_from_weights(config, weights):
    """The family's sampler for ``config`` with the generator weights of one ``.weights.h5`` file."""
    from zoo.registry import get_family

    family = get_family(config.family)
    generator = family.build_generator(config)
    # Keras warns about every layer group it cannot match before it raises for the same file; our
    # one-line error says it all, so those warnings are shown only if the load succeeds.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            generator.load_weights(weights)
        except Exception as error:  # h5py/Keras raise many types for a damaged or mismatched file
            message = str(error).splitlines()[0] if str(error) else ""
            raise ValueError(f"cannot read generator weights {weights}: {type(error).__name__}: {message}") from None
    for warning in caught:
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    return family.sampler_class(generator, config)


def load_sampler(directory):
    """The family's sampler (e.g. :class:`LabelSampler`) from a :func:`save_generator` directory."""
    config = read_config(directory)
    weights = Path(directory) / GENERATOR_WEIGHTS
    if not weights.is_file():
        raise FileNotFoundError(f"no {GENERATOR_WEIGHTS} in {directory}")
    return sampler_from_weights(config, weights)


class ImageSampler:
    """Samples of an image-conditioned generator (Pix2Pix, BicycleGAN): many outputs per input.

    Attributes:
        generator: the Keras model ``[image (N, S, S, C) in [-1, 1], z (N, nz)] -> image in [-1, 1]``.
        config: the model's config dataclass (``image_size``, ``in_channels``, ``nz``).
    """

    def __init__(self, generator, config):
        self.generator = generator
        self.config = config

    def noise(self, count, seed=None):
        return np.random.default_rng(seed).standard_normal((count, self.config.nz)).astype(np.float32)

    def generate(self, condition, z):
        """Raw output ``(N, S, S, C)`` in [-1, 1] for ``condition (N, S, S, C)`` in [-1, 1], ``z (N, nz)``."""
        condition = np.asarray(condition, dtype=np.float32)
        z = np.asarray(z, dtype=np.float32)
        size, channels = self.config.image_size, self.config.in_channels
        if condition.ndim != 4 or condition.shape[1:] != (size, size, channels):
            raise ValueError(f"condition must have shape (N, {size}, {size}, {channels}), got {condition.shape}")
        if z.ndim != 2 or z.shape[1] != self.config.nz:
            raise ValueError(f"z must have shape (N, {self.config.nz}), got {z.shape}")
        if len(z) != len(condition):
            raise ValueError(f"condition and z differ in batch size: {len(condition)} vs {len(z)}")
        return np.asarray(self.generator([condition, z], training=False))

    def model_inputs(self, images):
        """uint8 ``(N, H, W, C)`` -> float32 ``(N, S, S, C)`` in [-1, 1] at the model's size (bicubic)."""
        from PIL import Image

        size = self.config.image_size
        if images.shape[1:3] != (size, size):
            images = np.stack([np.asarray(Image.fromarray(im).resize((size, size), Image.BICUBIC))
                               for im in images])
        return images.astype(np.float32) / 127.5 - 1.0

    def sample(self, image, num_samples, seed=None):
        """``num_samples`` outputs per input image, uint8 in the input's own size.

        Args:
            image: uint8 ``(H, W, C)`` in [0, 255], or a batch ``(N, H, W, C)``; any ``H, W``
                (resized to the model's ``image_size`` and the outputs back to ``H, W``).
            num_samples: outputs (different noise vectors) per input, >= 1.
            seed: seed of the noise; the same seed gives the same samples.

        Returns:
            ``(num_samples, H, W, C)`` uint8 for one image, ``(N, num_samples, H, W, C)`` for a batch.
        """
        from PIL import Image

        if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) or num_samples < 1:
            raise ValueError(f"num_samples must be an integer >= 1, got {num_samples!r}")
        images = np.asarray(image)
        if images.dtype != np.uint8:
            raise ValueError(f"image must be uint8 in [0, 255], got dtype {images.dtype}")
        single = images.ndim == 3
        images = images[None] if single else images
        channels = self.config.in_channels
        if images.ndim != 4 or images.shape[-1] != channels or min(images.shape[:3]) < 1:
            raise ValueError(f"image must have shape (H, W, {channels}) or (N, H, W, {channels}), "
                             f"got {np.asarray(image).shape}")
        count, height, width = images.shape[:3]
        condition = np.repeat(self.model_inputs(images), num_samples, axis=0)
        outputs = to_uint8(self.generate(condition, self.noise(count * num_samples, seed)))
        if (height, width) != outputs.shape[1:3]:
            outputs = np.stack([np.asarray(Image.fromarray(im).resize((width, height), Image.BICUBIC))
                                for im in outputs])
        outputs = outputs.reshape(count, num_samples, *outputs.shape[1:])
        return outputs[0] if single else outputs
