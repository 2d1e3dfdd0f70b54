"""BicycleGAN's encoder and discriminators (the generator is Pix2Pix's U-Net)."""
import keras
from keras import layers

from zoo.patchgan import build_patchgan
from zoo.unet import InstanceNormalization, num_downsamplings, xavier_init


def _basic_block(x, in_width, out_width, name):
    """BicycleGAN's ``BasicBlock``: pre-norm residual block that halves the resolution."""
    h = InstanceNormalization(name=f"{name}_norm1")(x)
    h = layers.LeakyReLU(0.2)(h)
    h = layers.Conv2D(in_width, 3, padding="same", kernel_initializer=xavier_init(), name=f"{name}_conv1")(h)
    h = InstanceNormalization(name=f"{name}_norm2")(h)
    h = layers.LeakyReLU(0.2)(h)
    h = layers.Conv2D(out_width, 3, padding="same", kernel_initializer=xavier_init(), name=f"{name}_conv2")(h)
    h = layers.AveragePooling2D(2, name=f"{name}_pool")(h)
    shortcut = layers.AveragePooling2D(2, name=f"{name}_shortcut_pool")(x)
    shortcut = layers.Conv2D(out_width, 1, kernel_initializer=xavier_init(), name=f"{name}_shortcut")(shortcut)
    return layers.Add(name=f"{name}_add")([h, shortcut])


def build_encoder(config):
    """``image (N, S, S, 3) in [-1, 1] -> [mu (N, nz), logvar (N, nz)]`` (``E_ResNet``).

    ``log2(S) - 3`` stages (5 for 256, as ``resnet_256``), so the last map is 8x8 before the
    average pool.
    """
    stages = num_downsamplings(config.image_size) - 3
    if stages < 1:
        raise ValueError(f"the BicycleGAN encoder needs image_size >= 16, got {config.image_size}")
    image = keras.Input((config.image_size, config.image_size, config.out_channels), name="image")
    x = layers.Conv2D(config.nef, 4, strides=2, padding="same", kernel_initializer=xavier_init(),
                      name="conv0")(image)
    width = config.nef
    for n in range(1, stages):
        width = config.nef * min(4, n + 1)
        x = _basic_block(x, config.nef * min(4, n), width, name=f"block{n}")
    x = layers.LeakyReLU(0.2)(x)
    x = layers.GlobalAveragePooling2D()(x)
    mu = layers.Dense(config.nz, dtype="float32", name="mu")(x)
    logvar = layers.Dense(config.nz, dtype="float32", name="logvar")(x)
    return keras.Model(image, [mu, logvar], name="encoder")


def build_discriminator(config, name):
    condition_channels = config.in_channels if config.conditional_d else 0
    return build_patchgan(config.image_size, config.out_channels, condition_channels, ndf=config.ndf,
                          n_layers=config.n_layers_d, num_d=config.num_d, name=name)


class TrainingNetworks(keras.Model):
    """The networks that train G but do not ship: ``d_vae``, ``d_clr`` and the encoder.

    Bundled so the training checkpoint (which saves ``gan.generator`` and
    ``gan.discriminator``) holds all four networks.
    """

    def __init__(self, d_vae, d_clr, encoder, **kwargs):
        super().__init__(**kwargs)
        self.d_vae = d_vae
        self.d_clr = d_clr
        self.encoder = encoder
        self.built = True

    @property
    def discriminator_variables(self):
        return self.d_vae.trainable_variables + self.d_clr.trainable_variables
