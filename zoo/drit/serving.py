"""What ``python -m zoo.export`` traces for DRIT: one translation direction, the attribute code as the noise.

The exported graph is the zoo generator (:func:`zoo.drit.networks.build_generator`):
``[condition (N, S, S, C) in [-1, 1], z (N, nz)] -> (N, S, S, C)`` in [-1, 1], the content
encoder of the source domain and the generator of the target domain with ``z`` as the attribute
code (the official ``test_forward``), in ``config.direction`` (``a2b`` for the zoo names). The
content encoder's Gaussian noise layer is a training-only branch: it is traced with
``training=False`` and leaves no random op in the graph.

The other direction is a separate export (``python -m zoo.export NAME --direction b2a``, written
as ``NAME_b2a``), not a second signature: the two directions share no weights (content encoder
B and generator A against content encoder A and generator B), so one export per direction ships
only what it runs, and every export keeps the zoo's one ``(condition, z) -> image`` contract
that TF Serving's default signature, ONNX Runtime and ``OnnxSampler`` expect.

The metadata tells a runtime without the zoo how ``DRITSampler.sample`` prepares its inputs
(resize to ``load_size``, centre crop ``image_size``) and draws codes (``num_samples`` codes
shared by every input image). The SavedModel's ``sample`` signature is the zoo's generic one: it
draws an independent code for every (image, sample) row from its seed.
"""
from zoo.family import ExportGraph


def export_graph(sampler):
    """The :class:`zoo.family.ExportGraph` of a :class:`zoo.drit.sampler.DRITSampler`."""
    generator, config = sampler.generator, sampler.config
    return ExportGraph(
        forward=lambda condition, z: generator([condition, z], training=False),
        condition_shape=(config.image_size, config.image_size, config.in_channels), condition_dtype="float32",
        condition_kind="image", noise=(("z", config.nz),), image_shape=tuple(generator.outputs[0].shape[1:]),
        trackable=generator,
        metadata={"image_transform": "resize_center_crop", "noise_per_condition": "shared",
                  "direction": config.direction})
