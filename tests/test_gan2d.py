"""2-D MLP GANs: empty conditions, minibatch discrimination, PacGAN packing, the remedies' switches."""
import numpy as np
import pytest

from zoo.lab.gan2d import GAN2D, GAN2DConfig, build_discriminator, build_generator, make_dataset
from zoo.lab.harness import train_gan2d
from zoo.layers import MinibatchDiscrimination
from zoo.lab.toy import get_mixture

TINY = dict(nz=8, g_hidden=(16,), d_hidden=(16,), batch_size=16, steps=6)


def _points(n, seed=0):
    return np.random.default_rng(seed).standard_normal((n, 2)).astype(np.float32)


def test_generator_takes_an_empty_condition_and_returns_points():
    generator = build_generator(GAN2DConfig(**TINY), seed=0)
    z = np.random.default_rng(0).standard_normal((5, 8)).astype(np.float32)
    out = np.asarray(generator([np.zeros((5, 0), np.float32), z]))
    assert out.shape == (5, 2) and out.dtype == np.float32
    assert np.abs(out[0] - out[1]).sum() > 0  # different z, different points


def test_plain_discriminator_scores_each_sample_alone():
    discriminator = build_discriminator(GAN2DConfig(**TINY), seed=0)
    x = _points(8)
    out = np.asarray(discriminator([x, np.zeros((8, 0), np.float32)]))
    x2 = x.copy()
    x2[1:] += 5.0  # change every other sample
    out2 = np.asarray(discriminator([x2, np.zeros((8, 0), np.float32)]))
    assert out.shape == (8, 1)
    np.testing.assert_allclose(out[0], out2[0], rtol=1e-6)


def test_minibatch_discrimination_reuses_the_zoo_layer_and_sees_the_batch():
    discriminator = build_discriminator(GAN2DConfig(minibatch_discrimination=True, **TINY), seed=0)
    assert any(isinstance(layer, MinibatchDiscrimination) for layer in discriminator.layers)
    x = _points(8)
    out = np.asarray(discriminator([x, np.zeros((8, 0), np.float32)]))
    x2 = x.copy()
    x2[1:] = x[0]  # the other samples collapse onto sample 0
    out2 = np.asarray(discriminator([x2, np.zeros((8, 0), np.float32)]))
    assert abs(float(out[0, 0] - out2[0, 0])) > 1e-6


def test_pacgan_packs_consecutive_samples():
    config = GAN2DConfig(pack=4, **TINY)
    discriminator = build_discriminator(config, seed=0)
    x = _points(8)
    out = np.asarray(discriminator([x, np.zeros((8, 0), np.float32)]))
    assert out.shape == (2, 1)
    x2 = x.copy()
    x2[3] += 1.0  # a member of the first pack only
    out2 = np.asarray(discriminator([x2, np.zeros((8, 0), np.float32)]))
    assert abs(float(out[0, 0] - out2[0, 0])) > 1e-6
    np.testing.assert_allclose(out[1], out2[1], rtol=1e-6)


def test_config_rejects_bad_settings():
    with pytest.raises(ValueError, match="multiple of pack"):
        GAN2DConfig(batch_size=10, pack=4)
    with pytest.raises(ValueError, match="unroll_steps"):
        GAN2DConfig(unroll_steps=-1)
    with pytest.raises(ValueError, match="inner optimizer"):
        GAN2DConfig(inner_optimizer="rmsprop")
    with pytest.raises(ValueError, match="steps and batch_size"):
        make_dataset(get_mixture("ring8"), 0, 4)
    with pytest.raises(ValueError, match="d_maxout_pieces must be >= 1"):
        GAN2DConfig(d_maxout_pieces=0)
    with pytest.raises(ValueError, match="unknown init 'xavier'"):
        GAN2DConfig(init="xavier")
    with pytest.raises(ValueError, match="generator_steps must be >= 1"):
        GAN2DConfig(generator_steps=0)


def test_pacgan_networks():
    config = GAN2DConfig(nz=2, g_hidden=(8, 8), d_hidden=(6, 6), g_batch_norm=True, d_maxout_pieces=5,
                         init="normal", batch_size=8, pack=4)
    generator, discriminator = build_generator(config, seed=0), build_discriminator(config, seed=0)
    hidden = [generator.get_layer(f"dense{i}") for i in (1, 2)]
    assert all(not layer.use_bias for layer in hidden)  # batch norm follows: no bias, as in PacGAN's G
    assert [generator.get_layer(f"dense{i}_bn").name for i in (1, 2)] == ["dense1_bn", "dense2_bn"]
    assert generator.get_layer("points").use_bias
    maxout = discriminator.get_layer("maxout1")
    assert (maxout.units, maxout.pieces) == (6, 5) and maxout.kernel.shape == (2 * 4, 30)
    assert abs(float(np.std(np.asarray(maxout.kernel))) - 0.02) < 0.01
    points = np.asarray(generator([np.zeros((8, 0), np.float32), np.ones((8, 2), np.float32)], training=True))
    assert points.shape == (8, 2)
    assert np.asarray(discriminator([points, np.zeros((8, 0), np.float32)])).shape == (2, 1)


def test_dataset_batches_empty_conditions_and_mixture_points():
    condition, points = next(iter(make_dataset(get_mixture("grid25"), steps=2, batch_size=4)))
    assert condition.shape == (4, 0) and points.shape == (4, 2)


@pytest.mark.parametrize("changes", [
    {},
    {"lambda_ms": 1.0},
    {"minibatch_discrimination": True},
    {"pack": 4},
    {"unroll_steps": 2},
    {"generator_steps": 2, "lambda_ms": 1.0},
    # The PacGAN paper's networks (batch-norm G, maxout D, N(0, 0.02) weights) with its packing
    # and with the unrolled step (D's maxout weights go through the unrolled updates).
    {"g_batch_norm": True, "d_maxout_pieces": 3, "init": "normal", "pack": 4},
    {"g_batch_norm": True, "d_maxout_pieces": 3, "init": "normal", "unroll_steps": 2},
])
def test_every_remedy_trains_and_samples(changes):
    config = GAN2DConfig(**TINY, **changes)
    gan, info = train_gan2d(config, get_mixture("ring8"), steps_per_execution=2)
    assert isinstance(gan, GAN2D)
    assert gan.lambda_ms == config.lambda_ms
    for key in ("d_loss", "g_loss", "ms_ratio"):
        assert np.isfinite(info["history"][key][-1])
    assert info["seconds_per_step"] > 0
    samples = gan.sample(30, seed=1)
    assert samples.shape == (30, 2) and np.all(np.isfinite(samples))
    np.testing.assert_array_equal(samples, gan.sample(30, seed=1))


def test_learning_rate_decays_to_the_final_fraction():
    gan = GAN2D(GAN2DConfig(learning_rate=1e-3, lr_final_fraction=0.01, **TINY))
    schedule = gan.learning_rate_schedule()
    assert float(schedule(0)) == pytest.approx(1e-3)
    assert float(schedule(TINY["steps"])) == pytest.approx(1e-5)
    assert GAN2D(GAN2DConfig(lr_final_fraction=1.0, **TINY)).learning_rate_schedule() == 1e-3
