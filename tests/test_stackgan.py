"""StackGAN++ + MS: conditioning augmentation, tree generator, per-branch D, loss terms, train step,
sampler with raw captions, and parity with the official generator (skipped without the fixture)."""
import os
import warnings
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.losses import mode_seeking_loss
from zoo.stackgan import StackGAN, StackGANConfig, TextSampler, build_discriminators, build_generator
from zoo.stackgan.model import colour_consistency_loss, image_pyramid, kl_loss, mean_covariance
from zoo.stackgan.networks import ConditioningAugmentation, glu
from zoo.stackgan.text import MAX_CAPTION_WORDS, VOCABULARY

TINY = dict(name="tiny", base_size=8, branch_num=2, gf_dim=8, df_dim=4, embedding_dim=4,
            text_dim=6, nz=5, r_num=1, batch_size=2)
TINY_TEXT = dict(TINY, text_encoder="gru", vocabulary=VOCABULARY, max_caption_words=MAX_CAPTION_WORDS,
                 word_dim=4, text_dim=6)


def shared_data():
    root = os.environ.get("MSGAN_SHARED")
    base = Path(root) if root else Path(__file__).resolve().parents[1].parent / "shared"
    return base / "data"


def test_glu_gates_first_half_with_second():
    x = np.array([[1.0, -2.0, 0.0, 3.0]], np.float32)
    expected = x[:, :2] / (1.0 + np.exp(-x[:, 2:]))
    np.testing.assert_allclose(np.asarray(glu(x)), expected, rtol=1e-6)


def test_conditioning_augmentation_reparameterizes():
    ca = ConditioningAugmentation(3)
    embedding = np.random.default_rng(0).standard_normal((2, 5)).astype(np.float32)
    eps = np.random.default_rng(1).standard_normal((2, 3)).astype(np.float32)
    code, mu, logvar = (np.asarray(t) for t in ca(embedding, eps))
    assert mu.shape == logvar.shape == code.shape == (2, 3)
    np.testing.assert_allclose(code, mu + eps * np.exp(0.5 * logvar), rtol=1e-5, atol=1e-6)
    zero_code, zero_mu, _ = ca(embedding, np.zeros_like(eps))
    np.testing.assert_allclose(np.asarray(zero_code), np.asarray(zero_mu))


def test_generator_branches_and_noise():
    config = StackGANConfig(**TINY)
    g = build_generator(config)
    rng = np.random.default_rng(0)
    cond = rng.standard_normal((3, 6)).astype(np.float32)
    z = rng.standard_normal((3, 5)).astype(np.float32)
    eps = rng.standard_normal((3, 4)).astype(np.float32)
    images, mu, logvar = g.branches(cond, z, eps)
    assert [tuple(i.shape) for i in images] == [(3, 8, 8, 3), (3, 16, 16, 3)]
    assert mu.shape == logvar.shape == (3, 4)
    last = np.asarray(images[-1])
    assert np.abs(last).max() <= 1.0
    np.testing.assert_allclose(np.asarray(g([cond, z, eps])), last, atol=1e-6)
    assert np.abs(np.asarray(g([cond, z, -eps])) - last).max() > 1e-4  # the CA noise matters
    assert np.abs(np.asarray(g([cond, -z, eps])) - last).max() > 1e-4  # and so does z
    assert np.abs(np.asarray(g([cond, z])) - last).max() > 1e-4  # eps drawn when not given


def test_config_widths_and_errors():
    config = StackGANConfig()
    assert config.branch_sizes == (64, 128, 256) and config.branch_widths == (64, 32, 16)
    assert (config.embedding_dim, config.nz, config.text_dim, config.r_num) == (128, 100, 1024, 2)
    with pytest.raises(ValueError, match="branch_num"):
        StackGANConfig(branch_num=6)
    with pytest.raises(ValueError, match="base_size"):
        StackGANConfig(base_size=48)
    with pytest.raises(ValueError, match="gf_dim"):
        StackGANConfig(gf_dim=6)
    with pytest.raises(ValueError, match="vocabulary"):
        StackGANConfig(text_encoder="gru")


def test_discriminators_conditional_and_unconditional_outputs():
    config = StackGANConfig(**dict(TINY, branch_num=3))
    ds = build_discriminators(config)
    assert [d.size for d in ds.branches] == [8, 16, 32]
    rng = np.random.default_rng(0)
    mu = rng.standard_normal((2, 4)).astype(np.float32)
    for d in ds.branches:
        image = rng.uniform(-1, 1, (2, d.size, d.size, 3)).astype(np.float32)
        cond, uncond = (np.asarray(t) for t in d([image, mu]))
        assert cond.shape == uncond.shape == (2,)
        cond2, uncond2 = (np.asarray(t) for t in d([image, mu + 1.0]))
        np.testing.assert_allclose(uncond2, uncond)  # the unconditional head ignores the condition
        assert np.abs(cond2 - cond).max() > 1e-6


def test_discriminator_narrows_back_to_8_df_above_64_px():
    config = StackGANConfig(**dict(TINY, base_size=64, branch_num=2, gf_dim=8))
    d128 = build_discriminators(config).branches[1]
    assert [c.filters for c in d128.down_convs] == [4, 8, 16, 32, 64]
    assert [c.filters for c in d128.narrow_convs] == [32]  # 16 df -> 8 df, as D_NET128


def test_kl_loss_closed_form():
    assert float(kl_loss(np.zeros((2, 3)), np.zeros((2, 3)))) == pytest.approx(0.0)
    mu, logvar = np.full((1, 2), 2.0), np.full((1, 2), np.log(3.0))
    assert float(kl_loss(mu, logvar)) == pytest.approx(-0.5 * (1 + np.log(3.0) - 4.0 - 3.0), rel=1e-6)


def test_mean_covariance_matches_numpy():
    images = np.random.default_rng(0).uniform(-1, 1, (2, 4, 5, 3)).astype(np.float32)
    mean, cov = (np.asarray(t) for t in mean_covariance(images))
    flat = images.reshape(2, -1, 3)
    np.testing.assert_allclose(mean, flat.mean(1), rtol=1e-5)
    centred = flat - flat.mean(1, keepdims=True)
    np.testing.assert_allclose(cov, np.einsum("npc,npd->ncd", centred, centred) / 20, rtol=1e-4, atol=1e-6)


def test_colour_consistency_compares_neighbouring_branches_without_gradient_to_the_smaller():
    rng = np.random.default_rng(0)
    small = tf.Variable(rng.uniform(-1, 1, (2, 4, 4, 3)).astype(np.float32))
    big = tf.Variable(tf.image.resize(small, (8, 8), "nearest"))  # same pixel statistics
    assert float(colour_consistency_loss([small, big], 50.0)) == pytest.approx(0.0, abs=1e-5)
    with tf.GradientTape() as tape:
        loss = colour_consistency_loss([small, big + 0.3], 1.0)
    grad_small, grad_big = tape.gradient(loss, [small, big])
    assert float(loss) > 0 and grad_small is None and float(tf.reduce_sum(tf.abs(grad_big))) > 0


def test_image_pyramid_is_the_antialiased_bilinear_resize():
    images = np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
    pyramid = image_pyramid(images, (4, 8, 16))
    assert [tuple(p.shape) for p in pyramid] == [(2, 4, 4, 3), (2, 8, 8, 3), (2, 16, 16, 3)]
    for level in pyramid[:2]:
        size = level.shape[1]
        expected = tf.image.resize(images, (size, size), "bilinear", antialias=True).numpy()
        np.testing.assert_allclose(np.asarray(level), expected, atol=1e-5)
    np.testing.assert_array_equal(np.asarray(pyramid[-1]), images)


def _gan(config_fields, lambda_ms=1.0):
    keras.utils.set_random_seed(0)
    gan = StackGAN(StackGANConfig(**config_fields, lambda_ms=lambda_ms))
    gan.compile(run_eagerly=True)
    return gan


def test_discriminator_loss_terms():
    gan = _gan(TINY)
    d = gan.discriminator.branches[0]
    rng = np.random.default_rng(0)
    real, wrong, f1, f2 = (rng.uniform(-1, 1, (2, 8, 8, 3)).astype(np.float32) for _ in range(4))
    mu1, mu2 = (rng.standard_normal((2, 4)).astype(np.float32) for _ in range(2))
    outs = [d([x, m], training=True) for x, m in ((real, mu1), (wrong, mu1), (f1, mu1), (f2, mu2))]
    # training-mode BN uses batch statistics, so a second call gives the same logits
    bce = lambda logits, t: float(np.mean(np.maximum(logits, 0) - logits * t + np.log1p(np.exp(-np.abs(logits)))))  # noqa: E731
    (rc, ru), (wc, wu), (f1c, f1u), (f2c, f2u) = [[np.asarray(o) for o in pair] for pair in outs]
    expected = (bce(rc, 1) + bce(ru, 1) + bce(wc, 0) + bce(wu, 1)
                + bce(f1c, 0) + bce(f2c, 0) + bce(f1u, 0) + bce(f2u, 0))
    got = float(gan.branch_discriminator_loss(d, real, wrong, f1, f2, mu1, mu2))
    assert got == pytest.approx(expected, rel=1e-4)
    gan.config = gan.config.replace(uncond_coeff=0.0)
    got = float(gan.branch_discriminator_loss(d, real, wrong, f1, f2, mu1, mu2))
    assert got == pytest.approx(bce(rc, 1) + 0.5 * (bce(wc, 0) + bce(f1c, 0) + bce(f2c, 0)), rel=1e-4)


def test_train_step_updates_both_nets_and_logs_terms():
    gan = _gan(TINY)
    rng = np.random.default_rng(0)
    cond = rng.standard_normal((2, 6)).astype(np.float32)
    real = rng.uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
    g_before = [np.array(v) for v in gan.generator.trainable_variables]
    d_before = [np.array(v) for v in gan.discriminator.trainable_variables]
    logs = {k: float(v) for k, v in gan.train_step((cond, real)).items()}
    assert set(logs) == {"d_loss", "g_loss", "ms_ratio", "kl_loss"} and all(np.isfinite(list(logs.values())))
    assert all(np.abs(np.array(v) - b).max() > 0 for v, b in zip(gan.generator.trainable_variables, g_before))
    assert all(np.abs(np.array(v) - b).max() > 0 for v, b in zip(gan.discriminator.trainable_variables, d_before))


def test_ms_term_is_the_shared_loss_on_the_last_branch_over_z_only():
    # The ratio logged by the step equals the shared loss recomputed from the same noise draws.
    gan = _gan(TINY)
    rng = np.random.default_rng(0)
    cond = rng.standard_normal((2, 6)).astype(np.float32)
    real = rng.uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
    state = np.array(gan.seed_generator.state)
    weights = [np.array(v) for v in gan.generator.weights]
    logs = gan.train_step((cond, real))
    gan.seed_generator.state.assign(state)
    for v, w in zip(gan.generator.weights, weights):
        v.assign(w)
    z = gan.draw_noise(4)
    eps = keras.random.normal((4, 4), seed=gan.seed_generator)
    fakes, _, _ = gan.generator.branches(np.concatenate([cond, cond]), z, eps, training=True)
    last1, last2 = np.split(np.asarray(fakes[-1]), 2)
    ms = float(mode_seeking_loss(last1, last2, *np.split(np.asarray(z), 2)))
    assert float(logs["ms_ratio"]) == pytest.approx(1.0 / ms - 1e-5, rel=1e-4)


def test_text_encoder_is_frozen_in_training():
    gan = _gan(TINY_TEXT)
    encoder = gan.generator.text_encoder
    assert encoder is not None and not encoder.trainable
    encoder_ids = {id(v) for v in encoder.weights}
    assert not encoder_ids & {id(v) for v in gan.generator.trainable_variables}
    before = [np.array(v) for v in encoder.weights]
    ids = TextSampler(gan.generator, gan.config).encode(["a red circle", "two big blue squares"])[0]
    gan.train_step((ids, np.zeros((2, 16, 16, 3), np.float32)))
    assert all(np.array_equal(np.array(v), b) for v, b in zip(encoder.weights, before))


@pytest.fixture(scope="module")
def text_sampler():
    config = StackGANConfig(**TINY_TEXT)
    return TextSampler(build_generator(config), config)


def test_sampler_takes_raw_captions(text_sampler):
    images = text_sampler.sample("a big green triangle", 3, seed=0)
    assert images.shape == (3, 16, 16, 3) and images.dtype == np.uint8
    np.testing.assert_array_equal(images, text_sampler.sample("A big green triangle.", 3, seed=0))
    assert not np.array_equal(images, text_sampler.sample("a big green triangle", 3, seed=1))
    assert text_sampler.sample(["a red circle", "two blue squares on the left"], 2, seed=0).shape == (2, 2, 16, 16, 3)


@pytest.mark.parametrize("caption, message", [
    ("", "empty caption"), ("   ", "empty caption"), ("purple dragon", "no known word"),
    ("a red circle " * 4, "at most"), (7, "must be a string"),
])
def test_sampler_bad_captions_are_one_line_errors(text_sampler, caption, message):
    with pytest.raises(ValueError, match=message) as error:
        text_sampler.sample(caption if not isinstance(caption, int) else [caption], 2)
    assert "\n" not in str(error.value)


def test_sampler_needs_captions_as_strings(text_sampler):
    with pytest.raises(ValueError, match="give a caption"):
        text_sampler.sample(7, 2)
    with pytest.raises(ValueError, match="no captions"):
        text_sampler.sample([], 2)
    with pytest.raises(ValueError, match="num_samples"):
        text_sampler.sample("a red circle", 0)


def test_sampler_unknown_words_are_dropped_with_a_warning(text_sampler):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        images = text_sampler.sample("a shiny red circle", 2, seed=0)
    assert any("shiny" in str(w.message) for w in caught)
    np.testing.assert_array_equal(images, text_sampler.sample("a red circle", 2, seed=0))


def test_embedding_sampler_checks_shapes():
    config = StackGANConfig(**TINY)
    sampler = TextSampler(build_generator(config), config)
    assert sampler.sample(np.zeros(6, np.float32), 2, seed=0).shape == (2, 16, 16, 3)
    out = sampler.generate(np.zeros((2, 6)), np.zeros((2, 5)))
    assert out.shape == (2, 16, 16, 3) and -1 <= out.min() and out.max() <= 1
    with pytest.raises(ValueError, match="sentence embeddings"):
        sampler.sample(np.zeros((2, 7)), 2)
    with pytest.raises(ValueError, match="ca_eps"):
        sampler.generate(np.zeros((2, 6)), np.zeros((2, 5)), ca_eps=np.zeros((2, 3)))


def test_official_generator_parity(tmp_path):
    folder = shared_data() / "official" / "stackgan_cub"
    if not (folder / "netG_600000.pth").is_file():
        pytest.skip(f"no official StackGAN++ fixture in {folder}")
    import zoo
    from zoo.convert.__main__ import convert

    out = convert("msgan_stackgan_cub", folder / "netG_600000.pth", tmp_path / "cub")
    sampler = zoo.load("msgan_stackgan_cub", weights=str(out))
    config = sampler.config
    assert (config.gf_dim, config.branch_num, config.embedding_dim, config.nz) == (16, 3, 128, 100)
    ref = np.load(folder / "reference.npz")
    images, mu, logvar = sampler.generate_branches(ref["text_embedding"], ref["z"], ref["ca_eps"])
    np.testing.assert_allclose(mu, ref["mu"], atol=1e-4)
    np.testing.assert_allclose(logvar, ref["logvar"], atol=1e-4)
    for i, image in enumerate(images):
        np.testing.assert_allclose(image, ref[f"image{i}"].transpose(0, 2, 3, 1), atol=1e-4)
    np.testing.assert_allclose(sampler.generate(ref["text_embedding"], ref["z"], ref["ca_eps"]),
                               ref["image2"].transpose(0, 2, 3, 1), atol=1e-4)


def test_nhwc_feature_order_matches_a_channel_major_view():
    from zoo.stackgan.convert import nhwc_feature_order

    channels = 3
    torch_features = np.arange(2 * 16 * channels)  # GLU halves of (C, 4, 4) blocks
    ours = torch_features[nhwc_feature_order(channels)]
    first_half = torch_features[:16 * channels].reshape(channels, 4, 4).transpose(1, 2, 0)
    np.testing.assert_array_equal(ours[:16 * channels].reshape(4, 4, channels), first_half)


def test_converter_errors_are_one_line():
    from zoo.stackgan.convert import load_state_into

    g = build_generator(StackGANConfig(**TINY))
    state = {"ca_net.fc.weight": np.zeros((16, 6), np.float32), "ca_net.fc.bias": np.zeros(16, np.float32)}
    with pytest.raises(ValueError, match="netG.pth lacks 'h_net1.fc.0.weight'") as error:
        load_state_into(g, state, "netG.pth")
    assert "\n" not in str(error.value)


def test_published_average_generator_gets_running_statistics_of_its_own_weights():
    # fit() leaves the moving average of G's weights in the generator. Its batch norms must carry
    # statistics measured with those weights, not the raw weights' (issue 30: with the raw
    # weights' statistics the shapes models drew objects in the wrong half of the picture).
    config = StackGANConfig(**dict(TINY, batch_size=8), ema_decay=0.9, learning_rate_g=0.02, seed=0)
    gan = StackGAN(config)
    gan.compile(run_eagerly=True)
    rng = np.random.default_rng(0)
    data = tf.data.Dataset.from_tensor_slices((rng.standard_normal((24, 6)).astype(np.float32),
                                               rng.uniform(-1, 1, (24, 16, 16, 3)).astype(np.float32))).batch(8)
    gan.fit(data, epochs=1, verbose=0)
    statistics = [v for v in gan.generator.non_trainable_variables if "moving_" in v.path]
    published = [np.array(v) for v in statistics]
    measured = False
    assert gan.recalibrate_batch_norm(data) == 3  # the same passes again, on the averaged weights
    for before, v in zip(published, statistics):
        np.testing.assert_allclose(before, np.array(v), rtol=1e-5, atol=1e-6, err_msg=v.path)
        measured = measured or not np.allclose(before, 1.0 * ("variance" in v.path))
    assert measured  # not the initial 0 / 1


def test_recalibration_averages_the_batch_statistics_of_every_pass():
    config = StackGANConfig(**TINY)
    gan = StackGAN(config)
    norm = gan.generator.init_stage.fc_bn
    cond = np.random.default_rng(0).standard_normal((6, 6)).astype(np.float32)
    means = []
    original = type(norm).call

    def spy(layer, inputs, training=None, **kwargs):
        if layer is norm and training:
            means.append(np.asarray(inputs).mean(axis=0))
        return original(layer, inputs, training=training, **kwargs)

    type(norm).call = spy
    try:
        assert gan.recalibrate_batch_norm(cond, batches=3) == 3
    finally:
        type(norm).call = original
    assert len(means) == 3 and norm.momentum == pytest.approx(0.9)
    np.testing.assert_allclose(np.asarray(norm.moving_mean), np.mean(means, axis=0), rtol=1e-4, atol=1e-5)


# -- issue 30 options: a standardized sentence embedding, and D conditioned on it -------------
def test_condition_options_default_to_the_official_behaviour_and_check_their_values():
    config = StackGANConfig()
    assert (config.text_standardize, config.d_condition, config.d_condition_dim) == (False, "mu", 128)
    assert StackGANConfig(**TINY, d_condition="embedding").d_condition_dim == 6
    with pytest.raises(ValueError, match="text_standardize needs a caption encoder"):
        StackGANConfig(**TINY, text_standardize=True)
    with pytest.raises(ValueError, match="d_condition must be"):
        StackGANConfig(**TINY, d_condition="c")
    # off: the encoder's output is the GRU's raw state, and it holds no extra weights
    generator = build_generator(StackGANConfig(**TINY_TEXT))
    assert generator.text_encoder.offset is None and len(generator.text_encoder.weights) == 4


def test_standardized_caption_encoder_has_mean_0_std_1_on_training_captions_and_saves_it(tmp_path):
    from zoo.stackgan.text import caption_split, standardize_caption_encoder

    config = StackGANConfig(**TINY_TEXT, text_standardize=True)
    keras.utils.set_random_seed(0)
    gan = StackGAN(config)  # (pretrains when text_pretrain_steps > 0, then) standardizes
    generator, encoder = gan.generator, gan.generator.text_encoder
    train = caption_split("train")
    ids = TextSampler(generator, config).encode([c.text for c in train])[0]
    raw = np.asarray(encoder.gru(encoder.embedding(ids)))
    assert raw.std(axis=0).mean() < 0.5  # the GRU's raw state is far from unit scale
    out = np.asarray(generator.sentence_embedding(ids))
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=0), 1.0, atol=1e-3)
    assert {id(v) for v in (encoder.offset, encoder.scale)}.isdisjoint(id(v) for v in generator.trainable_variables)
    # saved with the generator's weights: a fresh generator (as sampler, export and scoring build
    # it) loads the same standardization
    generator.save_weights(tmp_path / "g.weights.h5")
    fresh = build_generator(config)
    assert not np.allclose(np.asarray(fresh.sentence_embedding(ids)), out)
    fresh.load_weights(tmp_path / "g.weights.h5")
    np.testing.assert_allclose(np.asarray(fresh.sentence_embedding(ids)), out, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="no standardization weights"):
        standardize_caption_encoder(build_generator(StackGANConfig(**TINY_TEXT)).text_encoder, train,
                                    VOCABULARY, MAX_CAPTION_WORDS)


@pytest.mark.parametrize("d_condition", ["mu", "embedding"])
def test_discriminators_see_the_configured_condition_in_the_train_step(d_condition):
    gan = _gan(dict(TINY_TEXT, d_condition=d_condition))
    width = 6 if d_condition == "embedding" else 4
    assert all(d.condition_dim == width for d in gan.discriminator.branches)
    seen = {"d": [], "g": []}
    d_loss, g_loss = gan.branch_discriminator_loss, gan.branch_generator_loss

    def spy_d(d, real, wrong, f1, f2, c1, c2):
        seen["d"].append((np.asarray(c1), np.asarray(c2)))
        return d_loss(d, real, wrong, f1, f2, c1, c2)

    def spy_g(d, f1, f2, c1, c2):
        seen["g"].append((np.asarray(c1), np.asarray(c2)))
        return g_loss(d, f1, f2, c1, c2)

    gan.branch_discriminator_loss, gan.branch_generator_loss = spy_d, spy_g
    ids = TextSampler(gan.generator, gan.config).encode(["a red circle", "two big blue squares"])[0]
    embedding = np.asarray(gan.generator.sentence_embedding(ids))
    mu = np.asarray(gan.generator.ca.encode(embedding)[0])  # G's weights before the step
    gan.train_step((ids, np.zeros((2, 16, 16, 3), np.float32)))
    assert len(seen["d"]) == len(seen["g"]) == 2  # one call per branch
    for c1, c2 in seen["d"] + seen["g"]:
        assert c1.shape == c2.shape == (2, width)
        if d_condition == "embedding":
            np.testing.assert_allclose(c1, embedding, rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(c2, embedding, rtol=1e-5, atol=1e-6)
    if d_condition == "mu":  # D's update uses mu from the forward before G's update
        np.testing.assert_allclose(seen["d"][0][0], mu, rtol=1e-5, atol=1e-6)
