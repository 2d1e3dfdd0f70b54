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
import dataclasses

import keras
import tensorflow as tf
from keras import ops

from zoo.base import MS_EPS, ConditionalGAN
from zoo.config import ModelConfig
from zoo.family import Family
from zoo.losses import l1_loss, mode_seeking_loss
from zoo.patchgan import build_patchgan, lsgan_multiscale
from zoo.sampling import ImageSampler
from zoo.unet import build_unet


@dataclasses.dataclass
class Pix2PixConfig(ModelConfig):
    """Defaults: the official Pix2Pix+MS run (256x256, 100 + 100 epochs, batch 1)."""

    family: str = "pix2pix"
    dataset: str = "maps"
    image_size: int = 256
    load_size: int = 286
    direction: str = "AtoB"
    in_channels: int = 3
    out_channels: int = 3
    nz: int = 8
    ngf: int = 64
    ndf: int = 64
    n_layers_d: int = 3
    num_d: int = 2
    lambda_l1: float = 10.0
    lambda_gan: float = 1.0
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    beta_2: float = 0.999
    niter: int = 100
    niter_decay: int = 100
    batch_size: int = 1
    epochs: int = 200

    def __post_init__(self):
        if self.direction not in ("AtoB", "BtoA"):
            raise ValueError(f"direction must be 'AtoB' or 'BtoA', got {self.direction!r}")

    @property
    def decay_start_epoch(self):
        """Epoch where the linear decay begins: ``niter``, scaled when ``epochs`` is overridden."""
        total = self.niter + self.niter_decay
        return self.niter if self.epochs == total else round(self.epochs * self.niter / total)


@keras.saving.register_keras_serializable(package="msgan_zoo")
class ConstantThenLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Pix2Pix's ``lr_policy='lambda'``: constant, then linear decay, changed once per epoch.

    ``lr(epoch) = base * (1 - max(0, epoch + 1 - decay_start) / (decay_epochs + 1))`` for
    0-based ``epoch = step // steps_per_epoch``: the base rate for ``decay_start`` epochs,
    then down to ``base / (decay_epochs + 1)`` in the last epoch. ``steps_per_epoch`` is a
    variable, set by :meth:`Pix2Pix.fit` once the dataset is known.
    """

    def __init__(self, base_rate, decay_start, decay_epochs, steps_per_epoch=1):
        self.base_rate = float(base_rate)
        self.decay_start = int(decay_start)
        self.decay_epochs = int(decay_epochs)
        self.steps_per_epoch = tf.Variable(max(int(steps_per_epoch), 1), dtype=tf.int64,
                                           trainable=False, name="steps_per_epoch")

    def __call__(self, step):
        epoch = ops.cast(ops.cast(step, "int64") // self.steps_per_epoch, "float32")
        decayed = ops.maximum(0.0, epoch + 1.0 - self.decay_start) / (self.decay_epochs + 1.0)
        return self.base_rate * ops.maximum(1.0 - decayed, 0.0)

    def get_config(self):
        return {"base_rate": self.base_rate, "decay_start": self.decay_start,
                "decay_epochs": self.decay_epochs, "steps_per_epoch": int(self.steps_per_epoch.numpy())}


def build_generator(config):
    """``[input image (N, S, S, 3) in [-1, 1], z (N, nz)] -> image (N, S, S, 3)`` in [-1, 1]."""
    return build_unet(config.image_size, config.nz, config.in_channels, config.out_channels,
                      ngf=config.ngf, name="generator")


def build_discriminator(config):
    """``[image, input image] -> [patch scores (N, h, w, 1)] * num_d`` (see :mod:`zoo.patchgan`)."""
    return build_patchgan(config.image_size, config.out_channels, config.in_channels,
                          ndf=config.ndf, n_layers=config.n_layers_d, num_d=config.num_d)


def schedule_for(config):
    return ConstantThenLinearDecay(config.learning_rate, config.decay_start_epoch,
                                   config.epochs - config.decay_start_epoch)


def set_steps_per_epoch(optimizers, dataset, steps_per_epoch):
    """Tell the epoch-based schedules how many steps an epoch has (``fit``'s or the dataset's)."""
    if steps_per_epoch is None and isinstance(dataset, tf.data.Dataset):
        cardinality = int(dataset.cardinality())
        steps_per_epoch = cardinality if cardinality > 0 else None
    if steps_per_epoch is None:
        return
    for optimizer in optimizers:
        schedule = getattr(optimizer, "_learning_rate", None)
        if isinstance(schedule, ConstantThenLinearDecay):
            schedule.steps_per_epoch.assign(int(steps_per_epoch))


class LinearDecayTraining:
    """Mixin for image-task GANs: Adam(2e-4, 0.5) per network on the constant-then-linear-decay
    schedule of the config, told the epoch length by ``fit``."""

    def compile(self, lambda_ms=None, **kwargs):
        config = self.config
        for key in ("g_optimizer", "d_optimizer"):
            kwargs.setdefault(key, keras.optimizers.Adam(schedule_for(config), config.beta_1, config.beta_2))
        super().compile(lambda_ms=config.lambda_ms if lambda_ms is None else lambda_ms, **kwargs)

    def fit(self, x=None, *args, steps_per_epoch=None, **kwargs):
        set_steps_per_epoch((self.g_optimizer, self.d_optimizer), x, steps_per_epoch)
        return super().fit(x, *args, steps_per_epoch=steps_per_epoch, **kwargs)


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
        scores = self.discriminator([images, conditions], training=True)
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


FAMILY = Family("pix2pix", Pix2PixConfig, build_generator, Pix2Pix, ImageSampler)
