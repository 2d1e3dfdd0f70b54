"""What it takes to ask a trained generator for many diverse samples: pieces shared by the families.

:class:`ImageSampler` serves both image-conditioned families (Pix2Pix, BicycleGAN); a family
with its own conditions keeps its sampler in its folder (``zoo/dcgan/sampler.py``). Reading and
writing model directories is :mod:`zoo.model_dir`.

PIL is imported only where an input must be resized: sampling at the model's own size, and
``to_uint8``, need NumPy alone.
"""
import numpy as np


def to_uint8(images):
    """[-1, 1] floats to uint8 [0, 255]."""
    return np.clip(np.rint((np.asarray(images) + 1.0) * 127.5), 0, 255).astype(np.uint8)


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
