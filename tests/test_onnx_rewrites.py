"""The exact ONNX rewrites of the export: same outputs, less work, nothing rewritten that should not be."""
import collections
import copy

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from zoo.export.onnx import convert, optimize
from zoo.export.onnx_rewrites import noise_planes_to_bias, small_convs_to_matmul
from zoo.unet import build_unet

SIZE, NZ, NGF = 16, 3, 4


@pytest.fixture(scope="module")
def unet_graph():
    generator = build_unet(SIZE, NZ, ngf=NGF)
    rng = np.random.default_rng(0)
    # Larger weights than the 0.02 init, so a wrong border term would show in the outputs.
    generator.set_weights([rng.normal(0, 0.3, w.shape).astype(np.float32) for w in generator.get_weights()])
    return generator, convert(generator, NZ)


def _run(model, condition, z):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"condition": condition, "z": z})[0]


def _inputs(n=5, seed=1):
    rng = np.random.default_rng(seed)
    return (rng.uniform(-1, 1, (n, SIZE, SIZE, 3)).astype(np.float32),
            rng.standard_normal((n, NZ)).astype(np.float32))


def test_rewrites_keep_the_outputs_and_remove_the_noise_planes(unet_graph):
    generator, converted = unet_graph
    model = copy.deepcopy(converted)
    counts = optimize(model)
    onnx.checker.check_model(model)
    depth = 4  # log2(16): z enters every down block
    assert counts["noise_planes_to_bias"] == depth
    assert counts["small_convs_to_matmul"] >= 2  # the 1x1 / 2x2 blocks of both paths
    ops = collections.Counter(node.op_type for node in model.graph.node)
    assert ops["Expand"] == 0 and ops["MatMul"] >= depth
    condition, z = _inputs()
    reference = np.asarray(generator([condition, z], training=False))
    np.testing.assert_allclose(_run(model, condition, z), reference, atol=1e-5)
    np.testing.assert_allclose(_run(converted, condition, z), reference, atol=1e-5)
    # One condition, many z (the sampling case): the rewritten graph still depends on z.
    one = np.repeat(condition[:1], 5, axis=0)
    images = _run(model, one, z)
    assert np.abs(images[0] - images[1]).max() > 1e-3


def test_each_rewrite_alone_is_exact(unet_graph):
    generator, converted = unet_graph
    condition, z = _inputs(seed=2)
    reference = np.asarray(generator([condition, z], training=False))
    for rewrite in (noise_planes_to_bias, small_convs_to_matmul):
        model = copy.deepcopy(converted)
        assert rewrite(model) > 0
        np.testing.assert_allclose(_run(model, condition, z), reference, atol=1e-5, err_msg=rewrite.__name__)


def test_small_convs_respects_its_size_limit(unet_graph):
    _, converted = unet_graph
    model = copy.deepcopy(converted)
    assert small_convs_to_matmul(model, max_entries=1) == 0
    assert collections.Counter(n.op_type for n in model.graph.node) == \
        collections.Counter(n.op_type for n in converted.graph.node)


def test_a_concat_of_two_feature_maps_is_left_alone():
    helper = onnx.helper
    kernel = np.random.default_rng(0).normal(size=(2, 4, 3, 3)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Concat", ["a", "b"], ["ab"], axis=1),
         helper.make_node("Conv", ["ab", "w"], ["y"], pads=[1, 1, 1, 1])],
        "no_noise",
        [helper.make_tensor_value_info("a", onnx.TensorProto.FLOAT, [None, 2, 8, 8]),
         helper.make_tensor_value_info("b", onnx.TensorProto.FLOAT, [None, 2, 8, 8])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [None, 2, 8, 8])],
        [onnx.numpy_helper.from_array(kernel, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    assert noise_planes_to_bias(model) == 0
    assert [n.op_type for n in model.graph.node] == ["Concat", "Conv"]


def test_bench_counts_the_flops_each_graph_executes(unet_graph, load_script):
    generator, converted = unet_graph
    bench = load_script("bench/sample.py")
    assert bench.onnx_flops(converted) == bench.generator_flops(generator)
    model = copy.deepcopy(converted)
    optimize(model)
    # The noise channels' share of every down conv is gone; the matmuls are counted instead.
    assert 0 < bench.onnx_flops(model) < bench.generator_flops(generator)
