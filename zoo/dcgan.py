"""Class-conditioned DCGAN with the mode seeking term (MSGAN's label task).

Architecture of the official DCGAN-Mode-Seeking code (CIFAR-10, 32x32, d = 128):

* G: ``concat(z, one_hot)`` as a 1x1 map -> ConvT 4x4 valid (4d) -> ConvT 4x4/2 (2d)
  -> ConvT 4x4/2 (d) -> ConvT 4x4/2 (channels), batch norm + ReLU between, tanh out.
* D: ``concat(image, one_hot tiled over the image)`` -> Conv 4x4/2 (d, no norm)
  -> Conv 4x4/2 (2d) -> Conv 4x4/2 (4d) (batch norm, LeakyReLU 0.2) -> Conv 4x4 valid -> logit.

The number of up/down-sampling stages follows ``image_size`` (``log2(size / 4)``), so the
same family serves 8x8 digits (one stage) and 32x32 CIFAR-10 (three).
"""
import dataclasses
import math

import keras
from keras import layers

from zoo.base import ConditionalGAN
from zoo.config import ModelConfig
from zoo.family import Family
from zoo.layers import MinibatchDiscrimination, TileNoise
from zoo.sampling import LabelSampler

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck")
DIGIT_CLASSES = tuple(str(i) for i in range(10))


@dataclasses.dataclass
class DCGANConfig(ModelConfig):
    """Defaults: the official DCGAN+MS run on CIFAR-10."""

    family: str = "dcgan"
    dataset: str = "cifar10"
    image_size: int = 32
    channels: int = 3
    num_classes: int = 10
    class_names: tuple = CIFAR10_CLASSES
    nz: int = 100
    d: int = 128
    minibatch_discrimination: bool = False
    mbd_kernels: int = 50
    mbd_kernel_dim: int = 5
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    beta_2: float = 0.999
    weight_decay: float = 1e-4

    @property
    def stages(self):
        stages = math.log2(self.image_size / 4)
        if stages < 1 or stages != int(stages):
            raise ValueError(f"DCGAN image_size must be 4 * 2^k with k >= 1, got {self.image_size}")
        return int(stages)

    @property
    def widths(self):
        """Feature widths of the generator stages, widest first (4d, 2d, d for CIFAR-10)."""
        return [self.d * 2 ** (self.stages - 1 - i) for i in range(self.stages)]


def _init():
    return keras.initializers.RandomNormal(stddev=0.02)


def build_generator(config):
    """``[one_hot (N, classes), z (N, nz)] -> image (N, S, S, channels)`` in [-1, 1], float32."""
    condition = keras.Input((config.num_classes,), name="condition")
    z = keras.Input((config.nz,), name="z")
    x = layers.Concatenate()([z, condition])
    x = layers.Reshape((1, 1, config.nz + config.num_classes))(x)
    for i, width in enumerate(config.widths):
        x = layers.Conv2DTranspose(width, 4, strides=1 if i == 0 else 2,
                                   padding="valid" if i == 0 else "same",
                                   kernel_initializer=_init(), name=f"deconv{i + 1}")(x)
        x = layers.BatchNormalization(name=f"deconv{i + 1}_bn")(x)
        x = layers.ReLU()(x)
    x = layers.Conv2DTranspose(config.channels, 4, strides=2, padding="same",
                               kernel_initializer=_init(), name=f"deconv{config.stages + 1}")(x)
    image = layers.Activation("tanh", dtype="float32", name="image")(x)
    return keras.Model([condition, z], image, name="generator")


def build_discriminator(config):
    """``[image (N, S, S, C), one_hot (N, classes)] -> logits (N, 1)``."""
    image = keras.Input((config.image_size, config.image_size, config.channels), name="image")
    condition = keras.Input((config.num_classes,), name="condition")
    x = TileNoise(name="tile_label")(image, condition)
    for i, width in enumerate(reversed(config.widths)):
        x = layers.Conv2D(width, 4, strides=2, padding="same", kernel_initializer=_init(),
                          name=f"conv{i + 1}")(x)
        if i > 0:
            x = layers.BatchNormalization(name=f"conv{i + 1}_bn")(x)
        x = layers.LeakyReLU(0.2)(x)
    if config.minibatch_discrimination:
        x = layers.Flatten()(x)
        x = MinibatchDiscrimination(config.mbd_kernels, config.mbd_kernel_dim, name="minibatch_disc")(x)
        logits = layers.Dense(1, kernel_initializer=_init(), dtype="float32", name="logit")(x)
    else:
        x = layers.Conv2D(1, 4, padding="valid", kernel_initializer=_init(), dtype="float32",
                          name="logit_conv")(x)
        logits = layers.Flatten(dtype="float32", name="logit")(x)
    return keras.Model([image, condition], logits, name="discriminator")


class DCGAN(ConditionalGAN):
    """Class-conditioned DCGAN (+ MS when ``lambda_ms > 0``); BCE on logits."""

    def __init__(self, config, **kwargs):
        super().__init__(build_generator(config), build_discriminator(config),
                         nz=config.nz, loss="bce", seed=config.seed, **kwargs)
        self.config = config

    def compile(self, lambda_ms=None, **kwargs):
        config = self.config
        kwargs.setdefault("g_optimizer", keras.optimizers.Adam(config.learning_rate, config.beta_1, config.beta_2))
        kwargs.setdefault("d_optimizer", keras.optimizers.Adam(config.learning_rate, config.beta_1, config.beta_2))
        kwargs.setdefault("weight_decay", config.weight_decay)
        super().compile(lambda_ms=config.lambda_ms if lambda_ms is None else lambda_ms, **kwargs)


FAMILY = Family("dcgan", DCGANConfig, build_generator, DCGAN, LabelSampler)
