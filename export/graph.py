"""Which graph an export traces: the family's :class:`zoo.family.ExportGraph`, or the generator's own.

Families whose generator is a functional ``[condition, z] -> image`` model with a one-hot or
image condition (DCGAN, Pix2Pix, BicycleGAN) need nothing: :func:`generator_graph` reads the
generator's inputs and outputs. DRIT and StackGAN++ describe theirs with ``Family.export_graph``.
"""
from zoo.family import ExportGraph
from zoo.registry import get_family


def condition_kind(generator):
    """``"label"`` for a one-hot ``(N, classes)`` condition, ``"image"`` for ``(N, H, W, C)``."""
    rank = len(generator.inputs[0].shape)
    if rank == 2:
        return "label"
    if rank == 4:
        return "image"
    raise ValueError(f"cannot export a generator whose condition has rank {rank} (expected 2 or 4)")


def generator_graph(generator, nz):
    """The :class:`ExportGraph` of a functional ``[condition, z] -> image`` Keras model."""
    return ExportGraph(
        forward=lambda condition, z: generator([condition, z], training=False),
        condition_shape=tuple(generator.inputs[0].shape[1:]), condition_dtype="float32",
        condition_kind=condition_kind(generator), noise=(("z", int(nz)),),
        image_shape=tuple(generator.outputs[0].shape[1:]), trackable=generator)


def export_graph(sampler):
    """The graph to export for ``sampler`` (what ``zoo.load`` returns)."""
    family = get_family(sampler.config.family)
    if family.export_graph is not None:
        return family.export_graph(sampler)
    return generator_graph(sampler.generator, sampler.config.nz)
