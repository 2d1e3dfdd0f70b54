"""The class-conditioned DCGAN's generator and discriminator (MSGAN's label task).

Architecture of the official DCGAN-Mode-Seeking code (CIFAR-10, 32x32, d = 128):

* G: ``concat(z, one_hot)`` as a 1x1 map -> ConvT 4x4 valid (4d) -> ConvT 4x4/2 (2d)
  -> ConvT 4x4/2 (d) -> ConvT 4x4/2 (channels), batch norm + ReLU between, tanh out.
* D: ``concat(image, one_hot tiled over the image)`` -> Conv 4x4/2 (d, no norm)
  -> Conv 4x4/2 (2d) -> Conv 4x4/2 (4d) (batch norm, LeakyReLU 0.2) -> Conv 4x4 valid -> logit.

Batch norms are PyTorch's (eps 1e-5, momentum 0.1, i.e. Keras momentum 0.9: ``config.bn_epsilon``,
``config.bn_momentum``), so the official checkpoint's running statistics give its outputs
(``zoo.dcgan.convert``).

The number of up/down-sampling stages follows ``image_size`` (``log2(size / 4)``), so the
same family serves 8x8 digits (one stage) and 32x32 CIFAR-10 (three).
"""
import keras
from keras import layers

from zoo.layers import MinibatchDiscrimination, TileNoise

def _init():
    return keras.initializers.RandomNormal(stddev=0.02)


def _batch_norm(config, name):
    return layers.BatchNormalization(momentum=config.bn_momentum, epsilon=config.bn_epsilon, name=name)


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
        x = _batch_norm(config, f"deconv{i + 1}_bn")(x)
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
            x = _batch_norm(config, f"conv{i + 1}_bn")(x)
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
