import numpy as np
import pytest
import tensorflow as tf

from zoo.losses import (adversarial_loss, bce_with_logits, lsgan_loss, mode_seeking_loss,
                        mode_seeking_ratio)


def test_mode_seeking_loss_is_the_official_formula():
    rng = np.random.default_rng(0)
    fake1, fake2 = rng.uniform(-1, 1, (2, 4, 8, 8, 3)).astype(np.float32)
    z1, z2 = rng.standard_normal((2, 4, 16)).astype(np.float32)
    ratio = np.mean(np.abs(fake1 - fake2)) / np.mean(np.abs(z1 - z2))
    assert float(mode_seeking_ratio(fake1, fake2, z1, z2)) == pytest.approx(ratio, rel=1e-6)
    assert float(mode_seeking_loss(fake1, fake2, z1, z2)) == pytest.approx(1 / (ratio + 1e-5), rel=1e-6)
    assert float(mode_seeking_loss(fake1, fake2, z1, z2, eps=0.5)) == pytest.approx(1 / (ratio + 0.5), rel=1e-6)


def test_identical_outputs_give_the_largest_penalty():
    fake = np.zeros((2, 4), np.float32)
    z1, z2 = np.zeros((2, 3), np.float32), np.ones((2, 3), np.float32)
    assert float(mode_seeking_loss(fake, fake, z1, z2)) == pytest.approx(1e5)


def test_gradient_step_pushes_the_two_outputs_apart():
    rng = np.random.default_rng(1)
    fake1 = tf.Variable(rng.normal(size=(3, 5)).astype(np.float32))
    fake2 = tf.Variable(fake1.numpy() + 0.01 * rng.normal(size=(3, 5)).astype(np.float32))
    z1, z2 = rng.normal(size=(2, 3, 8)).astype(np.float32)
    before = np.abs(fake1.numpy() - fake2.numpy()).mean()
    for _ in range(3):
        with tf.GradientTape() as tape:
            loss = mode_seeking_loss(fake1, fake2, z1, z2)
        g1, g2 = tape.gradient(loss, [fake1, fake2])
        fake1.assign_sub(1e-4 * g1)
        fake2.assign_sub(1e-4 * g2)
    after = np.abs(fake1.numpy() - fake2.numpy()).mean()
    assert after > before * 1.5


def test_adversarial_losses():
    logits = np.array([[0.0], [2.0]], np.float32)
    expected = np.mean(np.log1p(np.exp(-logits)))  # -log(sigmoid(x))
    assert float(bce_with_logits(logits, 1.0)) == pytest.approx(expected, rel=1e-5)
    assert float(lsgan_loss(np.array([0.5, 1.5], np.float32), 1.0)) == pytest.approx(0.25)
    assert adversarial_loss("lsgan") is lsgan_loss
    with pytest.raises(ValueError, match="unknown adversarial loss 'wgan'"):
        adversarial_loss("wgan")
