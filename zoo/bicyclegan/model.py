"""BicycleGAN (Zhu et al., NeurIPS 2017) with the mode seeking term (MSGAN, Mao et al. 2019, sec. 4.2).

Networks (BicycleGAN's reference design):

* G: the U-Net of :mod:`zoo.unet` with ``z`` added to every block;
* E: a ResNet encoder (nef 64) of the *target* image -> ``mu, log sigma^2`` (nz each);
* two multi-scale PatchGANs, one per branch (unconditional by default, as in the reference).

One step, both branches on every condition of the batch (the reference splits a batch of 2
into one half per branch; using the whole batch for both keeps batch 1 possible):

* cVAE-GAN: ``z_enc = mu + sigma * eps`` from ``E(B)``, ``B_enc = G(A, z_enc)``;
  LSGAN with D_vae, ``10 * L1(B_enc, B)``, ``0.01 * KL(N(mu, sigma^2) || N(0, 1))``;
* cLR-GAN: two random ``z1, z2``, ``B1, B2 = G(A, z1), G(A, z2)``; LSGAN with D_clr on both,
  latent regression ``0.5 * |E(B_k).mu - z_k|`` (updates G only, as in the reference), and
  ``lambda_ms * mode_seeking_loss(B1, B2, z1, z2)``.

The three generator outputs come from one batched G call.
"""
import keras
import tensorflow as tf
from keras import ops

from zoo.base import MS_EPS, ConditionalGAN
from zoo.bicyclegan.networks import TrainingNetworks, build_discriminator, build_encoder
from zoo.losses import l1_loss, mode_seeking_loss
from zoo.patchgan import lsgan_multiscale, scales
from zoo.pix2pix.networks import build_generator
from zoo.schedules import LinearDecayTraining


class BicycleGAN(LinearDecayTraining, ConditionalGAN):
    """BicycleGAN (+ MS on the cLR pair when ``lambda_ms > 0``). Batches are ``(input, target)``."""

    def __init__(self, config, **kwargs):
        networks = TrainingNetworks(build_discriminator(config, "d_vae"), build_discriminator(config, "d_clr"),
                                    build_encoder(config), name="training_networks")
        super().__init__(build_generator(config), networks, nz=config.nz, loss="lsgan", seed=config.seed,
                         **kwargs)
        self.config = config
        self.encoder = networks.encoder
        self.l1_tracker = keras.metrics.Mean(name="g_l1")
        self.kl_tracker = keras.metrics.Mean(name="kl")
        self.latent_tracker = keras.metrics.Mean(name="z_l1")

    @property
    def metrics(self):
        return [*super().metrics, self.l1_tracker, self.kl_tracker, self.latent_tracker]

    @property
    def generator_variables(self):
        """G and E: updated together by ``g_optimizer`` (Adam is per-variable, so one optimizer
        for both equals the reference's two with the same settings)."""
        return self.generator.trainable_variables + self.encoder.trainable_variables


    def build_optimizers(self):
        self.g_optimizer.build(self.generator_variables)
        self.d_optimizer.build(self.discriminator.discriminator_variables)

    def discriminate(self, discriminator, condition, images):
        """Scores of a list of image batches from one batched call: one list of scales per batch."""
        batch = ops.concatenate(images, axis=0)
        inputs = [batch, ops.concatenate([condition] * len(images), axis=0)] if self.config.conditional_d else batch
        scores = scales(discriminator(inputs, training=True))
        split = [ops.split(s, len(images), axis=0) for s in scores]
        return tuple([s[k] for s in split] for k in range(len(images)))

    def train_step(self, data):
        condition, real = data
        config, networks = self.config, self.discriminator
        batch_size = ops.shape(condition)[0]
        # As in the reference, G/E and both D's are updated against the same D weights and fakes,
        # so one pass of each D serves both gradients.
        with tf.GradientTape(persistent=True) as tape:
            mu, logvar = self.encoder(real, training=True)
            z_encoded = mu + ops.exp(0.5 * logvar) * self.draw_noise(batch_size)
            z_random = self.draw_noise(2 * batch_size)
            fakes = self.generator([ops.concatenate([condition] * 3, axis=0),
                                    ops.concatenate([z_encoded, z_random], axis=0)], training=True)
            fake_encoded, fake1, fake2 = ops.split(fakes, 3, axis=0)
            z1, z2 = ops.split(z_random, 2, axis=0)

            real_vae, fake_vae = self.discriminate(networks.d_vae, condition, [real, fake_encoded])
            real_clr, fake1_clr, fake2_clr = self.discriminate(networks.d_clr, condition, [real, fake1, fake2])
            mu_recovered, _ = self.encoder(ops.concatenate([fake1, fake2], axis=0), training=True)

            g_gan = (lsgan_multiscale(fake_vae, 1.0)
                     + lsgan_multiscale(fake1_clr, 1.0) + lsgan_multiscale(fake2_clr, 1.0))
            g_l1 = l1_loss(fake_encoded, real)
            # The reference sums the KL over batch and dimensions.
            kl = -0.5 * ops.sum(1.0 + logvar - ops.square(mu) - ops.exp(logvar))
            ms_loss = mode_seeking_loss(fake1, fake2, z1, z2, eps=MS_EPS)
            ge_loss = config.lambda_gan * g_gan + config.lambda_l1 * g_l1 + config.lambda_kl * kl
            if self.lambda_ms:
                ge_loss += self.lambda_ms * ms_loss
            z_l1 = l1_loss(mu_recovered, z_random)
            g_only_loss = ge_loss + config.lambda_z * z_l1

            d_loss = (lsgan_multiscale(real_vae, 1.0) + lsgan_multiscale(fake_vae, 0.0)
                      + 2.0 * lsgan_multiscale(real_clr, 1.0)
                      + lsgan_multiscale(fake1_clr, 0.0) + lsgan_multiscale(fake2_clr, 0.0))
            scaled_g = self.scaled(self.g_optimizer, g_only_loss)
            scaled_e = self.scaled(self.g_optimizer, ge_loss)
            scaled_d = self.scaled(self.d_optimizer, d_loss)
        # Latent regression trains G alone: E gets the gradient of the loss without it.
        g_grads = tape.gradient(scaled_g, self.generator.trainable_variables)
        e_grads = tape.gradient(scaled_e, self.encoder.trainable_variables)
        d_grads = tape.gradient(scaled_d, networks.discriminator_variables)
        del tape
        self.g_optimizer.apply(g_grads + e_grads, self.generator_variables)
        self.d_optimizer.apply(d_grads, networks.discriminator_variables)
        self.l1_tracker.update_state(g_l1)
        self.kl_tracker.update_state(kl)
        self.latent_tracker.update_state(z_l1)
        return self.record(d_loss, ge_loss, ms_loss)
