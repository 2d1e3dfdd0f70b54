"""U-Net generator with the noise vector added to every block (BicycleGAN's ``G_Unet_add_all``).

The generator of the official Pix2Pix+MS code and of BicycleGAN (Zhu et al. 2017, sec. 3.4,
"add_to_all"): an encoder-decoder with skip connections where ``z`` is tiled over the spatial
grid and concatenated to the input of *every* down block, so the noise cannot be ignored by
routing everything through the skips.

Block ``i`` (0 = outermost) of a U-Net with ``n`` downsamplings::

    down:  concat(x_i, z) -> [LeakyReLU 0.2 unless outermost] -> Conv 4x4/2 (w_i)
           -> [instance norm unless outermost or innermost]
    up:    ReLU -> ConvT 4x4/2 -> instance norm (tanh instead at the outermost)
    out:   concat(up, x_i)  (the skip carries the block's input, without z)

with widths ``w_i = ngf * min(2^i, 8)``: ``unet_256`` has 8 downsamplings, ``unet_128`` 7 and
``unet_64`` 6 (the image reaches 1x1 at the innermost block).
"""
import math

import keras
from keras import layers, ops

from zoo.layers import TileNoise


@keras.saving.register_keras_serializable(package="msgan_zoo")
class InstanceNormalization(layers.Layer):
    """Instance norm without affine parameters (PyTorch's ``InstanceNorm2d`` default).

    Normalizes each sample and channel of ``(N, H, W, C)`` over ``H, W``; statistics in
    float32 so ``mixed_bfloat16`` stays accurate.
    """

    def __init__(self, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def call(self, x):
        x32 = ops.cast(x, "float32")
        mean, variance = ops.moments(x32, axes=(1, 2), keepdims=True)
        normalized = (x32 - mean) * ops.rsqrt(variance + self.epsilon)
        return ops.cast(normalized, x.dtype)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


def xavier_init(gain=0.02):
    """BicycleGAN's ``init_type='xavier'``: ``xavier_normal_(w, gain=0.02)``."""
    return keras.initializers.VarianceScaling(scale=gain ** 2, mode="fan_avg",
                                              distribution="untruncated_normal")


def num_downsamplings(image_size):
    """``log2(image_size)``: the U-Net depth that reaches 1x1 (8 for 256, 7 for 128, 6 for 64)."""
    depth = math.log2(image_size) if image_size > 0 else 0
    if depth != int(depth) or depth < 2:
        raise ValueError(f"U-Net image_size must be a power of two >= 4, got {image_size}")
    return int(depth)


def block_widths(depth, ngf):
    """Output widths of the down convs, outermost first: ``ngf * min(2^i, 8)``."""
    return [ngf * min(2 ** i, 8) for i in range(depth)]


def build_unet(image_size, nz, in_channels=3, out_channels=3, ngf=64, depth=None, name="generator"):
    """``[condition (N, S, S, in_channels), z (N, nz)] -> image (N, S, S, out_channels)``.

    Args:
        image_size: S, a power of two.
        nz: noise length; 0 builds a plain (deterministic) U-Net.
        depth: downsamplings (default ``log2(S)``: ``unet_256`` for 256 etc.).

    Returns:
        A functional Keras model with a float32 tanh output in [-1, 1].
    """
    depth = depth or num_downsamplings(image_size)
    if image_size % 2 ** depth:
        raise ValueError(f"a U-Net with {depth} downsamplings needs a size divisible by {2 ** depth}, got {image_size}")
    condition = keras.Input((image_size, image_size, in_channels), name="condition")
    z = keras.Input((nz,), name="z")
    widths = block_widths(depth, ngf)

    skips, x = [], condition
    for i, width in enumerate(widths):
        skips.append(x)
        x = TileNoise(name=f"down{i}_add_z")(x, z) if nz else x
        if i > 0:
            x = layers.LeakyReLU(0.2, name=f"down{i}_lrelu")(x)
        x = layers.Conv2D(width, 4, strides=2, padding="same", kernel_initializer=xavier_init(),
                          name=f"down{i}_conv")(x)
        if 0 < i < depth - 1:
            x = InstanceNormalization(name=f"down{i}_norm")(x)

    for i in reversed(range(depth)):
        outer_width = out_channels if i == 0 else widths[i - 1]
        x = layers.ReLU(name=f"up{i}_relu")(x)
        x = layers.Conv2DTranspose(outer_width, 4, strides=2, padding="same",
                                   kernel_initializer=xavier_init(), name=f"up{i}_convt")(x)
        if i == 0:
            break
        x = InstanceNormalization(name=f"up{i}_norm")(x)
        x = layers.Concatenate(name=f"up{i}_skip")([x, skips[i]])
    image = layers.Activation("tanh", dtype="float32", name="image")(x)
    return keras.Model([condition, z], image, name=name)


def unet_256(nz=8, **kwargs):
    return build_unet(256, nz, depth=8, **kwargs)


def unet_128(nz=8, **kwargs):
    return build_unet(128, nz, depth=7, **kwargs)


def unet_64(nz=8, **kwargs):
    return build_unet(64, nz, depth=6, **kwargs)
