"""Export of DRIT (``python -m zoo.export``): SavedModel and ONNX of the a2b translation with the
attribute code as the noise input, parity with ``zoo.load(dir).generate``, OnnxSampler, b2a."""
import gc
import json
from types import SimpleNamespace

import numpy as np
import pytest

import zoo
from zoo.drit import DRITConfig, build_generator
from zoo.export.__main__ import main as export_main
from zoo.export.onnx_sampler import OnnxSampler
from zoo.export.parity import parity
from zoo.model_dir import save_generator

TOLERANCE = 1e-4
NAME = "msgan_drit_cat2dog"
SIZE = 116  # the smallest DRIT image (content discriminator); the translator is tiny in width
# Domain B with one channel: a direction mixed up anywhere changes a shape and fails loudly.
TINY = DRITConfig(name=NAME, image_size=SIZE, load_size=124, content_width=2, attr_width=2, mlp_width=8,
                  dis_width=2, input_dim_b=1)


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    """A tiny cat2dog translator with LeCun-scale kernels (the official N(0, 0.02) init gives
    near-constant images, where parity would prove little), saved as a zoo directory."""
    generator = build_generator(TINY)
    rng = np.random.default_rng(0)
    for variable in generator.weights:
        shape = tuple(variable.shape)
        if len(shape) > 1:
            variable.assign(rng.normal(0, 1 / np.sqrt(np.prod(shape[:-1])), shape).astype(np.float32))
        else:
            variable.assign((variable.numpy() + rng.normal(0, 0.1, shape)).astype(np.float32))
    directory = tmp_path_factory.mktemp("drit") / NAME
    save_generator(generator, TINY, directory)
    return directory


@pytest.fixture(scope="module")
def exported(tiny_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("exported")
    written = export_main([str(tiny_dir), "--format", "all", "--out", str(out)])
    # Loaded once: each zoo.load rebuilds the translator (seconds on a busy machine).
    return SimpleNamespace(**written, sampler=zoo.load(str(tiny_dir)), onnx_sampler=OnnxSampler(written["onnx"]))


def test_onnx_graph_inputs_metadata_and_no_random_op(exported):
    import onnx

    model = onnx.load(str(exported.onnx))
    assert [i.name for i in model.graph.input] == ["condition", "z"]
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims[1:] == [SIZE, SIZE, 3] and [o.name for o in model.graph.output] == ["image"]
    props = {p.key: p.value for p in model.metadata_props}
    assert props["condition_kind"] == "image" and props["direction"] == "a2b" and props["nz"] == "8"
    assert props["image_transform"] == "resize_center_crop" and props["noise_per_condition"] == "shared"
    assert json.loads(props["image_shape"]) == [None, SIZE, SIZE, 1]
    # Each MisINSResBlock MLP's 1x1 convolution on [features, tiled code] became features + code @ M
    # with M (k, C_out), not (k, C_out H W): that grid-sized M took 1.5 GB per block at official widths.
    matrices = [list(i.dims) for i in model.graph.initializer if i.name.endswith("__z_matrix")]
    assert len(matrices) == 8 and all(dims[1] <= 2 * TINY.content_channels for dims in matrices), matrices
    # The content encoder's Gaussian noise is training-only: nothing random is traced.
    assert not [n.op_type for n in model.graph.node if "Random" in n.op_type]
    extra = json.loads((exported.savedmodel / "assets.extra" / "msgan_zoo.json").read_text())
    assert extra["direction"] == "a2b" and json.loads(extra["noise_inputs"]) == [["z", 8]]


def test_parity_with_zoo_generate(exported):
    differences = parity(exported.sampler, exported.savedmodel, exported.onnx, batch=3)
    assert len(differences) == 3 and max(differences.values()) < TOLERANCE, differences


def test_savedmodel_sample_signature_is_deterministic_per_seed(exported):
    import tensorflow as tf

    loaded = tf.saved_model.load(str(exported.savedmodel))
    sample, serving = loaded.signatures["sample"], loaded.signatures["serving_default"]
    photos = tf.constant(np.random.default_rng(1).uniform(-1, 1, (2, SIZE, SIZE, 3)).astype(np.float32))

    def run(seed):
        return sample(condition=photos, num_samples=tf.constant(3), seed=tf.constant(seed, tf.int64))

    first, again, other = run(7), run(7), run(8)
    assert tuple(first["image"].shape) == (2, 3, SIZE, SIZE, 1) and tuple(first["z"].shape) == (2, 3, 8)
    np.testing.assert_array_equal(first["image"], again["image"])
    assert not np.array_equal(first["image"], other["image"])
    # The sample signature is serving_default on the codes it drew.
    direct = serving(condition=tf.repeat(photos, 3, axis=0), z=tf.reshape(first["z"], (6, 8)))["image"]
    np.testing.assert_allclose(np.reshape(first["image"], (6, SIZE, SIZE, 1)), direct, atol=1e-5)


def test_onnx_sampler_matches_zoo_sample(exported):
    reference, ours = exported.sampler, exported.onnx_sampler
    rng = np.random.default_rng(2)
    cat = rng.integers(0, 256, (150, 140, 3), dtype=np.uint8)  # resized to 124, centre crop 116
    for condition in (cat, np.stack([cat, rng.integers(0, 256, (150, 140, 3), dtype=np.uint8)])):
        expected, got = reference.sample(condition, 4, seed=3), ours.sample(condition, 4, seed=3)
        assert got.shape == expected.shape and got.dtype == np.uint8
        assert np.abs(got.astype(int) - expected).max() <= 1 and np.mean(got == expected) > 0.999
    rows = ours.sample(np.stack([cat, cat]), 2, seed=5)
    np.testing.assert_array_equal(rows[0], rows[1])  # the codes are shared by every input image
    with pytest.raises(ValueError, match=r"shape \(H, W, 3\)") as error:
        ours.sample(cat[..., :1], 2)
    assert "\n" not in str(error.value)


def test_b2a_is_its_own_export(tiny_dir, exported, tmp_path):
    written = export_main([str(tiny_dir), "--direction", "b2a", "--format", "onnx", "--out", str(tmp_path)])
    assert written["onnx"] == tmp_path / f"{NAME}_b2a.onnx"
    ours = OnnxSampler(written["onnx"])
    assert ours.metadata["direction"] == "b2a" and ours.condition_shape == (SIZE, SIZE, 1)
    dog = np.random.default_rng(4).uniform(-1, 1, (2, SIZE, SIZE, 1)).astype(np.float32)
    z = np.random.default_rng(5).standard_normal((2, 8)).astype(np.float32)
    expected = exported.sampler.generate(dog, z, direction="b2a")
    assert expected.shape == (2, SIZE, SIZE, 3)
    assert np.abs(ours.generate(dog, z) - expected).max() < TOLERANCE


def test_conversion_collects_only_what_it_made():
    """tf2onnx copies the graph 36 times; each copy's collection scans only the objects made
    since the conversion began (gc.freeze), not TensorFlow's whole heap (~0.4 s a pass)."""
    from zoo.export.onnx import collected_optimizer_copies

    before = gc.get_freeze_count()
    with collected_optimizer_copies():
        assert gc.get_freeze_count() > before
    assert gc.get_freeze_count() == before
