"""Keras vs SavedModel vs ONNX Runtime on the same (condition, z): the export's own check.

TensorFlow is imported only to load a SavedModel (a large import the ONNX-only check skips).
"""
import json

import numpy as np

from zoo.export.graph import export_graph
from zoo.export.onnx_sampler import OnnxSampler


def parity_inputs(sampler, batch=8, seed=0, graph=None):
    """A random ``(condition, z, *other noise)`` batch for ``sampler``'s export graph.

    Label models get one-hot rows of random classes, image models images uniform in [-1, 1],
    caption models random token ids (words, then 0 padding), embedding models N(0, 1) rows;
    every noise input is standard normal, float32.
    """
    rng = np.random.default_rng(seed)
    graph = export_graph(sampler) if graph is None else graph
    shape = graph.condition_shape
    if graph.condition_kind == "label":
        condition = np.eye(shape[0], dtype=np.float32)[rng.integers(0, shape[0], batch)]
    elif graph.condition_kind == "tokens":
        words = len(json.loads(graph.metadata["vocabulary"]))
        condition = rng.integers(2, words + 2, (batch, *shape)).astype(np.int32)
        condition[np.arange(shape[0])[None, :] >= rng.integers(1, shape[0] + 1, (batch, 1))] = 0
    elif graph.condition_kind == "embedding":
        condition = rng.standard_normal((batch, *shape)).astype(np.float32)
    else:
        condition = rng.uniform(-1.0, 1.0, (batch, *shape)).astype(np.float32)
    return (condition, *(rng.standard_normal((batch, size)).astype(np.float32) for _, size in graph.noise))


def parity(sampler, savedmodel=None, onnx_file=None, batch=8, seed=0):
    """Max abs differences of the exports from Keras (``sampler.generate``) for one random batch.

    Returns a dict with keys ``"keras vs savedmodel"``, ``"keras vs onnxruntime"`` and
    ``"savedmodel vs onnxruntime"`` for the exports given.
    """
    graph = export_graph(sampler)
    condition, *noise = parity_inputs(sampler, batch, seed, graph)
    outputs = {"keras": np.asarray(sampler.generate(condition, *noise))}
    if savedmodel is not None:
        import tensorflow as tf

        serving = tf.saved_model.load(str(savedmodel)).signatures["serving_default"]
        named = {name: tf.constant(values) for (name, _), values in zip(graph.noise, noise)}
        outputs["savedmodel"] = serving(condition=tf.constant(condition), **named)["image"].numpy()
    if onnx_file is not None:
        outputs["onnxruntime"] = OnnxSampler(onnx_file).generate(condition, *noise)
    names = list(outputs)
    return {f"{a} vs {b}": float(np.max(np.abs(outputs[a] - outputs[b])))
            for i, a in enumerate(names) for b in names[i + 1:]}
