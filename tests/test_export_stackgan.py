"""Export of StackGAN++ (``python -m zoo.export``): the shapes model with its caption encoder in the
graph (token ids in) and CUB's with sentence embeddings in, ``ca_eps`` an input next to ``z``;
parity with ``zoo.load(dir).generate``; OnnxSampler tokenizes raw captions with NumPy exactly as
the Keras ``TextVectorization`` does, with the same one-line errors."""
import json
import warnings
from types import SimpleNamespace

import numpy as np
import pytest

import zoo
from zoo.captions import caption_token_ids
from zoo.export.__main__ import main as export_main
from zoo.export.onnx_sampler import OnnxSampler
from zoo.export.parity import parity, parity_inputs
from zoo.model_dir import save_generator
from zoo.stackgan import StackGANConfig, build_generator
from zoo.stackgan.text import MAX_CAPTION_WORDS, VOCABULARY, CaptionTokenizer, all_captions

TOLERANCE = 1e-4
TINY = dict(base_size=8, branch_num=2, gf_dim=8, df_dim=4, embedding_dim=4, text_dim=6, nz=5, r_num=1, batch_size=2)
SHAPES = StackGANConfig(name="msgan_stackgan_shapes", dataset="shapes", text_encoder="gru", vocabulary=VOCABULARY,
                        max_caption_words=MAX_CAPTION_WORDS, word_dim=4, **TINY)
CUB = StackGANConfig(name="msgan_stackgan_cub", **TINY)


def _saved(config, directory):
    """``config``'s generator with non-trivial batch norm statistics, saved as a zoo directory."""
    generator = build_generator(config)
    rng = np.random.default_rng(1)
    for variable in generator.weights:
        if variable.path.endswith(("moving_variance", "gamma")):
            variable.assign(rng.uniform(0.5, 1.5, variable.shape).astype(np.float32))
        elif variable.path.endswith(("moving_mean", "beta", "bias")):
            variable.assign(rng.normal(0, 0.2, variable.shape).astype(np.float32))
    save_generator(generator, config, directory)
    return directory


@pytest.fixture(scope="module", params=[SHAPES, CUB], ids=["shapes", "cub"])
def exported(request, tmp_path_factory):
    base = tmp_path_factory.mktemp(request.param.name)
    directory = _saved(request.param, base / request.param.name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TensorFlow's table_initializer serialization notice
        written = export_main([str(directory), "--format", "all", "--out", str(base / "out")])
    # Loaded once: each zoo.load rebuilds the generator (seconds on a busy machine).
    return SimpleNamespace(directory=directory, written=written, sampler=zoo.load(str(directory)),
                           onnx=OnnxSampler(written["onnx"]))


def test_graph_inputs_and_metadata(exported):
    import onnx

    config, written = exported.sampler.config, exported.written
    model = onnx.load(str(written["onnx"]))
    assert [i.name for i in model.graph.input] == ["condition", "z", "ca_eps"]
    condition_type = model.graph.input[0].type.tensor_type
    props = {p.key: p.value for p in model.metadata_props}
    assert json.loads(props["noise_inputs"]) == [["z", 5], ["ca_eps", 4]]
    assert json.loads(props["image_shape"]) == [None, 16, 16, 3]
    if config.text_encoder:  # the caption encoder is in the graph: token ids in, the vocabulary beside
        assert condition_type.elem_type == onnx.TensorProto.INT32 and props["condition_kind"] == "tokens"
        assert json.loads(props["vocabulary"]) == list(VOCABULARY)
        assert [d.dim_value for d in condition_type.shape.dim][1:] == [MAX_CAPTION_WORDS]
    else:
        assert condition_type.elem_type == onnx.TensorProto.FLOAT and props["condition_kind"] == "embedding"
        assert [d.dim_value for d in condition_type.shape.dim][1:] == [6] and "vocabulary" not in props


def test_parity_with_zoo_generate(exported):
    written = exported.written
    differences = parity(exported.sampler, written["savedmodel"], written["onnx"], batch=5)
    assert len(differences) == 3 and max(differences.values()) < TOLERANCE, differences


def test_ca_eps_drawn_from_the_seed_when_not_given(exported):
    sampler, ours = exported.sampler, exported.onnx
    condition, z, _ = parity_inputs(sampler, batch=3, seed=4)
    expected = sampler.generate(condition, z, seed=9)
    assert np.abs(ours.generate(condition, z, seed=9) - expected).max() < TOLERANCE
    assert np.abs(ours.generate(condition, z, seed=10) - expected).max() > TOLERANCE
    with pytest.raises(ValueError, match=r"ca_eps must have shape \(3, 4\)"):
        ours.generate(condition, z, np.zeros((3, 2)))


def test_savedmodel_sample_draws_z_and_ca_eps_per_seed(exported):
    import tensorflow as tf

    condition, _, _ = parity_inputs(exported.sampler, batch=2, seed=6)
    loaded = tf.saved_model.load(str(exported.written["savedmodel"]))
    sample, serving = loaded.signatures["sample"], loaded.signatures["serving_default"]

    def run(seed):
        return sample(condition=tf.constant(condition), num_samples=tf.constant(3), seed=tf.constant(seed, tf.int64))

    first, again, other = run(7), run(7), run(8)
    assert tuple(first["image"].shape) == (2, 3, 16, 16, 3)
    assert tuple(first["z"].shape) == (2, 3, 5) and tuple(first["ca_eps"].shape) == (2, 3, 4)
    np.testing.assert_array_equal(first["image"], again["image"])
    assert not np.array_equal(first["image"], other["image"])
    assert not np.allclose(first["z"][..., :4], first["ca_eps"])  # two streams, not one reused
    direct = serving(condition=tf.repeat(tf.constant(condition), 3, axis=0), z=tf.reshape(first["z"], (6, 5)),
                     ca_eps=tf.reshape(first["ca_eps"], (6, 4)))["image"]
    np.testing.assert_allclose(np.reshape(first["image"], (6, 16, 16, 3)), direct, atol=1e-5)


def test_onnx_sampler_matches_zoo_sample(exported):
    reference, ours = exported.sampler, exported.onnx
    if reference.config.text_encoder:
        conditions = ["a big green triangle", ["a red circle", "Two blue squares on the LEFT!"]]
    else:
        rows = np.random.default_rng(3).standard_normal((2, 6)).astype(np.float32)
        conditions = [rows[0], rows]
    for condition in conditions:
        expected, got = reference.sample(condition, 4, seed=0), ours.sample(condition, 4, seed=0)
        assert got.shape == expected.shape and got.dtype == np.uint8
        assert np.abs(got.astype(int) - expected).max() <= 1 and np.mean(got == expected) > 0.999


def _variants(text):
    return [text, text.upper(), f"  {text.capitalize()}.  ", text.replace(" ", ", ", 1) + "!"]


def test_numpy_tokenizer_equals_keras_text_vectorization():
    texts = [variant for caption in all_captions() for variant in _variants(caption.text)]
    keras_ids = CaptionTokenizer(VOCABULARY, MAX_CAPTION_WORDS)(texts)
    np.testing.assert_array_equal(caption_token_ids(texts, VOCABULARY, MAX_CAPTION_WORDS), keras_ids)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        unknown = ["a shiny red circle", "two wobbly blue squares on the left"]
        np.testing.assert_array_equal(caption_token_ids(unknown, VOCABULARY, MAX_CAPTION_WORDS),
                                      CaptionTokenizer(VOCABULARY, MAX_CAPTION_WORDS)(unknown))
    assert sum("unknown words ignored: shiny" in str(w.message) for w in caught) == 2  # NumPy and Keras


@pytest.mark.parametrize("condition", ["", "   ", "purple dragon", "a red circle " * 4, [7], 7, []])
def test_caption_errors_are_the_keras_samplers(exported, condition):
    reference = exported.sampler
    if not reference.config.text_encoder:
        pytest.skip("captions are for the caption model")
    with pytest.raises(ValueError) as keras_error:
        reference.sample(condition, 2)
    with pytest.raises(ValueError) as onnx_error:
        exported.onnx.sample(condition, 2)
    assert str(onnx_error.value) == str(keras_error.value) and "\n" not in str(onnx_error.value)


def test_direction_is_refused_for_one_way_models(exported, tmp_path, capsys):
    if exported.sampler.config.text_encoder:
        pytest.skip("one one-way model is enough")
    with pytest.raises(SystemExit) as exit_info:
        export_main([str(exported.directory), "--direction", "b2a", "--out", str(tmp_path)])
    lines = capsys.readouterr().err.strip().splitlines()
    assert exit_info.value.code == 2 and len(lines) == 1 and "--direction applies to two-way translators" in lines[0]
    assert not any(tmp_path.iterdir())
