"""Unrolled GAN: the generator's gradient flows through the unrolled discriminator updates."""
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.base import ConditionalGAN
from zoo.lab.unrolled import UnrolledGAN, unroll_discriminator, unrolled_generator_step

THETA, W, REAL, LR = 0.7, 0.9, 1.5, 0.1


def _sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def one_parameter_gan(cls=ConditionalGAN, theta=THETA, w=W, **kwargs):
    """G(z) = theta (bias only, kernel fixed at 0), D(x) = w * x (one weight): hand-checkable."""
    condition = keras.Input((0,))
    z = keras.Input((1,))
    x = keras.layers.Concatenate()([z, condition])
    out = keras.layers.Dense(1, kernel_initializer="zeros",
                             bias_initializer=keras.initializers.Constant(theta))(x)
    generator = keras.Model([condition, z], out)
    generator.layers[-1].kernel.trainable = False
    points = keras.Input((1,))
    d_condition = keras.Input((0,))
    logit = keras.layers.Dense(1, use_bias=False, kernel_initializer=keras.initializers.Constant(w))(
        keras.layers.Concatenate()([points, d_condition]))
    discriminator = keras.Model([points, d_condition], logit)
    gan = cls(generator, discriminator, nz=1, seed=0, **kwargs)
    return gan


def closed_form_generator_gradient(k):
    """d/dtheta of the base model's G loss ``2 softplus(-w_k theta)`` after k SGD steps of D.

    D loss (base model, both fakes equal theta): ``L_D = 2 [softplus(-w r) + softplus(w theta)]``,
    ``dL_D/dw = 2 [-r sigmoid(-w r) + theta sigmoid(w theta)]``, ``w_{i+1} = w_i - lr dL_D/dw_i``.
    Differentiated by forward-mode chain rule: ``dw_{i+1}/dtheta = dw_i/dtheta - lr d(dL_D/dw)/dtheta``.
    """
    w, dw = W, 0.0
    for _ in range(k):
        s_fake = _sigmoid(w * THETA)
        grad_w = 2 * (-REAL * _sigmoid(-w * REAL) + THETA * s_fake)
        # total derivative of grad_w w.r.t. theta (through w and directly)
        d_grad_w = 2 * (REAL ** 2 * _sigmoid(-w * REAL) * (1 - _sigmoid(-w * REAL)) * dw
                        + s_fake + THETA * s_fake * (1 - s_fake) * (THETA * dw + w))
        w, dw = w - LR * grad_w, dw - LR * d_grad_w
    # G loss 2 softplus(-w theta): derivative -2 sigmoid(-w theta) (w + theta dw/dtheta)
    return -2 * _sigmoid(-w * THETA) * (w + THETA * dw), w


def _generator_bias_gradient(gan, k, inner="sgd"):
    condition = tf.zeros((1, 0))
    real = tf.constant([[REAL]])
    step = unrolled_generator_step(gan, condition, real, k, inner)
    return float(step["grads"][-1].numpy().ravel()[0])  # the bias (the kernel is frozen)


@pytest.mark.parametrize("k", [0, 1, 3])
def test_unrolled_sgd_gradient_matches_closed_form(k):
    gan = one_parameter_gan()
    gan.compile(g_optimizer=keras.optimizers.SGD(LR), d_optimizer=keras.optimizers.SGD(LR), lambda_ms=0.0)
    expected, _ = closed_form_generator_gradient(k)
    assert _generator_bias_gradient(gan, k) == pytest.approx(expected, rel=1e-4, abs=1e-6)


def test_unrolled_gradient_differs_from_plain_and_from_first_order_only():
    gan = one_parameter_gan()
    gan.compile(g_optimizer=keras.optimizers.SGD(LR), d_optimizer=keras.optimizers.SGD(LR), lambda_ms=0.0)
    plain = _generator_bias_gradient(gan, 0)
    unrolled = _generator_bias_gradient(gan, 3)
    _, w3 = closed_form_generator_gradient(3)
    first_order_only = -2 * _sigmoid(-w3 * THETA) * w3  # what a cloned D + optimizer.apply gives
    assert abs(unrolled - plain) > 1e-3
    assert abs(unrolled - first_order_only) > 1e-3


def test_unrolled_adam_gradient_matches_finite_differences():
    """Adam unrolling (moments, bias correction) differentiated end to end, checked numerically."""
    def surrogate_and_grad(theta):
        gan = one_parameter_gan(theta=theta)
        gan.compile(lambda_ms=0.0)  # Adam(2e-4, 0.5) for both
        gan.d_optimizer.learning_rate = 0.05
        gan.build_optimizers()
        step = unrolled_generator_step(gan, tf.zeros((1, 0)), tf.constant([[REAL]]), 4, "adam")
        return float(step["g_loss"]), float(step["grads"][-1].numpy().ravel()[0])

    h = 1e-3
    _, grad = surrogate_and_grad(THETA)
    plus, _ = surrogate_and_grad(THETA + h)
    minus, _ = surrogate_and_grad(THETA - h)
    assert grad == pytest.approx((plus - minus) / (2 * h), rel=2e-2, abs=1e-4)


def test_first_unrolled_adam_step_equals_the_optimizers_update():
    gan = one_parameter_gan()
    gan.compile(lambda_ms=0.0)
    gan.build_optimizers()
    condition, real = tf.zeros((4, 0)), tf.constant([[REAL]] * 4)
    fake1, fake2, _, _ = gan.generate_pair(condition)
    unrolled = unroll_discriminator(gan, condition, real, fake1, fake2, 1, "adam")
    with tf.GradientTape() as tape:
        d_loss = gan.discriminator_loss(condition, real, fake1, fake2)
    gan.apply_update(gan.d_optimizer, tape, d_loss, gan.discriminator.trainable_variables)
    np.testing.assert_allclose(unrolled[0].numpy(), gan.discriminator.trainable_variables[0].numpy(), rtol=1e-6)


def test_unrolled_gan_train_step_updates_both_networks_under_fit():
    gan = one_parameter_gan(cls=UnrolledGAN, unroll_steps=2)
    gan.compile(lambda_ms=1.0)
    data = tf.data.Dataset.from_tensor_slices((np.zeros((8, 0), np.float32), np.full((8, 1), REAL, np.float32))).batch(4)
    d_before = gan.discriminator.trainable_variables[0].numpy().copy()
    g_before = gan.generator.trainable_variables[0].numpy().copy()
    history = gan.fit(data, epochs=1, verbose=0)
    assert np.isfinite(history.history["g_loss"][-1])
    assert not np.allclose(d_before, gan.discriminator.trainable_variables[0].numpy())
    assert not np.allclose(g_before, gan.generator.trainable_variables[0].numpy())


def test_bad_unroll_settings_raise():
    with pytest.raises(ValueError, match="unroll_steps"):
        one_parameter_gan(cls=UnrolledGAN, unroll_steps=-1)
    gan = one_parameter_gan(cls=UnrolledGAN, unroll_steps=1)
    with pytest.raises(ValueError, match="inner='adam'"):
        gan.compile(d_optimizer=keras.optimizers.SGD(0.1))
    with pytest.raises(ValueError, match="unknown inner optimizer"):
        one_parameter_gan(cls=UnrolledGAN, inner_optimizer="rmsprop")
