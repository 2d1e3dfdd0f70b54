"""Pix2Pix with the mode seeking term: the image-to-image model of MSGAN (Mao et al. 2019, sec. 4.2).

As the official ``Pix2Pix-Mode-Seeking`` code builds it (BicycleGAN's networks, Pix2Pix's
training):

* G: :func:`zoo.unet.build_unet`, ``z`` (nz = 8) added to every block, instance norm;
* D: :func:`zoo.patchgan.build_patchgan`, two PatchGANs (full and half resolution),
  conditional on the input image;
* losses: LSGAN on both samples of the pair, ``10 * L1`` of the first sample to the target,
  ``lambda_ms * mode_seeking_loss`` on the pair;
* Adam(2e-4, 0.5, 0.999), constant learning rate for ``niter`` epochs, then linear decay to
  zero over ``niter_decay`` epochs; batch 1.
"""
import keras
import tensorflow as tf
from keras import ops

from zoo.base import MS_EPS, ConditionalGAN
from zoo.losses import l1_loss, mode_seeking_loss
from zoo.patchgan import lsgan_multiscale, scales
from zoo.pix2pix.networks import build_discriminator, build_generator
from zoo.schedules import LinearDecayTraining


class Pix2Pix(LinearDecayTraining, ConditionalGAN):
    """Pix2Pix (+ MS when ``lambda_ms > 0``). Batches are ``(input image, target image)``."""

    def __init__(self, config, **kwargs):
        super().__init__(build_generator(config), build_discriminator(config),
                         nz=config.nz, loss="lsgan", seed=config.seed, **kwargs)
        self.config = config
        self.l1_tracker = keras.metrics.Mean(name="g_l1")

    @property
    def metrics(self):
        return [*super().metrics, self.l1_tracker]


    def discriminate(self, condition, real, fake1, fake2):
        """One batched D call on ``[real, fake1, fake2]``; returns three lists of patch scores.

        Instance norm keeps the samples independent, so batching changes nothing but speed.
        """
        images = ops.concatenate([real, fake1, fake2], axis=0)
        conditions = ops.concatenate([condition, condition, condition], axis=0)
        scores = scales(self.discriminator([images, conditions], training=True))
        split = [ops.split(s, 3, axis=0) for s in scores]
        return tuple([s[k] for s in split] for k in range(3))

    def train_step(self, data):
        condition, real = data
        config = self.config
        # The official code updates G, then D, both against the same D weights and the same two
        # fakes: one D pass on [real, fake1, fake2] serves both gradients.
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake1, fake2, z1, z2 = self.generate_pair(condition)
            real_scores, fake1_scores, fake2_scores = self.discriminate(condition, real, fake1, fake2)

            g_gan = lsgan_multiscale(fake1_scores, 1.0) + lsgan_multiscale(fake2_scores, 1.0)
            g_l1 = l1_loss(fake1, real)
            ms_loss = mode_seeking_loss(fake1, fake2, z1, z2, eps=MS_EPS)
            g_loss = config.lambda_gan * g_gan + config.lambda_l1 * g_l1
            if self.lambda_ms:
                g_loss += self.lambda_ms * ms_loss

            # Real counted once per fake, as in the official backward_D.
            d_loss = (lsgan_multiscale(fake1_scores, 0.0) + lsgan_multiscale(fake2_scores, 0.0)
                      + 2.0 * lsgan_multiscale(real_scores, 1.0))
            scaled_g_loss = self.scaled(self.g_optimizer, g_loss)
            scaled_d_loss = self.scaled(self.d_optimizer, d_loss)
        self.apply_update(self.g_optimizer, g_tape, scaled_g_loss, self.generator.trainable_variables)
        self.apply_update(self.d_optimizer, d_tape, scaled_d_loss, self.discriminator.trainable_variables)
        self.l1_tracker.update_state(g_l1)
        return self.record(d_loss, g_loss, ms_loss)
