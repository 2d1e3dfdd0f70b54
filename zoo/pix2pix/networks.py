"""Pix2Pix+MS networks: BicycleGAN's ``unet_256`` with z at every block, two PatchGANs."""
from zoo.patchgan import build_patchgan
from zoo.unet import build_unet


def build_generator(config):
    """``[input image (N, S, S, 3) in [-1, 1], z (N, nz)] -> image (N, S, S, 3)`` in [-1, 1]."""
    return build_unet(config.image_size, config.nz, config.in_channels, config.out_channels,
                      ngf=config.ngf, name="generator")


def build_discriminator(config):
    """``[image, input image] -> [patch scores (N, h, w, 1)] * num_d`` (see :mod:`zoo.patchgan`)."""
    return build_patchgan(config.image_size, config.out_channels, config.in_channels,
                          ndf=config.ndf, n_layers=config.n_layers_d, num_d=config.num_d)
