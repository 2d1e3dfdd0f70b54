"""What the zoo needs to know about a model family to build, train and sample it."""
import dataclasses
from typing import Callable, Optional


@dataclasses.dataclass(frozen=True)
class Family:
    """One model family (``dcgan``, ``pix2pix``, ...).

    Attributes:
        name: the family name stored in every config (``config.family``).
        config_class: its config dataclass.
        build_generator: ``config -> keras.Model`` ``[condition, z] -> image``.
        gan_class: the trainable :class:`zoo.base.ConditionalGAN` subclass, ``gan_class(config)``.
        sampler_class: ``sampler_class(generator, config)`` with ``sample(condition, n, seed)``.
        convert_checkpoint: ``(config, path, out_dir, **options) -> config``: the official
            PyTorch checkpoint at ``path`` into a zoo model directory (``python -m zoo.convert``;
            contract in :mod:`zoo.convert`), or None when the family has no converter.
    """

    name: str
    config_class: type
    build_generator: Callable
    gan_class: type
    sampler_class: type
    convert_checkpoint: Optional[Callable] = None
