import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.dcgan import DCGAN, DCGANConfig, build_discriminator, build_generator
from zoo.losses import mode_seeking_loss

TINY = DCGANConfig(name="tiny", dataset="digits", image_size=8, channels=1, d=8, nz=4, seed=3,
                   class_names=tuple("abcdefghij"))


def tiny_batch(n=8, seed=0, config=TINY):
    rng = np.random.default_rng(seed)
    condition = keras.utils.to_categorical(rng.integers(0, config.num_classes, n), config.num_classes)
    images = rng.uniform(-1, 1, (n, config.image_size, config.image_size, config.channels))
    return condition.astype(np.float32), images.astype(np.float32)


def tiny_tensors(n=4, seed=0):
    return tuple(tf.constant(a) for a in tiny_batch(n, seed))


def test_official_cifar10_architecture():
    config = DCGANConfig()
    generator, discriminator = build_generator(config), build_discriminator(config)
    assert generator.output_shape == (None, 32, 32, 3)
    assert discriminator.output_shape == (None, 1)
    assert config.widths == [512, 256, 128]
    # PyTorch's count for the official networks (weights + biases + BN affine).
    trainable = sum(int(np.prod(w.shape)) for w in generator.trainable_weights)
    assert trainable == 3_531_395
    d_trainable = sum(int(np.prod(w.shape)) for w in discriminator.trainable_weights)
    assert d_trainable == (13 * 128 * 16 + 128) + (128 * 256 * 16 + 256 + 512) + (256 * 512 * 16 + 512 + 1024) + (512 * 16 + 1)


def test_digits_shapes_and_output_range():
    generator = build_generator(TINY)
    condition, _ = tiny_batch(5)
    out = np.asarray(generator([condition, np.random.normal(size=(5, 4)).astype(np.float32)]))
    assert out.shape == (5, 8, 8, 1) and out.dtype == np.float32
    assert np.all(np.abs(out) <= 1.0)
    with pytest.raises(ValueError, match="image_size"):
        build_generator(TINY.replace(image_size=12))


def test_minibatch_discrimination_switch():
    plain = build_discriminator(TINY)
    with_mbd = build_discriminator(TINY.replace(minibatch_discrimination=True, mbd_kernels=6))
    assert not any("minibatch" in layer.name for layer in plain.layers)
    assert any("minibatch" in layer.name for layer in with_mbd.layers)
    condition, images = tiny_batch(4)
    assert with_mbd([images, condition]).shape == (4, 1)


def test_lambda_ms_zero_is_the_plain_gan_loss():
    gan = DCGAN(TINY)
    condition, real = tiny_tensors(4)
    fake1, fake2, z1, z2 = gan.generate_pair(condition)
    adversarial = float(gan.generator_adversarial_loss(condition, fake1, fake2))
    ms = float(mode_seeking_loss(fake1, fake2, z1, z2))
    gan.compile(lambda_ms=0.0)
    g_loss = gan.generator_loss(condition, fake1, fake2, mode_seeking_loss(fake1, fake2, z1, z2))
    assert float(g_loss) == pytest.approx(adversarial, rel=1e-6)
    gan.compile(lambda_ms=2.0)
    g_loss = gan.generator_loss(condition, fake1, fake2, mode_seeking_loss(fake1, fake2, z1, z2))
    assert float(g_loss) == pytest.approx(adversarial + 2.0 * ms, rel=1e-5)


def test_generate_pair_gives_two_different_samples_per_condition():
    gan = DCGAN(TINY)
    condition, _ = tiny_tensors(3)
    fake1, fake2, z1, z2 = gan.generate_pair(condition, training=False)
    assert fake1.shape == fake2.shape == (3, 8, 8, 1)
    assert not np.allclose(z1, z2) and not np.allclose(fake1, fake2)


def _fit_once(config=TINY, **compile_kwargs):
    gan = DCGAN(config)
    gan.compile(**compile_kwargs)
    condition, real = tiny_batch(16)
    g_before = [w.numpy().copy() for w in gan.generator.trainable_weights]
    d_before = [w.numpy().copy() for w in gan.discriminator.trainable_weights]
    history = gan.fit(condition, real, batch_size=8, epochs=1, verbose=0)
    g_moved = any(not np.allclose(a, w.numpy()) for a, w in zip(g_before, gan.generator.trainable_weights))
    d_moved = any(not np.allclose(a, w.numpy()) for a, w in zip(d_before, gan.discriminator.trainable_weights))
    return gan, history.history, g_moved, d_moved


def test_train_step_updates_both_networks_and_reports_metrics():
    _, logs, g_moved, d_moved = _fit_once()
    assert set(logs) == {"d_loss", "g_loss", "ms_ratio"}
    assert g_moved and d_moved
    assert all(np.isfinite(v[0]) for v in logs.values())
    assert logs["ms_ratio"][0] > 0


def test_fit_on_a_dataset_does_not_warn_about_shuffle(recwarn):
    # Keras warns on every fit(dataset) left at shuffle=True; our pipelines shuffle in tf.data.
    gan = DCGAN(TINY)
    gan.compile()
    dataset = tf.data.Dataset.from_tensor_slices(tiny_batch(16)).batch(8)
    history = gan.fit(dataset, epochs=1, verbose=0)
    assert len(history.history["g_loss"]) == 1
    assert not [w for w in recwarn if "shuffle" in str(w.message)]
    # Arrays keep Keras' default (shuffled batches), and an explicit shuffle is passed through.
    gan.fit(*tiny_batch(16), batch_size=8, epochs=1, verbose=0, shuffle=False)
    assert not [w for w in recwarn if "shuffle" in str(w.message)]


def test_weight_decay_enters_both_updates():
    config = TINY.replace(weight_decay=0.0)
    gan_plain = DCGAN(config)
    gan_plain.compile(weight_decay=0.0)
    gan_decay = DCGAN(config)
    gan_decay.compile(weight_decay=1e-4)
    assert gan_plain.weight_decay == 0.0 and gan_decay.weight_decay == 1e-4
    assert DCGAN(DCGANConfig()).compile() is None and DCGANConfig().weight_decay == 1e-4
    # One step from identical weights: the decayed run must differ in both networks.
    condition, real = tiny_batch(8)
    for gan in (gan_plain, gan_decay):
        gan.generator.set_weights(gan_plain.generator.get_weights())
        gan.discriminator.set_weights(gan_plain.discriminator.get_weights())
    results = []
    for gan in (gan_plain, gan_decay):
        gan.seed_generator.state.assign([7, 0])
        gan.train_on_batch(condition, real)
        results.append((gan.generator.get_weights(), gan.discriminator.get_weights()))
    assert any(not np.allclose(a, b) for a, b in zip(results[0][0], results[1][0]))
    assert any(not np.allclose(a, b) for a, b in zip(results[0][1], results[1][1]))


def test_same_seed_same_training():
    # Weights come from the global Keras seed, noise from the model's seed generator.
    keras.utils.set_random_seed(11)
    a = _fit_once()[0]
    keras.utils.set_random_seed(11)
    b = _fit_once()[0]
    for wa, wb in zip(a.generator.get_weights(), b.generator.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)


def test_runs_under_mixed_bfloat16_with_float32_outputs():
    keras.config.set_dtype_policy("mixed_bfloat16")
    gan, logs, g_moved, _ = _fit_once()
    assert g_moved and np.isfinite(logs["g_loss"][0])
    condition, _ = tiny_batch(2)
    assert gan.generator([condition, np.zeros((2, 4), np.float32)]).dtype == "float32"
    assert gan.generator.layers[-3].compute_dtype == "bfloat16"


def test_mixed_float16_trains_with_loss_scaling_on_both_optimizers():
    keras.config.set_dtype_policy("mixed_float16")
    gan, logs, g_moved, d_moved = _fit_once()
    assert isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer)
    assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
    assert gan.g_optimizer is not gan.d_optimizer
    assert np.isfinite(logs["g_loss"][0]) and np.isfinite(logs["d_loss"][0])
    # Either the step was applied, or an overflow was caught and the scale lowered (never NaN weights).
    for optimizer, moved in ((gan.g_optimizer, g_moved), (gan.d_optimizer, d_moved)):
        assert moved or float(optimizer.dynamic_scale) < 2.0 ** 15
    assert all(np.isfinite(w).all() for w in gan.generator.get_weights())
    assert gan.generator.layers[-3].compute_dtype == "float16"
    assert gan.generator.output.dtype == "float32"


@pytest.mark.parametrize("strategy", ["default", "mirrored"])
def test_runs_inside_a_distribution_strategy(strategy):
    scope = tf.distribute.get_strategy() if strategy == "default" else tf.distribute.MirroredStrategy(["/cpu:0"])
    with scope.scope():
        gan = DCGAN(TINY)
        gan.compile()
    condition, real = tiny_batch(16)
    dataset = tf.data.Dataset.from_tensor_slices((condition, real)).batch(8, drop_remainder=True)
    logs = gan.fit(dataset, epochs=1, verbose=0).history
    assert np.isfinite(logs["g_loss"][0]) and np.isfinite(logs["d_loss"][0])


def test_compile_rejects_shared_optimizer_and_negative_lambda():
    gan = DCGAN(TINY)
    optimizer = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="two different optimizer"):
        gan.compile(g_optimizer=optimizer, d_optimizer=optimizer)
    with pytest.raises(ValueError, match="lambda_ms must be >= 0"):
        gan.compile(lambda_ms=-1.0)
