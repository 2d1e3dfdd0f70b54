"""ONNX export with tf2onnx: ``OUT/<name>.onnx`` for ONNX Runtime.

The graph has inputs ``condition (N, ...)`` (float32; int32 token ids for a caption model) and
``z (N, nz) float32`` (then any further noise input of the family's graph, e.g. StackGAN++'s
``ca_eps (N, E)``) and one output ``image (N, H, W, C) float32`` in [-1, 1], the batch dynamic. tf2onnx cannot convert
TensorFlow's stateless RNG, so the noise is an input; :class:`zoo.export.onnx_sampler.OnnxSampler`
draws it with NumPy. Metadata props carry :func:`zoo.export.metadata.generator_metadata`.

Inference-time normalization is folded away: tf2onnx turns a frozen batch norm into a
per-channel ``Mul``/``Add`` after the convolution, and :func:`fold_channel_affines` moves
them into the convolution's kernel and bias (ONNX Runtime's own Conv+Mul/Add fusions match
``Conv`` nodes, not the ``ConvTranspose`` the DCGAN generator is made of). Then the exact
rewrites of :mod:`zoo.export.onnx_rewrites` run: the noise planes tiled into every U-Net block
become a per-sample bias (``z @ M``), and convolutions on tiny grids become one matmul.

TensorFlow, tf2onnx, onnx and onnxruntime are imported inside the functions that need them:
``import zoo.export`` (and ``OnnxSampler``) must stay free of TensorFlow, and each is a large import.
"""
import contextlib
import copy
import gc
import os
import types
from pathlib import Path

import numpy as np

from zoo.export.atomic import atomic_path, refuse_existing
from zoo.export.graph import export_graph, generator_graph
from zoo.export.metadata import generator_metadata
from zoo.export.onnx_rewrites import noise_planes_to_bias, small_convs_to_matmul
from zoo.export.savedmodel import serving_functions

OPSET = 17
CONV_OPS = ("Conv", "ConvTranspose")


def onnx_path(out, name):
    return Path(out) / f"{name}.onnx"


def convert(generator, nz):
    """The tf2onnx ``ModelProto`` of ``generator``: inputs ``condition``, ``z``; output ``image``."""
    return convert_graph(generator_graph(generator, nz))


def convert_graph(graph):
    """The tf2onnx ``ModelProto`` of a :class:`zoo.family.ExportGraph`: inputs ``condition`` and
    the graph's noise inputs (``z``, ...); output ``image``."""
    import tensorflow as tf
    import tf2onnx

    serving_default, _, specs, _ = serving_functions(graph)
    function = tf.function(lambda condition, *noise: serving_default(condition, *noise)["image"],
                           input_signature=specs)
    with collected_optimizer_copies():
        model, _ = tf2onnx.convert.from_function(function, input_signature=specs, opset=OPSET)
    rename_value(model.graph, model.graph.output[0].name, "image")
    return model


@contextlib.contextmanager
def collected_optimizer_copies():
    """Free tf2onnx's discarded graph copies while it optimizes, not at exit.

    tf2onnx's ``optimize_graph`` deep-copies the whole graph, weights included, before each of
    its optimizers, in every iteration. The copies it drops are reference cycles, which only
    Python's rare full collections free, so they pile up: exporting the paper's 256x256 U-Net
    (ngf 64, 54 M parameters) went past 18 GB. Collecting before each copy keeps one or two
    alive. The patch touches only the ``copy`` name inside ``tf2onnx.optimizer`` and is undone
    on exit; if a tf2onnx release no longer has it, nothing is patched. The converted graph
    is the same either way (same ops, same weights, bit-equal outputs).

    Every object alive on entry (TensorFlow's and Keras' own, the model) is frozen
    (``gc.freeze``) for the conversion, so each collection scans only what the conversion made:
    a full collection over TensorFlow's heap took ~0.4 s, and tf2onnx copies the graph 36 times
    for three optimizer rounds, which made even a tiny DRIT generator take ~25 s to convert
    (8-11 s frozen, same graph; README, Export).
    """
    import tf2onnx.optimizer as tf2onnx_optimizer

    original = getattr(tf2onnx_optimizer, "copy", None)
    if original is not copy:
        yield
        return
    gc.collect()
    gc.freeze()

    def deepcopy(value, memo=None):
        gc.collect()
        return copy.deepcopy(value, memo)

    tf2onnx_optimizer.copy = types.SimpleNamespace(deepcopy=deepcopy, copy=copy.copy)
    try:
        yield
    finally:
        tf2onnx_optimizer.copy = original
        gc.unfreeze()
        gc.collect()


def rename_value(graph, old, new):
    """Rename tensor ``old`` to ``new`` everywhere in ``graph``."""
    for node in graph.node:
        node.input[:] = [new if name == old else name for name in node.input]
        node.output[:] = [new if name == old else name for name in node.output]
    for value in list(graph.output) + list(graph.value_info):
        if value.name == old:
            value.name = new


def _per_channel(constant, channels):
    """``constant`` as a ``(channels,)`` vector if it broadcasts per NCHW channel, else None."""
    if constant.size == 1:
        return np.full(channels, constant.reshape(()), np.float32)
    squeezed = constant.reshape(-1)
    shape = tuple(d for d in constant.shape)
    if squeezed.size == channels and shape in ((channels, 1, 1), (1, channels, 1, 1)):
        return squeezed.astype(np.float32)
    return None


def fold_channel_affines(model):
    """Fold every ``Mul``/``Add`` by a per-channel constant that directly follows a convolution.

    ``(conv(x, W) + b) * s + o`` becomes ``conv(x, W * s) + (b * s + o)``. Returns the number
    of nodes removed. Only folds when the convolution's output has that one consumer and its
    kernel is used by no other node.
    """
    from onnx import numpy_helper

    graph = model.graph
    initializers = {init.name: init for init in graph.initializer}
    folded = 0
    changed = True
    while changed:
        changed = False
        consumers = {}
        for node in graph.node:
            for name in node.input:
                consumers.setdefault(name, []).append(node)
        outputs = {value.name for value in graph.output}
        for conv in graph.node:
            if conv.op_type not in CONV_OPS or conv.output[0] in outputs:
                continue
            users = consumers.get(conv.output[0], [])
            if len(users) != 1 or users[0].op_type not in ("Mul", "Add"):
                continue
            affine = users[0]
            other = [name for name in affine.input if name != conv.output[0]]
            if len(other) != 1 or other[0] not in initializers or len(consumers[conv.input[1]]) != 1:
                continue
            if conv.input[1] not in initializers or any(a.name == "group" and a.i != 1 for a in conv.attribute):
                continue
            kernel = numpy_helper.to_array(initializers[conv.input[1]])
            channel_axis = 1 if conv.op_type == "ConvTranspose" else 0
            channels = kernel.shape[channel_axis]
            vector = _per_channel(numpy_helper.to_array(initializers[other[0]]), channels)
            if vector is None:
                continue
            bias = (numpy_helper.to_array(initializers[conv.input[2]]).astype(np.float32)
                    if len(conv.input) > 2 and conv.input[2] else np.zeros(channels, np.float32))
            if affine.op_type == "Mul":
                shape = [1] * kernel.ndim
                shape[channel_axis] = channels
                kernel = kernel * vector.reshape(shape)
                bias = bias * vector
            else:
                bias = bias + vector
            initializers[conv.input[1]].CopyFrom(numpy_helper.from_array(kernel.astype(np.float32), conv.input[1]))
            bias_name = f"{conv.output[0]}__folded_bias"
            if bias_name in initializers:
                initializers[bias_name].CopyFrom(numpy_helper.from_array(bias, bias_name))
            else:
                initializers[bias_name] = numpy_helper.from_array(bias, bias_name)
                graph.initializer.append(initializers[bias_name])
                initializers[bias_name] = graph.initializer[-1]
            if len(conv.input) > 2:
                conv.input[2] = bias_name
            else:
                conv.input.append(bias_name)
            conv.output[0] = affine.output[0]
            graph.node.remove(affine)
            folded += 1
            changed = True
            break
    _drop_unused_initializers(graph)
    return folded


def _drop_unused_initializers(graph):
    used = {name for node in graph.node for name in node.input}
    for init in [init for init in graph.initializer if init.name not in used]:
        graph.initializer.remove(init)


def optimize(model):
    """The export's graph rewrites, in order; returns ``{rewrite: count}``. All are exact."""
    return {"folded_channel_affines": fold_channel_affines(model),
            "noise_planes_to_bias": noise_planes_to_bias(model),
            "small_convs_to_matmul": small_convs_to_matmul(model)}


def broadcasts_condition(model, samples=3, seed=0):
    """Whether one condition row with ``samples`` noise rows gives the repeated-condition outputs.

    True for a graph whose only use of the condition broadcasts against z (the rewritten U-Net:
    ``conv(condition) + z @ M``), so :class:`zoo.export.onnx_sampler.OnnxSampler` can feed one photo
    and compute its first convolution once for all samples; False where the two batches must
    match (a ``Concat`` of a one-hot label and z). Decided by running the graph both ways.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 4  # the mismatched-batch probe of a label model is expected to fail
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    condition_input, *noise_inputs = session.get_inputs()
    rng = np.random.default_rng(seed)
    shape = [d if isinstance(d, int) else 1 for d in condition_input.shape]
    if condition_input.type == "tensor(int32)":  # token ids: 1 (out of vocabulary) is valid for every model
        condition = np.ones(shape, np.int32)
    else:
        condition = rng.uniform(0, 1, shape).astype(np.float32)
    noise = {i.name: rng.standard_normal((samples, i.shape[1])).astype(np.float32) for i in noise_inputs}
    repeated = session.run(None, {"condition": np.repeat(condition, samples, axis=0), **noise})[0]
    try:
        broadcast = session.run(None, {"condition": condition, **noise})[0]
    except Exception:  # ORT raises its own types for mismatched batch dimensions
        return False
    return broadcast.shape == repeated.shape and bool(np.allclose(broadcast, repeated, atol=1e-5))


def export_onnx(sampler, out, overwrite=False, version=1):
    """Write ``sampler``'s generator (:func:`zoo.export.graph.export_graph`) as ``out/<name>.onnx``
    (opset 17) atomically.

    Returns:
        The path of the ``.onnx`` file.
    """
    import onnx

    final = onnx_path(out, sampler.config.name)
    refuse_existing(final, overwrite)
    graph = export_graph(sampler)
    model = convert_graph(graph)
    optimize(model)
    inputs = ", ".join(["condition", *(name for name, _ in graph.noise)])
    model.doc_string = f"{sampler.config.name}: [{inputs}] -> image in [-1, 1] (msgan-zoo)"
    del model.metadata_props[:]
    for key, value in generator_metadata(sampler, version, graph).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    entry = model.metadata_props.add()
    entry.key, entry.value = "condition_broadcast", "true" if broadcasts_condition(model) else "false"
    onnx.checker.check_model(model)
    with atomic_path(final, overwrite=overwrite, is_dir=False) as staged:
        onnx.save(model, os.fspath(staged))
    return final
