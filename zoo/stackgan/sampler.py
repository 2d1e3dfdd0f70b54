"""Samples of a StackGAN++ generator from captions (shapes task) or sentence embeddings (CUB)."""
import numpy as np
from keras import ops

from zoo.captions import caption_list
from zoo.sampling import to_uint8
from zoo.stackgan.text import CaptionTokenizer


def _check_count(num_samples):
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) or num_samples < 1:
        raise ValueError(f"num_samples must be an integer >= 1, got {num_samples!r}")


class TextSampler:
    """Many images per sentence.

    Attributes:
        generator: the :class:`zoo.stackgan.networks.StackGenerator`.
        config: its :class:`zoo.stackgan.config.StackGANConfig`.
        tokenizer: the :class:`zoo.stackgan.text.CaptionTokenizer` for models with a caption
            encoder (``config.text_encoder``), else None (conditions are sentence embeddings).
    """

    def __init__(self, generator, config):
        self.generator = generator
        self.config = config
        self.tokenizer = (CaptionTokenizer(config.vocabulary, config.max_caption_words)
                          if config.text_encoder else None)

    def noise(self, count, seed=None):
        """``(count, nz)`` standard normal z."""
        return np.random.default_rng(seed).standard_normal((count, self.config.nz)).astype(np.float32)

    def _check_condition(self, condition):
        if self.tokenizer is not None:
            condition = np.asarray(condition)
            if condition.ndim != 2 or condition.shape[1] != self.config.max_caption_words:
                raise ValueError(f"condition must be token ids (N, {self.config.max_caption_words}), "
                                 f"got shape {condition.shape}")
            return condition.astype(np.int32)
        condition = np.asarray(condition, dtype=np.float32)
        if condition.ndim != 2 or condition.shape[1] != self.config.text_dim:
            raise ValueError(f"condition must be sentence embeddings (N, {self.config.text_dim}), got shape {condition.shape}")
        if not np.isfinite(condition).all():
            raise ValueError("sentence embeddings must be finite")
        return condition

    def generate_branches(self, condition, z, ca_eps=None, seed=None):
        """Every branch's raw images, ``[(N, s, s, 3), ...]`` in [-1, 1], plus ``mu`` and ``logvar`` ``(N, E)``.

        Args:
            condition: ``(N, text_dim)`` sentence embeddings, or ``(N, L)`` token ids for a model
                with a caption encoder.
            z: ``(N, nz)`` noise.
            ca_eps: ``(N, embedding_dim)`` conditioning-augmentation noise; drawn (standard normal,
                from ``seed``) when None.
        """
        condition = self._check_condition(condition)
        z = np.asarray(z, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.config.nz:
            raise ValueError(f"z must have shape (N, {self.config.nz}), got {z.shape}")
        if len(z) != len(condition):
            raise ValueError(f"condition and z differ in batch size: {len(condition)} vs {len(z)}")
        if ca_eps is None:
            ca_eps = np.random.default_rng(seed).standard_normal((len(z), self.config.embedding_dim))
        ca_eps = np.asarray(ca_eps, dtype=np.float32)
        if ca_eps.shape != (len(z), self.config.embedding_dim):
            raise ValueError(f"ca_eps must have shape ({len(z)}, {self.config.embedding_dim}), got {ca_eps.shape}")
        images, mu, logvar = self.generator.branches(condition, z, ca_eps, training=False)
        return [ops.convert_to_numpy(i) for i in images], ops.convert_to_numpy(mu), ops.convert_to_numpy(logvar)

    def generate(self, condition, z, ca_eps=None, seed=None):
        """The last branch's raw images ``(N, S, S, 3)`` float32 in [-1, 1], NHWC (see :meth:`generate_branches`)."""
        return self.generate_branches(condition, z, ca_eps, seed)[0][-1]

    def encode(self, condition):
        """Conditions as the generator takes them: token ids for captions (validated, one-line
        errors; see :func:`zoo.stackgan.text.check_caption`), float32 embeddings otherwise.
        Returns ``(array (N, ...), single)``."""
        if self.tokenizer is not None:
            captions, single = caption_list(condition)
            return self.tokenizer(captions), single
        embeddings = np.asarray(condition, dtype=np.float32)
        single = embeddings.ndim == 1
        return (embeddings[None] if single else embeddings), single

    def sample(self, condition, num_samples, seed=None):
        """``num_samples`` images per condition as uint8 in [0, 255], at the last branch's size.

        Args:
            condition: a caption (str) or a list of captions for a model with a caption encoder
                (``"a big green triangle"``); a sentence embedding ``(text_dim,)`` or a batch
                ``(N, text_dim)`` otherwise.
            num_samples: images (different z and CA noise) per condition, >= 1.
            seed: seed of the noise; the same seed gives the same samples.

        Returns:
            ``(num_samples, S, S, 3)`` uint8 for one condition, ``(N, num_samples, S, S, 3)`` for N.
        """
        _check_count(num_samples)
        encoded, single = self.encode(condition)
        rng = np.random.default_rng(seed)
        count = len(encoded) * num_samples
        z = rng.standard_normal((count, self.config.nz)).astype(np.float32)
        ca_eps = rng.standard_normal((count, self.config.embedding_dim)).astype(np.float32)
        images = to_uint8(self.generate(np.repeat(encoded, num_samples, axis=0), z, ca_eps))
        images = images.reshape(len(encoded), num_samples, *images.shape[1:])
        return images[0] if single else images
