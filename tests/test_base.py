"""zoo.base.ConditionalGAN's update: L2 weight decay under every dtype policy."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.base import ConditionalGAN


def _one_weight_gan():
    """A GAN whose G and D are one 1x1 dense layer with weight 1 (enough for ``apply_update``)."""
    def one_weight_model():
        x = keras.Input((1,))
        y = keras.layers.Dense(1, use_bias=False, kernel_initializer="ones", dtype="float32")(x)
        return keras.Model([x, x], y)

    return ConditionalGAN(one_weight_model(), one_weight_model(), nz=1)


def _sgd_step_with_decay(policy, gradient):
    """One SGD(lr 1) step on ``w = 1`` with weight decay 0.1 and loss ``gradient * w``."""
    keras.config.set_dtype_policy(policy)
    gan = _one_weight_gan()
    gan.compile(g_optimizer=keras.optimizers.SGD(1.0), d_optimizer=keras.optimizers.SGD(1.0),
                weight_decay=0.1)
    weights = gan.generator.trainable_variables
    with tf.GradientTape() as tape:
        loss = gradient * tf.reduce_sum(weights[0])
        scaled_loss = gan.scaled(gan.g_optimizer, loss)
    gan.apply_update(gan.g_optimizer, tape, scaled_loss, weights)
    return float(weights[0].numpy().ravel()[0]), gan


@pytest.mark.parametrize("policy", ["float32", "mixed_bfloat16", "mixed_float16"])
@pytest.mark.parametrize("gradient", [0.0, 0.5])
def test_weight_decay_is_the_same_under_every_policy(policy, gradient):
    # w <- w - lr * (dL/dw + wd * w) = 1 - (gradient + 0.1). Under mixed_float16 the loss is
    # multiplied by the loss scale (32768) and the gradients divided by it after the update
    # was built: a decay term added to the scaled gradients was divided too (w = 0.999997).
    weight, gan = _sgd_step_with_decay(policy, gradient)
    if policy == "mixed_float16":
        assert isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer)
        assert float(gan.g_optimizer.dynamic_scale) > 1  # the scaling was really in effect
    np.testing.assert_allclose(weight, 1.0 - (gradient + 0.1), rtol=1e-6)


def test_mixed_bfloat16_computes_in_bfloat16_but_keeps_losses_ms_and_weights_float32():
    # Where precision matters stays float32: variables and their updates (mixed policy), the
    # networks' last layers (images, logits), the adversarial losses, the MS ratio and its
    # reciprocal, and batch norm's statistics (Keras casts them up).
    from zoo.dcgan import DCGAN, DCGANConfig
    from zoo.losses import mode_seeking_loss

    keras.config.set_dtype_policy("mixed_bfloat16")
    config = DCGANConfig(name="tiny", dataset="digits", image_size=8, channels=1, d=8, nz=4, seed=3,
                         class_names=tuple("abcdefghij"))
    gan = DCGAN(config)
    gan.compile()
    rng = np.random.default_rng(0)
    condition = tf.constant(np.eye(10, dtype=np.float32)[rng.integers(0, 10, 6)])
    real = tf.constant(rng.uniform(-1, 1, (6, 8, 8, 1)).astype(np.float32))
    hidden = [layer for layer in gan.generator.layers if "conv" in layer.name.lower()]
    assert hidden and all(layer.compute_dtype == "bfloat16" for layer in hidden[:-1])
    fake1, fake2, z1, z2 = gan.generate_pair(condition)
    assert fake1.dtype == "float32" and z1.dtype == "float32"
    assert gan.discriminator([real, condition]).dtype == "float32"
    assert gan.discriminator_loss(condition, real, fake1, fake2).dtype == "float32"
    assert mode_seeking_loss(fake1, fake2, z1, z2).dtype == "float32"
    assert all(v.dtype == "float32" for v in gan.generator.weights + gan.discriminator.weights)
    logs = gan.train_on_batch(condition, real, return_dict=True)
    assert all(np.isfinite(v) for v in logs.values())
    assert all(v.dtype == "float32" for v in gan.g_optimizer.variables if v.dtype.startswith("float"))
