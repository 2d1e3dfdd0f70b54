"""What the zoo needs to know about a model family to build, train, sample and ship it."""
import dataclasses
from typing import Callable, Optional


@dataclasses.dataclass(frozen=True)
class ExportGraph:
    """The inference graph an export traces (SavedModel and ONNX), described without TensorFlow.

    Attributes:
        forward: ``forward(condition, *noise) -> image``: TensorFlow tensors in, the generated
            ``(N, H, W, C)`` float32 image in [-1, 1] out; ``noise`` in the order of ``noise``.
        condition_shape: the condition's shape without the batch axis.
        condition_dtype: ``"float32"`` or ``"int32"`` (token ids).
        condition_kind: ``"label"`` (one-hot), ``"image"`` (in [-1, 1]), ``"tokens"`` (caption
            token ids, 0-padded) or ``"embedding"`` (sentence embedding).
        noise: ``((name, size), ...)``: the noise inputs, ``("z", nz)`` first; each standard normal.
        image_shape: the output's shape without the batch axis.
        trackable: the Keras model whose variables ``forward`` reads (the SavedModel tracks it).
        metadata: extra ``str -> str`` entries for the export's metadata (how a runtime without
            the zoo prepares conditions and draws noise).
    """

    forward: Callable
    condition_shape: tuple
    condition_dtype: str
    condition_kind: str
    noise: tuple
    image_shape: tuple
    trackable: object
    metadata: dict = dataclasses.field(default_factory=dict)


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
        export_graph: ``sampler -> ExportGraph`` for a family whose generator is not a plain
            functional ``[condition, z] -> image`` model or whose conditions need more than a
            one-hot label or a resized image (``python -m zoo.export``); None: the export reads
            the generator's own inputs and outputs.
    """

    name: str
    config_class: type
    build_generator: Callable
    gan_class: type
    sampler_class: type
    convert_checkpoint: Optional[Callable] = None
    export_graph: Optional[Callable] = None
