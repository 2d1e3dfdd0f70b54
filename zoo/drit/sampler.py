"""Many translations of one image: the DRIT sampler (random attribute codes or a reference image)."""
import numpy as np

from zoo.drit.config import DIRECTIONS
from zoo.drit.networks import build_generator, translator_of
from zoo.sampling import to_uint8


def _check_count(num_samples):
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) or num_samples < 1:
        raise ValueError(f"num_samples must be an integer >= 1, got {num_samples!r}")


class DRITSampler:
    """Translations of a trained DRIT, in both directions.

    Inputs are prepared as the official ``test.py`` does: resized to ``load_size`` (bicubic), then
    the centre ``image_size`` crop; outputs are at the model's ``image_size`` (that crop).

    Attributes:
        generator: the zoo generator (``[image (N, S, S, C) in [-1, 1], code (N, nz)] -> image in
            [-1, 1]`` in ``config.direction``), :func:`zoo.drit.networks.build_generator`'s model.
        translator: the :class:`zoo.drit.networks.Translator` inside it (both directions).
        config: its :class:`zoo.drit.config.DRITConfig` (``direction`` is the default direction).
    """

    def __init__(self, generator, config):
        self.generator = generator
        self.translator = translator_of(generator)
        self.config = config

    def with_direction(self, direction):
        """This model's sampler whose default direction (and generator, the zoo's ``[condition, z]``
        model) is ``direction``, with the same weights; its config is named ``<name>_<direction>``
        unless ``direction`` is already the default (what ``python -m zoo.export --direction``
        exports)."""
        direction = self._direction(direction)
        if direction == self.config.direction:
            return self
        config = self.config.replace(direction=direction, name=f"{self.config.name}_{direction}")
        generator = build_generator(config)
        generator.set_weights(self.generator.get_weights())
        return DRITSampler(generator, config)

    def _direction(self, direction):
        direction = self.config.direction if direction is None else direction
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be 'a2b' or 'b2a', got {direction!r}")
        return direction

    def noise(self, count, seed=None):
        """``(count, nz)`` float32 attribute codes from N(0, 1) (the official ``get_z_random``)."""
        return np.random.default_rng(seed).standard_normal((count, self.config.nz)).astype(np.float32)

    def _check_images(self, images, domain, what="images"):
        images = np.asarray(images, dtype=np.float32)
        size, channels = self.config.image_size, self.config.input_dims[domain]
        if images.ndim != 4 or images.shape[1:] != (size, size, channels):
            raise ValueError(f"{what} must have shape (N, {size}, {size}, {channels}), got {images.shape}")
        return images

    def generate(self, images, z, direction=None):
        """Raw translations ``(N, S, S, C)`` in [-1, 1] of ``images (N, S, S, C)`` in [-1, 1]
        with attribute codes ``z (N, nz)``."""
        direction = self._direction(direction)
        images = self._check_images(images, direction[0])
        z = np.asarray(z, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.config.nz:
            raise ValueError(f"z must have shape (N, {self.config.nz}), got {z.shape}")
        if len(z) != len(images):
            raise ValueError(f"images and z differ in batch size: {len(images)} vs {len(z)}")
        return np.asarray(self.translator.translate(images, z, direction))

    def attribute_codes(self, images, domain):
        """Attribute codes ``(N, nz)`` of model-ready ``images`` of ``domain`` (``"a"`` / ``"b"``):
        the code (concat 0) or the mean of its Gaussian (concat 1)."""
        if domain not in ("a", "b"):
            raise ValueError(f"domain must be 'a' or 'b', got {domain!r}")
        return np.asarray(self.translator.attribute_code(self._check_images(images, domain), domain))

    def model_inputs(self, images):
        """uint8 ``(N, H, W, C)`` -> float32 ``(N, S, S, C)`` in [-1, 1]: resize to ``load_size``
        (bicubic), centre crop ``image_size`` (the official test transform)."""
        from PIL import Image

        load, size = self.config.load_size, self.config.image_size
        if images.shape[1:3] != (load, load):
            resized = [np.asarray(Image.fromarray(im.squeeze(-1) if im.shape[-1] == 1 else im)
                                  .resize((load, load), Image.BICUBIC)) for im in images]
            images = np.stack(resized).reshape(len(images), load, load, images.shape[-1])
        top = (load - size) // 2
        return images[:, top:top + size, top:top + size].astype(np.float32) / 127.5 - 1.0

    def _uint8_batch(self, image, domain, what):
        images = np.asarray(image)
        if images.dtype != np.uint8:
            raise ValueError(f"{what} must be uint8 in [0, 255], got dtype {images.dtype}")
        single = images.ndim == 3
        images = images[None] if single else images
        channels = self.config.input_dims[domain]
        if images.ndim != 4 or images.shape[-1] != channels or min(images.shape[:3]) < 1:
            raise ValueError(f"{what} must have shape (H, W, {channels}) or (N, H, W, {channels}), "
                             f"got {np.asarray(image).shape}")
        return self.model_inputs(images), single

    def sample(self, image, num_samples, seed=None, direction=None):
        """``num_samples`` translations per input image with random attribute codes.

        Args:
            image: uint8 ``(H, W, C)`` in [0, 255] of the source domain, or a batch ``(N, H, W, C)``.
            num_samples: translations (attribute codes) per input, >= 1.
            seed: seed of the codes; the same seed gives the same codes (the same codes in every
                row of a batch).
            direction: ``"a2b"`` or ``"b2a"``; the config's direction by default.

        Returns:
            uint8 ``(num_samples, S, S, C)`` for one image, ``(N, num_samples, S, S, C)`` for a batch.
        """
        _check_count(num_samples)
        direction = self._direction(direction)
        inputs, single = self._uint8_batch(image, direction[0], "image")
        codes = np.tile(self.noise(num_samples, seed), (len(inputs), 1))
        outputs = to_uint8(self.generate(np.repeat(inputs, num_samples, axis=0), codes, direction))
        outputs = outputs.reshape(len(inputs), num_samples, *outputs.shape[1:])
        return outputs[0] if single else outputs

    def translate(self, image, reference, direction=None):
        """``image``'s content with the attribute of ``reference`` (an image of the target domain).

        Args:
            image: uint8 ``(H, W, C)`` or ``(N, H, W, C)`` of the source domain.
            reference: uint8 ``(H, W, C)`` (used for every input) or ``(N, H, W, C)`` (one per input).

        Returns:
            uint8 ``(S, S, C)`` for one image, ``(N, S, S, C)`` for a batch.
        """
        direction = self._direction(direction)
        inputs, single = self._uint8_batch(image, direction[0], "image")
        references, _ = self._uint8_batch(reference, direction[-1], "reference")
        if len(references) not in (1, len(inputs)):
            raise ValueError(f"give one reference or one per image: {len(references)} references, {len(inputs)} images")
        codes = self.attribute_codes(references, direction[-1])
        codes = np.repeat(codes, len(inputs), axis=0) if len(codes) == 1 else codes
        outputs = to_uint8(self.generate(inputs, codes, direction))
        return outputs[0] if single else outputs
