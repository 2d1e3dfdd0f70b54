"""Unconditional MLP GANs on 2-D mixtures, with every mode-collapse remedy of the zoo.

The networks follow the unrolled-GAN paper's 2-D experiments (Metz et al. 2017, app. A):
G = ``z (nz 256) -> 128 -> 128 -> 2`` (ReLU, linear output), D = ``x -> 128 -> ... -> 1``
(ReLU), orthogonal initialisation with gain 0.8, Adam with beta_1 = 0.5. The PacGAN paper's
networks are options of the same config (``nz=2``, ``g_batch_norm``, ``d_maxout_pieces=5``,
``init="normal"``, ``beta_1=0.8``; ``bench/mode_collapse.py --setting pacgan``).

The model is a :class:`zoo.base.ConditionalGAN` whose condition is *empty*: shape ``(N, 0)``.
So the remedies are the library's own pieces, switched by the config:

* ``lambda_ms``: the mode seeking term, the shared :func:`zoo.losses.mode_seeking_loss` on the
  pair ``G(z1), G(z2)`` that the base ``train_step`` already draws;
* ``minibatch_discrimination``: :class:`zoo.layers.MinibatchDiscrimination` before D's logit;
* ``pack``: PacGAN (Lin et al. 2018): D scores ``pack`` samples of one kind at a time,
  concatenated into one input (``pack = 1`` is no packing);
* ``unroll_steps``: the generator is trained through K unrolled D steps
  (:mod:`zoo.lab.unrolled`); 0 is the plain step.
"""
import dataclasses

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from zoo.base import MS_EPS, ConditionalGAN, make_adam
from zoo.config import ModelConfig
from zoo.layers import Maxout, MinibatchDiscrimination
from zoo.losses import mode_seeking_loss
from zoo.lab.unrolled import INNER_OPTIMIZERS, check_inner_optimizer, unrolled_train_step


@dataclasses.dataclass
class RemedyConfig(ModelConfig):
    """The mode-collapse remedy switches, shared by the unconditional lab models (2-D, Stacked MNIST)."""

    lambda_ms: float = 0.0
    minibatch_discrimination: bool = False
    # Small B x C: the layer's pairwise tensor is N x N x B x C (see NOTES.md).
    mbd_kernels: int = 5
    mbd_kernel_dim: int = 3
    pack: int = 1
    unroll_steps: int = 0
    inner_optimizer: str = "adam"
    beta_1: float = 0.5
    beta_2: float = 0.999
    # Optional cosine decay of both learning rates to learning_rate * lr_final_fraction over
    # the config's `steps` (1 = constant, the default: in a 2,000-step check on ring8 the decay
    # lowered the modes found by MS and PacGAN and did not raise the fraction of high-quality
    # samples; it helps the longer runs of BENCHMARKS.md).
    lr_final_fraction: float = 1.0
    # G updates per D update (the PacGAN code's DCGAN-tensorflow runs 2); each extra one draws
    # fresh noise and is scored by the just-updated D.
    generator_steps: int = 1

    def __post_init__(self):
        check_remedy_fields(self)


@dataclasses.dataclass
class GAN2DConfig(RemedyConfig):
    """An MLP GAN for 2-D points; the defaults are the unrolled-GAN paper's networks."""

    family: str = "gan2d"
    dataset: str = "ring8"
    batch_size: int = 128
    steps: int = 2000
    nz: int = 256
    g_hidden: tuple = (128, 128)
    d_hidden: tuple = (128,)
    learning_rate: float = 1e-3
    # The PacGAN code's 2-D networks (fjxmlzn/PacGAN, synthetic_data_experiments): G hidden
    # layers without bias + batch norm + ReLU, D hidden layers maxout with 5 pieces, weights
    # N(0, 0.02), nz 2. Off by default (the unrolled-GAN paper's networks above).
    g_batch_norm: bool = False
    d_maxout_pieces: int = 1
    init: str = "orthogonal"

    def __post_init__(self):
        super().__post_init__()
        if self.d_maxout_pieces < 1:
            raise ValueError(f"d_maxout_pieces must be >= 1 (1 = ReLU units), got {self.d_maxout_pieces}")
        if self.init not in INITS:
            raise ValueError(f"unknown init {self.init!r}; known: {', '.join(INITS)}")


def check_remedy_fields(config):
    """Validate the remedy fields shared by the mode-collapse models (pack, unroll_steps, ...)."""
    if config.pack < 1:
        raise ValueError(f"pack must be >= 1, got {config.pack}")
    if config.batch_size % config.pack:
        raise ValueError(f"batch_size {config.batch_size} is not a multiple of pack {config.pack}")
    if config.unroll_steps < 0:
        raise ValueError(f"unroll_steps must be >= 0, got {config.unroll_steps}")
    if config.generator_steps < 1:
        raise ValueError(f"generator_steps must be >= 1, got {config.generator_steps}")
    if not 0 < config.lr_final_fraction <= 1:
        raise ValueError(f"lr_final_fraction must be in (0, 1], got {config.lr_final_fraction}")
    if config.inner_optimizer not in INNER_OPTIMIZERS:
        raise ValueError(f"unknown inner optimizer {config.inner_optimizer!r}; known: {', '.join(INNER_OPTIMIZERS)}")


INITS = ("orthogonal", "normal")


def _init(seed, kind="orthogonal"):
    if kind == "normal":
        return keras.initializers.RandomNormal(stddev=0.02, seed=seed)
    return keras.initializers.Orthogonal(gain=0.8, seed=seed)


def build_generator(config, seed=None):
    """``[condition (N, 0), z (N, nz)] -> points (N, 2)``, float32, unbounded."""
    condition = keras.Input((0,), name="condition")
    z = keras.Input((config.nz,), name="z")
    x = layers.Concatenate()([z, condition])
    for i, width in enumerate(config.g_hidden):
        init = _init(_offset(seed, i), config.init)
        if config.g_batch_norm:
            x = layers.Dense(width, use_bias=False, kernel_initializer=init, name=f"dense{i + 1}")(x)
            x = layers.ReLU()(layers.BatchNormalization(name=f"dense{i + 1}_bn")(x))
        else:
            x = layers.Dense(width, activation="relu", kernel_initializer=init, name=f"dense{i + 1}")(x)
    points = layers.Dense(2, kernel_initializer=_init(_offset(seed, 50), config.init), dtype="float32",
                          name="points")(x)
    return keras.Model([condition, z], points, name="generator2d")


@keras.saving.register_keras_serializable(package="msgan_zoo")
class PackSamples(keras.layers.Layer):
    """PacGAN packing: ``(N, d) -> (N / pack, pack * d)``, consecutive samples side by side.

    N must be a multiple of ``pack`` (:class:`GAN2DConfig` checks the batch size).
    """

    def __init__(self, pack, **kwargs):
        super().__init__(**kwargs)
        self.pack = int(pack)

    def call(self, x):
        return ops.reshape(x, (-1, self.pack * ops.shape(x)[-1]))

    def compute_output_shape(self, input_shape):
        batch = None if input_shape[0] is None else input_shape[0] // self.pack
        return (batch, self.pack * input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "pack": self.pack}


def build_discriminator(config, seed=None):
    """``[points (N, 2), condition (N, 0)] -> logits (N / pack, 1)``."""
    points = keras.Input((2,), name="points")
    condition = keras.Input((0,), name="condition")
    x = layers.Concatenate()([points, condition])
    if config.pack > 1:
        x = PackSamples(config.pack, name="pack")(x)
    for i, width in enumerate(config.d_hidden):
        init = _init(_offset(seed, 100 + i), config.init)
        if config.d_maxout_pieces > 1:
            x = Maxout(width, config.d_maxout_pieces, kernel_initializer=init, name=f"maxout{i + 1}")(x)
        else:
            x = layers.Dense(width, activation="relu", kernel_initializer=init, name=f"dense{i + 1}")(x)
    if config.minibatch_discrimination:
        x = MinibatchDiscrimination(config.mbd_kernels, config.mbd_kernel_dim, name="minibatch_discrimination")(x)
    logits = layers.Dense(1, kernel_initializer=_init(_offset(seed, 150), config.init), dtype="float32",
                          name="logit")(x)
    return keras.Model([points, condition], logits, name="discriminator2d")


def _offset(seed, k):
    return None if seed is None else int(seed) * 1000 + k


class UnrollableGAN(ConditionalGAN):
    """An unconditional lab GAN built from a :class:`RemedyConfig`; its step is unrolled when
    ``config.unroll_steps > 0``. ``compile()`` defaults to Adam on :meth:`learning_rate_schedule`
    for both nets and the config's ``lambda_ms``.
    """

    def __init__(self, generator, discriminator, config, **kwargs):
        super().__init__(generator, discriminator, config.nz, loss="bce", seed=config.seed, **kwargs)
        self.config = config
        self.unroll_steps = config.unroll_steps
        self.inner_optimizer = config.inner_optimizer

    def compile(self, g_optimizer=None, d_optimizer=None, lambda_ms=None, **kwargs):
        """Adam(:meth:`learning_rate_schedule`, beta_1, beta_2) for both nets unless given; lambda_ms from config."""
        c = self.config
        super().compile(
            g_optimizer=g_optimizer or make_adam(self.learning_rate_schedule(), c.beta_1, c.beta_2),
            d_optimizer=d_optimizer or make_adam(self.learning_rate_schedule(), c.beta_1, c.beta_2),
            lambda_ms=c.lambda_ms if lambda_ms is None else lambda_ms, **kwargs)
        self.prepare_unrolling()

    def learning_rate_schedule(self):
        """The config's learning rate, cosine-decayed over ``config.steps`` unless disabled."""
        c = self.config
        if c.lr_final_fraction >= 1:
            return c.learning_rate
        return keras.optimizers.schedules.CosineDecay(c.learning_rate, c.steps, alpha=c.lr_final_fraction)

    def prepare_unrolling(self):
        if self.unroll_steps:
            check_inner_optimizer(self.inner_optimizer, self.d_optimizer)
            # The unrolled Adam reads the optimizer's moments: create them before tracing.
            self.build_optimizers()

    def train_step(self, data):
        if self.unroll_steps:
            logs = unrolled_train_step(self, data, self.unroll_steps, self.inner_optimizer)
        else:
            logs = super().train_step(data)
        for _ in range(self.config.generator_steps - 1):
            self.generator_only_step(data[0])
        return logs

    def generator_only_step(self, condition):
        """One more G update (fresh pair of z, the current D, the MS term if on); D is not updated."""
        with tf.GradientTape() as g_tape:
            fake1, fake2, z1, z2 = self.generate_pair(condition)
            ms_loss = mode_seeking_loss(fake1, fake2, z1, z2, eps=MS_EPS)
            g_loss = self.generator_loss(condition, fake1, fake2, ms_loss)
            scaled_g_loss = self.scaled(self.g_optimizer, g_loss)
        self.apply_update(self.g_optimizer, g_tape, scaled_g_loss, self.generator.trainable_variables)
        return g_loss


def sample_unconditional(gan, n, seed=0, batch_size=1000):
    """``n`` float32 numpy samples of an unconditional (empty-condition) GAN from ``N(0, 1)`` noise
    drawn with ``seed``, generated in chunks of ``batch_size``."""
    z = np.random.default_rng(seed).standard_normal((n, gan.nz)).astype(np.float32)
    out = [gan.generator([np.zeros((len(chunk), 0), np.float32), chunk], training=False)
           for chunk in np.array_split(z, max(1, -(-n // batch_size)))]
    return np.concatenate([np.asarray(o) for o in out], axis=0)


class GAN2D(UnrollableGAN):
    """Unconditional 2-D GAN; ``GAN2D(config)`` builds G and D from a :class:`GAN2DConfig`.

    Batches given to ``fit`` are ``(condition (N, 0), points (N, 2))``; see :func:`make_dataset`.
    """

    def __init__(self, config, **kwargs):
        super().__init__(build_generator(config, config.seed), build_discriminator(config, config.seed),
                         config, **kwargs)

    def sample(self, n, seed=0, batch_size=2500):
        """``(n, 2)`` float32 numpy samples from fixed noise ``N(0, 1)`` drawn with ``seed``."""
        return sample_unconditional(self, n, seed, batch_size)


def make_dataset(mixture, steps, batch_size, seed=0):
    """``tf.data`` of ``steps`` batches ``(condition (B, 0), points (B, 2))`` from ``mixture``."""
    if steps < 1 or batch_size < 1:
        raise ValueError(f"steps and batch_size must be >= 1, got {steps} and {batch_size}")
    points = mixture.sample(steps * batch_size, seed=seed)
    condition = np.zeros((len(points), 0), np.float32)
    return tf.data.Dataset.from_tensor_slices((condition, points)).batch(batch_size, drop_remainder=True)
