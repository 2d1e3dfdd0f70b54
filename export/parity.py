"""Keras vs SavedModel vs ONNX Runtime on the same (condition, z): the export's own check.

TensorFlow is imported only to load a SavedModel (a large import the ONNX-only check skips).
"""
import numpy as np

from zoo.export.metadata import condition_kind
from zoo.export.onnx_sampler import OnnxSampler


def parity_inputs(sampler, batch=8, seed=0):
    """A random ``(condition, z)`` batch for ``sampler``'s generator, float32.

    Label models get one-hot rows of random classes, image models images uniform in [-1, 1].
    """
    rng = np.random.default_rng(seed)
    generator, nz = sampler.generator, sampler.config.nz
    shape = tuple(generator.inputs[0].shape[1:])
    if condition_kind(generator) == "label":
        condition = np.eye(shape[0], dtype=np.float32)[rng.integers(0, shape[0], batch)]
    else:
        condition = rng.uniform(-1.0, 1.0, (batch, *shape)).astype(np.float32)
    return condition, rng.standard_normal((batch, nz)).astype(np.float32)


def parity(sampler, savedmodel=None, onnx_file=None, batch=8, seed=0):
    """Max abs differences of the exports from Keras for one random batch.

    Returns a dict with keys ``"keras vs savedmodel"``, ``"keras vs onnxruntime"`` and
    ``"savedmodel vs onnxruntime"`` for the exports given.
    """
    condition, z = parity_inputs(sampler, batch, seed)
    outputs = {"keras": np.asarray(sampler.generator([condition, z], training=False))}
    if savedmodel is not None:
        import tensorflow as tf

        serving = tf.saved_model.load(str(savedmodel)).signatures["serving_default"]
        outputs["savedmodel"] = serving(condition=tf.constant(condition), z=tf.constant(z))["image"].numpy()
    if onnx_file is not None:
        outputs["onnxruntime"] = OnnxSampler(onnx_file).generate(condition, z)
    names = list(outputs)
    return {f"{a} vs {b}": float(np.max(np.abs(outputs[a] - outputs[b])))
            for i, a in enumerate(names) for b in names[i + 1:]}
