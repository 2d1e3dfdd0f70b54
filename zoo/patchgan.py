"""Multi-scale PatchGAN discriminator (BicycleGAN's ``D_NLayersMulti``, used by Pix2Pix+MS).

``num_d`` PatchGANs, the k-th one on the input average-pooled k times (3x3, stride 2) and with
``round(ndf / 2^k)`` filters. Each PatchGAN (``n_layers`` = 3)::

    Conv 4x4/2 (ndf) -> LReLU -> [Conv 4x4/2 (ndf * min(2^n, 8)) -> IN -> LReLU] x (n_layers - 1)
    -> Conv 4x4/1 (ndf * min(2^n_layers, 8)) -> IN -> LReLU -> Conv 4x4/1 (1)

The stride-1 convs pad 1 on each side as in PyTorch (output ``H - 1``), so a 256 input gives
30x30 patches at full resolution and 14x14 at half resolution, like the reference.
"""
import keras
from keras import layers, ops

from zoo.unet import InstanceNormalization, xavier_init


@keras.saving.register_keras_serializable(package="msgan_zoo")
class PaddedAveragePooling(layers.Layer):
    """PyTorch's ``AvgPool2d(3, stride=2, padding=1, count_include_pad=False)`` on ``(N, H, W, C)``.

    Windows centred on even pixels (rows/cols ``2i-1 .. 2i+1``), the zero padding left out of
    each mean; output ``ceil(H / 2) x ceil(W / 2)``. Keras' ``padding="same"`` pooling pads only
    after the image for even sizes, so its windows sit one pixel further on (``2i .. 2i+2``)
    and the half-resolution PatchGAN would see a shifted image.
    """

    def call(self, x):
        padding = [[0, 0], [1, 1], [1, 1], [0, 0]]
        window_sums = ops.average_pool(ops.pad(x, padding), 3, 2, padding="valid")
        counts = ops.average_pool(ops.pad(ops.ones_like(x[..., :1]), padding), 3, 2, padding="valid")
        return window_sums / counts

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        return (n, None if h is None else (h + 1) // 2, None if w is None else (w + 1) // 2, c)


def _patchgan_layers(x, ndf, n_layers, prefix):
    x = layers.Conv2D(ndf, 4, strides=2, padding="same", kernel_initializer=xavier_init(),
                      name=f"{prefix}_conv0")(x)
    x = layers.LeakyReLU(0.2)(x)
    for n in range(1, n_layers + 1):
        width = ndf * min(2 ** n, 8)
        if n < n_layers:
            x = layers.Conv2D(width, 4, strides=2, padding="same", kernel_initializer=xavier_init(),
                              name=f"{prefix}_conv{n}")(x)
        else:
            x = layers.ZeroPadding2D(1)(x)
            x = layers.Conv2D(width, 4, strides=1, padding="valid", kernel_initializer=xavier_init(),
                              name=f"{prefix}_conv{n}")(x)
        x = InstanceNormalization(name=f"{prefix}_norm{n}")(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.ZeroPadding2D(1)(x)
    return layers.Conv2D(1, 4, strides=1, padding="valid", kernel_initializer=xavier_init(),
                         dtype="float32", name=f"{prefix}_logits")(x)


def build_patchgan(image_size, image_channels=3, condition_channels=3, ndf=64, n_layers=3, num_d=2,
                   name="discriminator"):
    """``[image (N, S, S, C), condition (N, S, S, Cc)] -> [patch logits (N, h_k, w_k, 1)] * num_d``.

    With ``condition_channels = 0`` the discriminator is unconditional and takes the image
    alone (BicycleGAN's default); otherwise it sees ``concat(condition, image)``, the
    input image first, as the official Pix2Pix+MS code builds ``real_A | fake_B``.
    Always returns a list, full resolution first; outputs are float32 raw scores (LSGAN).
    """
    if num_d < 1 or n_layers < 1:
        raise ValueError(f"PatchGAN needs num_d >= 1 and n_layers >= 1, got {num_d}, {n_layers}")
    smallest = image_size // 2 ** (num_d - 1 + n_layers) - 2
    if smallest < 1:
        raise ValueError(f"image_size {image_size} is too small for {num_d} PatchGANs of {n_layers} layers "
                         f"(the coarsest one would output {smallest}x{smallest} patches)")
    image = keras.Input((image_size, image_size, image_channels), name="image")
    if condition_channels:
        condition = keras.Input((image_size, image_size, condition_channels), name="condition")
        inputs = [image, condition]
        x = layers.Concatenate(name="condition_and_image")([condition, image])
    else:
        inputs, x = image, image
    outputs = []
    for k in range(num_d):
        outputs.append(_patchgan_layers(x, int(round(ndf / 2 ** k)), n_layers, prefix=f"d{k}"))
        if k < num_d - 1:
            x = PaddedAveragePooling(name=f"downsample{k}")(x)
    return keras.Model(inputs, outputs, name=name)


def scales(scores):
    """The list of per-scale scores a PatchGAN call returned (a Keras model with one output, i.e.
    ``num_d=1``, returns the bare tensor)."""
    return list(scores) if isinstance(scores, (list, tuple)) else [scores]


def lsgan_multiscale(predictions, target):
    """BicycleGAN's ``GANLoss`` with MSE: ``sum_k mean((D_k - target)^2)`` over the scales."""
    return sum(ops.mean(ops.square(ops.cast(p, "float32") - float(target))) for p in predictions)
