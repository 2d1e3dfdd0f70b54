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
