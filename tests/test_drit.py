"""zoo/drit: PyTorch-exact layers, every loss term (value and the networks it reaches), the train
step and its d_iter schedule, save/load, the sampler, and parity with the official checkpoints
(``../shared/data/official/drit_*``, skipped when absent)."""
import json
import os
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import zoo

from zoo.drit import DRIT, DRITConfig, DRITSampler, convert_checkpoint
from zoo.drit.layers import AvgPoolExcludePad, ChannelAffineLayerNorm, ReflectionPad, TorchConvTranspose
from zoo.drit.model import EpochDecay, discriminator_loss, gaussian_kl, multiscale_bce
from zoo.model_dir import load_sampler, save_generator

ROOT = Path(__file__).resolve().parents[1]
SIZE = 116  # the smallest image the content discriminator takes
TINY = dict(image_size=SIZE, load_size=128, content_width=2, attr_width=2, mlp_width=8, dis_width=2)


def _official(name):
    shared = os.environ.get("MSGAN_SHARED")
    folder = (Path(shared) if shared else ROOT.parent / "shared" / "data") / "official" / name
    if not folder.is_dir():
        pytest.skip(f"official fixtures not found at {folder}")
    return folder


def _nhwc(x):
    return np.transpose(x, (0, 2, 3, 1))


def _images(seed, count=2):
    return np.random.default_rng(seed).uniform(-1, 1, (count, SIZE, SIZE, 3)).astype(np.float32)


def _lecun(model, seed):
    """Re-draw every kernel at LeCun scale and every bias at std 0.1 (as the official fixtures): the
    official N(0, 0.02) init makes the discriminators' logits round to 0, where no gradient flows."""
    rng = np.random.default_rng(seed)
    for variable in model.trainable_variables:
        shape = tuple(variable.shape)
        if len(shape) > 1:
            variable.assign(rng.normal(0, 1 / np.sqrt(np.prod(shape[:-1])), shape).astype(np.float32))
        elif "bias" in variable.path or "beta" in variable.path:
            variable.assign(rng.normal(0, 0.1, shape).astype(np.float32))
    return model


def _tiny(concat, seed=0):
    model = _lecun(DRIT(DRITConfig(concat=concat, **TINY)), seed)
    model.compile(run_eagerly=True)
    return model


@pytest.fixture(scope="module")
def tiny0():
    return _tiny(0)


@pytest.fixture(scope="module", params=[0, 1], ids=["concat0", "concat1"])
def tiny(request, tiny0):
    return tiny0 if request.param == 0 else _tiny(1)


# -- layers -----------------------------------------------------------------------------------

def test_avg_pool_excludes_the_padding_like_torch():
    x = np.random.default_rng(0).normal(size=(1, 6, 5, 2)).astype(np.float32)
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), constant_values=np.nan)
    expected = np.stack([[np.nanmean(padded[0, 2 * i:2 * i + 3, 2 * j:2 * j + 3], axis=(0, 1)) for j in range(3)]
                         for i in range(3)])[None]
    np.testing.assert_allclose(np.asarray(AvgPoolExcludePad()(x)), expected, atol=1e-6)


def test_transposed_conv_keeps_torch_alignment():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1, 3, 3, 2)).astype(np.float32)
    layer = TorchConvTranspose(4, 3, stride=2, padding=1, output_padding=1)
    layer.build(x.shape)
    kernel = rng.normal(size=(3, 3, 4, 2)).astype(np.float32)  # (kh, kw, out, in)
    layer.conv.kernel.assign(kernel)
    full = np.zeros((7, 7, 4), np.float32)  # (H - 1) * 2 + 3
    for i in range(3):
        for j in range(3):
            full[2 * i:2 * i + 3, 2 * j:2 * j + 3] += np.einsum("c,hwoc->hwo", x[0, i, j], kernel)
    np.testing.assert_allclose(np.asarray(layer(x))[0], full[1:7, 1:7], atol=1e-5)  # drop 1 first, keep 1 extra


def test_layer_norm_over_chw_with_channel_affine_and_reflection_pad():
    x = np.random.default_rng(2).normal(size=(2, 4, 4, 3)).astype(np.float32)
    norm = ChannelAffineLayerNorm()
    norm.build(x.shape)
    norm.gamma.assign([1.0, 2.0, 3.0])
    mean, std = x.mean(axis=(1, 2, 3), keepdims=True), np.sqrt(x.var(axis=(1, 2, 3), keepdims=True) + 1e-5)
    np.testing.assert_allclose(np.asarray(norm(x)), (x - mean) / std * [1.0, 2.0, 3.0], atol=1e-5)
    np.testing.assert_array_equal(np.asarray(ReflectionPad(2)(x)),
                                  np.pad(x, ((0, 0), (2, 2), (2, 2), (0, 0)), mode="reflect"))


# -- loss functions -----------------------------------------------------------------------------

def test_loss_functions_against_closed_forms():
    np.testing.assert_allclose(float(multiscale_bce([tf.zeros((2, 3, 3, 1))] * 3, 1.0)), 3 * np.log(2), rtol=1e-6)
    np.testing.assert_allclose(float(multiscale_bce([tf.zeros((2, 1, 1, 1))], 0.5)), np.log(2), rtol=1e-6)
    np.testing.assert_allclose(float(gaussian_kl(tf.zeros((2, 8)), tf.zeros((2, 8)))), 0.0, atol=1e-7)
    # KL(N(1, e) || N(0, 1)) = (e + 1 - 1 - 1) / 2 per element, summed over 2 x 8 elements
    np.testing.assert_allclose(float(gaussian_kl(tf.ones((2, 8)), tf.ones((2, 8)))), 16 * (np.e - 1) / 2, rtol=1e-5)
    real, fake1, fake2 = (np.full((1, 2, 2, 1), v, np.float32) for v in (2.0, -1.0, 0.5))
    softplus = lambda v: np.log1p(np.exp(v))  # noqa: E731
    expected = 2 * softplus(-2.0) + softplus(-1.0) + softplus(0.5)  # real counted once per fake
    loss = discriminator_loss(lambda x: [x], real, fake1, fake2)
    np.testing.assert_allclose(float(loss), expected, rtol=1e-5)


# -- every term of the step: value and which networks it reaches ---------------------------------

def _flatten(obj):
    if isinstance(obj, (list, tuple)):
        return [v for item in obj for v in _flatten(item)]
    return list(obj.trainable_variables)


def _groups(model):
    enc_c, enc_a, gen = model.content_encoder, model.attribute_encoder, model.decoder
    groups = {"enc_c_a": _flatten(enc_c.branch_a), "enc_c_b": _flatten(enc_c.branch_b),
              "enc_c_share": _flatten(enc_c.share), "enc_a_a": _flatten(enc_a.branch_a),
              "enc_a_b": _flatten(enc_a.branch_b), "gen_a": _flatten(gen.decoder_a), "gen_b": _flatten(gen.decoder_b)}
    if model.config.concat:
        groups["gen_share"] = _flatten(gen.share)
    for name in ("disA", "disA2", "disB", "disB2", "disContent"):
        groups[name] = model.network_variables()[name]
    return groups


def _reached(tape, loss, groups):
    names = list(groups)
    grads = tape.gradient(loss, [groups[n] for n in names])
    return {n for n, g in zip(names, grads) if any(x is not None and float(tf.reduce_max(tf.abs(x))) > 0 for x in g)}


ENC_C = {"enc_c_share"}
EXPECTED_REACH = {
    "gan_a": {"enc_c_b", "enc_a_a", "gen_a", "disA"} | ENC_C,
    "gan_b": {"enc_c_a", "enc_a_b", "gen_b", "disB"} | ENC_C,
    "gan_content_a": {"enc_c_a", "disContent"} | ENC_C,
    "gan_content_b": {"enc_c_b", "disContent"} | ENC_C,
    "kl_attr_a": {"enc_a_a"},
    "kl_attr_b": {"enc_a_b"},
    "kl_content_a": {"enc_c_a"} | ENC_C,
    "kl_content_b": {"enc_c_b"} | ENC_C,
    "cross_cycle_a": {"enc_c_a", "enc_c_b", "enc_a_a", "enc_a_b", "gen_a", "gen_b"} | ENC_C,
    "cross_cycle_b": {"enc_c_a", "enc_c_b", "enc_a_a", "enc_a_b", "gen_a", "gen_b"} | ENC_C,
    "self_recon_a": {"enc_c_a", "enc_a_a", "gen_a"} | ENC_C,
    "self_recon_b": {"enc_c_b", "enc_a_b", "gen_b"} | ENC_C,
    # backward_G_alone: random codes, so no attribute encoder except through latent regression
    "gan2_a": {"enc_c_b", "gen_a", "disA2"} | ENC_C,
    "gan2_b": {"enc_c_a", "gen_b", "disB2"} | ENC_C,
    "latent_a": {"enc_c_b", "gen_a", "enc_a_a"} | ENC_C,
    "latent_b": {"enc_c_a", "gen_b", "enc_a_b"} | ENC_C,
    "ms_ab": {"enc_c_a", "gen_b"} | ENC_C,  # a -> b translations of A's content
    "ms_ba": {"enc_c_b", "gen_a"} | ENC_C,
    "disA": {"disA"}, "disA2": {"disA2"}, "disB": {"disB"}, "disB2": {"disB2"}, "content_d": {"disContent"},
}


def test_every_loss_term_reaches_exactly_its_networks(tiny):
    a, b = _images(0), _images(1)
    with tf.GradientTape(persistent=True) as tape:
        f = tiny.forward(a, b)
        terms = {**tiny.encoder_generator_losses(f), **tiny.generator_alone_losses(f),
                 **tiny.discriminator_losses(f), "content_d": tiny.content_discriminator_loss(f["content_a"], f["content_b"])}
    assert set(terms) == set(EXPECTED_REACH)
    groups = _groups(tiny)
    for name, loss in terms.items():
        expected = set(EXPECTED_REACH[name])
        if tiny.config.concat and expected & {"gen_a", "gen_b"}:
            expected.add("gen_share")  # G_concat's shared first block
        assert _reached(tape, loss, groups) == expected, name
        assert np.isfinite(float(loss)), name


def test_term_values_pair_the_right_tensors(tiny):
    f = tiny.forward(_images(2), _images(3))
    eg, alone = tiny.encoder_generator_losses(f), tiny.generator_alone_losses(f)
    n = {k: np.asarray(v) for k, v in f.items() if k != "gaussians"}
    l1 = lambda x, y: np.mean(np.abs(x - y))  # noqa: E731
    np.testing.assert_allclose(float(eg["cross_cycle_a"]), 10 * l1(n["recon_a"], n["real_a"]), rtol=1e-5)
    np.testing.assert_allclose(float(eg["self_recon_b"]), 10 * l1(n["fake_bb"], n["real_b"]), rtol=1e-5)
    np.testing.assert_allclose(float(eg["kl_content_a"]), 0.01 * np.mean(n["content_a"] ** 2), rtol=1e-5)
    np.testing.assert_allclose(float(alone["latent_b"]), 10 * l1(n["latent_b"], n["z1"]), rtol=1e-5)
    # the MS term (official lz_AB): 1 / (mean|G_b(c_a, z2) - G_b(c_a, z1)| / mean|z2 - z1| + 1e-5)
    ratio_ab = l1(n["fake_b_z1"], n["fake_b_z2"]) / l1(n["z1"], n["z2"])
    np.testing.assert_allclose(float(alone["ms_ab"]), 1 / (ratio_ab + 1e-5), rtol=1e-4)
    ratio_ba = l1(n["fake_a_z1"], n["fake_a_z2"]) / l1(n["z1"], n["z2"])
    np.testing.assert_allclose(float(alone["ms_ba"]), 1 / (ratio_ba + 1e-5), rtol=1e-4)
    if tiny.config.concat:
        mu_a, logvar_a, _, _ = f["gaussians"]
        np.testing.assert_allclose(float(eg["kl_attr_a"]), 0.01 * float(gaussian_kl(mu_a, logvar_a)), rtol=1e-5)
        assert not np.allclose(n["attr_a"], np.asarray(mu_a))  # a sample, not the mean
    else:
        np.testing.assert_allclose(float(eg["kl_attr_a"]), 0.01 * np.mean(n["attr_a"] ** 2), rtol=1e-5)


def test_content_noise_only_in_training(tiny):
    x = _images(4, 1)
    encode = tiny.content_encoder.encode
    np.testing.assert_array_equal(np.asarray(encode(x, "a")), np.asarray(encode(x, "a")))
    noise = np.asarray(encode(x, "a", training=True)) - np.asarray(encode(x, "a"))
    assert 0.9 < noise.std() < 1.1


# -- the step ---------------------------------------------------------------------------------

def test_d_iter_schedule_is_the_official_one(tiny0):
    previous = int(tiny0.steps_per_epoch)
    tiny0.steps_per_epoch.assign(6)
    full = [bool(tiny0.is_full_step(tf.constant(step, tf.int64))) for step in range(12)]
    tiny0.steps_per_epoch.assign(previous)
    # train.py: content D alone while (it + 1) % 3 != 0 and it < len - 2
    assert full == [False, False, True, False, True, True] * 2


def test_learning_rate_decays_per_epoch_as_lambda_rule():
    counter, steps = tf.Variable(0, dtype=tf.int64), tf.Variable(5, dtype=tf.int64)
    schedule = EpochDecay(1e-4, 4, 2, counter, steps)
    config = DRITConfig(epochs=4, n_ep_decay=2)
    for epoch in range(4):
        counter.assign(epoch * 5 + 4)
        np.testing.assert_allclose(float(schedule(0)), 1e-4 * config.learning_rate_factor(epoch), rtol=1e-6)
    assert config.learning_rate_factor(3) == pytest.approx(2 / 3)


def _weights(model):
    return {name: [np.array(v) for v in variables] for name, variables in model.network_variables().items()}


def _changed(before, after):
    return {name for name in before if any(not np.array_equal(x, y) for x, y in zip(before[name], after[name]))}


def test_content_step_updates_the_content_discriminator_only(tiny):
    before = _weights(tiny)
    tiny.content_step(_images(5), _images(6))
    assert _changed(before, _weights(tiny)) == {"disContent"}


@pytest.mark.filterwarnings("ignore:Your input ran out of data")  # on purpose: 2 batches of a 100-step epoch
def test_fit_runs_the_content_steps_of_the_schedule(tiny0):
    model = tiny0
    model.compile(run_eagerly=True)  # fresh optimizers
    model.step_counter.assign(0)
    model.steps_per_epoch.assign(100)
    data = tf.data.Dataset.from_tensor_slices((_images(7, 4), _images(8, 4))).batch(2)
    data = data.filter(lambda a, b: True)  # unknown length: fit keeps the epoch length set above
    before = _weights(model)
    history = model.fit(data, epochs=1, verbose=0)  # steps 0 and 1 of d_iter 3: content D alone
    assert _changed(before, _weights(model)) == {"disContent"}
    assert int(model.step_counter) == 2 and int(model.optimizers["disContent"].iterations) == 2
    assert np.isfinite(history.history["d_content"][-1])


def test_full_train_step_updates_every_network_and_ms_only_reaches_the_generator_side(tiny0):
    pair = [tiny0, DRIT(tiny0.config)]
    pair[1].set_weights(pair[0].get_weights())
    before = _weights(tiny0)
    for model, weight in zip(pair, (1.0, 0.0)):
        model.compile(lambda_ms=weight, run_eagerly=True)
        model.seed_generator.state.assign([7, 0])  # same codes, same content noise
        model.content_encoder.noise.seed_generator.state.assign([8, 0])
        model.step_counter.assign(2)  # (it + 1) % d_iter == 0: update_D + update_EG
        model.steps_per_epoch.assign(100)
        logs = model.train_step((_images(9), _images(10)))
        assert int(model.step_counter) == 3 and all(np.isfinite(float(v)) for v in logs.values())
    assert _changed(before, _weights(tiny0)) == set(before)
    iterations = {name: int(opt.iterations) for name, opt in tiny0.optimizers.items()}
    # enc_c and gen step twice (backward_EG, then backward_G_alone), enc_a once
    assert iterations == {"enc_c": 2, "enc_a": 1, "gen": 2, "disA": 1, "disA2": 1, "disB": 1, "disB2": 1,
                          "disContent": 1}
    # lambda_ms 1 vs 0: the discriminators and enc_a never see the MS term
    assert _changed(_weights(pair[0]), _weights(pair[1])) == {"enc_c", "gen"}


def test_the_discriminators_learn_from_their_loss_not_only_their_weight_decay(tiny0):
    """update_D must move every discriminator by its loss's gradient: with weight decay alone
    (what a loss summed outside its tape gave) the zero-initialized biases never move."""
    model = DRIT(tiny0.config)
    model.set_weights(tiny0.get_weights())
    model.compile(run_eagerly=True)
    for network in ("disA", "disA2", "disB", "disB2"):
        for variable in model.network_variables()[network]:
            if "bias" in variable.path:
                variable.assign(np.zeros(variable.shape, np.float32))
    model.step_counter.assign(2)  # a full step: update_D + update_EG
    model.steps_per_epoch.assign(100)
    model.train_step((_images(12), _images(13)))
    for network in ("disA", "disA2", "disB", "disB2"):
        biases = [np.array(v) for v in model.network_variables()[network] if "bias" in v.path]
        assert biases and all(np.abs(b).max() > 0 for b in biases), network
    with pytest.raises(ValueError, match="no gradient reaches network 'disB'"):
        model.apply_gradients("disB", [None] * len(model.network_variables()["disB"]))


# -- save / load, sampler ------------------------------------------------------------------------

def test_generator_saves_and_loads_as_a_zoo_directory(tiny, tmp_path):
    save_generator(tiny.generator, tiny.config, tmp_path / "model")
    sampler = load_sampler(tmp_path / "model")
    assert isinstance(sampler, DRITSampler) and sampler.config == tiny.config
    x, z = _images(11), np.random.default_rng(0).normal(size=(2, 8)).astype(np.float32)
    for direction in ("a2b", "b2a"):
        np.testing.assert_allclose(sampler.generate(x, z, direction),
                                   np.asarray(tiny.translator.translate(x, z, direction)), atol=1e-6)


def test_sampler_draws_codes_by_seed_and_transfers_a_reference(tiny0):
    sampler = DRITSampler(tiny0.generator, tiny0.config)
    rng = np.random.default_rng(3)
    cat = rng.integers(0, 256, (150, 140, 3), dtype=np.uint8)
    dog = rng.integers(0, 256, (100, 120, 3), dtype=np.uint8)
    samples = sampler.sample(cat, 3, seed=5)
    assert samples.shape == (3, SIZE, SIZE, 3) and samples.dtype == np.uint8
    np.testing.assert_array_equal(samples, sampler.sample(cat, 3, seed=5))
    rows = sampler.sample(np.stack([cat, cat]), 3, seed=5)
    np.testing.assert_array_equal(rows[0], rows[1])  # the same codes in every row
    # batch 2 vs batch 1: float kernels may round one level apart
    np.testing.assert_allclose(rows[0].astype(int), samples.astype(int), atol=1)
    reference = sampler.model_inputs(dog[None])
    code = sampler.attribute_codes(reference, "b")
    expected = np.clip(np.rint((sampler.generate(sampler.model_inputs(cat[None]), code) + 1) * 127.5), 0, 255)
    np.testing.assert_array_equal(sampler.translate(cat, dog), expected[0].astype(np.uint8))
    assert sampler.sample(dog, 2, seed=0, direction="b2a").shape == (2, SIZE, SIZE, 3)


@pytest.mark.parametrize("call, message", [
    (lambda s: s.sample(np.zeros((20, 20, 3), np.float32), 2), "uint8"),
    (lambda s: s.sample(np.zeros((20, 20, 3), np.uint8), 0), "num_samples"),
    (lambda s: s.sample(np.zeros((20, 20, 3), np.uint8), 2, direction="x"), "direction"),
    (lambda s: s.generate(np.zeros((1, SIZE, SIZE, 3)), np.zeros((1, 5))), "z must have shape"),
    (lambda s: s.generate(np.zeros((1, 20, 20, 3)), np.zeros((1, 8))), "images must have shape"),
])
def test_sampler_errors_are_one_line(tiny0, call, message):
    with pytest.raises(ValueError, match=message) as caught:
        call(DRITSampler(tiny0.generator, tiny0.config))
    assert "\n" not in str(caught.value)


def test_config_round_trip_and_bad_values():
    config = DRITConfig(name="x", concat=1, **TINY)
    assert DRITConfig.from_dict(config.to_dict()) == config
    for bad, message in [(dict(concat=2), "concat"), (dict(image_size=64), ">= 116"),
                         (dict(batch_size=3), "even"), (dict(direction="ab"), "direction")]:
        with pytest.raises(ValueError, match=message):
            DRITConfig(**bad)


# -- parity with the official code ----------------------------------------------------------------

@pytest.mark.parametrize("folder, file, name", [("drit_cat2dog", "01999.pth", "msgan_drit_cat2dog"),
                                                ("drit_yosemite", "01200.pth", "msgan_drit_yosemite")])
def test_converted_checkpoint_reproduces_the_official_outputs(folder, file, name, tmp_path):
    from zoo.registry import get_config

    official = _official(folder)
    config = convert_checkpoint(get_config(name), official / file, tmp_path / "model")
    assert config.content_width == 16 and config.attr_width == 16  # read from the shapes (width / 4)
    sampler = load_sampler(tmp_path / "model")
    ref = dict(np.load(official / "reference.npz"))
    images_a, images_b, z = _nhwc(ref["A"]), _nhwc(ref["B"]), ref["z"]
    errors = {"a2b": np.abs(sampler.generate(images_a, z, "a2b") - _nhwc(ref["a2b"])).max(),
              "b2a": np.abs(sampler.generate(images_b, z, "b2a") - _nhwc(ref["b2a"])).max()}
    translator = sampler.translator
    if config.concat:
        mu_a, logvar_a = translator.attributes(images_a, "a")
        mu_b, logvar_b = translator.attributes(images_b, "b")
        for key, value in dict(mu_a=mu_a, logvar_a=logvar_a, mu_b=mu_b, logvar_b=logvar_b).items():
            errors[key] = np.abs(np.asarray(value) - ref[key]).max()
        errors["transfer"] = np.abs(np.asarray(translator.transfer(images_a, images_b)) - _nhwc(ref["a2b_transfer_mean"])).max()
    else:
        errors["attr_a"] = np.abs(sampler.attribute_codes(images_a, "a") - ref["attr_a"]).max()
        errors["attr_b"] = np.abs(sampler.attribute_codes(images_b, "b") - ref["attr_b"]).max()
        errors["transfer"] = np.abs(np.asarray(translator.transfer(images_a, images_b)) - _nhwc(ref["a2b_transfer"])).max()
    assert max(errors.values()) <= 1e-4, errors


def test_official_discriminators_load_and_concat_mismatch_is_one_line(tmp_path):
    from zoo.convert.torch_checkpoint import load
    from zoo.drit.convert import config_from_checkpoint, load_discriminators

    checkpoint = load(_official("drit_cat2dog") / "01999.pth")
    config = config_from_checkpoint(checkpoint, DRITConfig())
    model = DRIT(config)
    load_discriminators(model, checkpoint)
    np.testing.assert_array_equal(np.asarray(model.dis_content.head.kernel)[0, 0, :, 0],
                                  checkpoint["disContent"]["model.4.weight"][0, :, 0, 0])
    with pytest.raises(ValueError, match="concat=0 DRIT, but the config is concat=1") as caught:
        config_from_checkpoint(checkpoint, DRITConfig(concat=1))
    assert "\n" not in str(caught.value)


# -- fit.py end to end ----------------------------------------------------------------------------

def test_fit_py_trains_and_publishes_a_tiny_drit(tmp_path, monkeypatch):
    """Every fit.py callback (grid, collapse monitor, non-finite check, checkpoint) on DRIT's networks.

    Eagerly: tracing DRIT's step (both d_iter branches) costs minutes; the graph step is tested above."""
    from zoo.training import fit

    compile_graph = DRIT.compile
    monkeypatch.setattr(DRIT, "compile", lambda self, **kwargs: compile_graph(self, **dict(kwargs, run_eagerly=True)))

    rng = np.random.default_rng(3)
    for split, domain, count in (("train", "A", 4), ("train", "B", 3), ("test", "A", 2), ("test", "B", 2)):
        folder = tmp_path / "data" / f"{split}{domain}"
        folder.mkdir(parents=True)
        for k in range(count):
            Image.fromarray(rng.integers(0, 256, (130, 130, 3), dtype=np.uint8)).save(folder / f"{k}.png")
    out = fit.main(["--model", "msgan_drit_cat2dog", "--data-dir", str(tmp_path / "data"), "--out",
                    str(tmp_path / "run"), "--steps-per-epoch", "3", "--epochs", "1", "--verbose", "0", "--seed", "0",
                    *[f"--set={k}={v}" for k, v in dict(TINY, load_size=120).items()]])
    history = [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]
    assert [h["epoch"] for h in history] == [1] and np.isfinite(history[0]["g_loss"])
    assert "diversity" in history[0]  # the collapse monitor sampled DRIT's grid rows
    assert (out / "samples.png").is_file() and (out / "checkpoints" / "ckpt-1.index").is_file()
    assert "| epochs | 1 (3 generator steps" in (out / "README.md").read_text()
    sampler = zoo.load(str(out))
    cat = np.asarray(Image.open(tmp_path / "data" / "testA" / "0.png"))
    dogs = sampler.sample(cat, 3, seed=0)
    assert dogs.shape == (3, SIZE, SIZE, 3) and dogs.dtype == np.uint8
    assert not np.array_equal(dogs[0], dogs[1])  # different attribute codes, different dogs
