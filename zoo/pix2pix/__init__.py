"""Pix2Pix with the mode seeking term: the image-to-image model of MSGAN (Mao et al. 2019, sec. 4.2).

The folder holds the family whole: ``config`` (paper defaults), ``networks``, ``model`` (the
trainable GAN and its ``train_step``), ``convert`` (the official ``400_net_G.pth`` /
``400_net_D.pth`` into our networks) and the zoo names it serves (``PRESETS``). Its sampler is
the shared :class:`zoo.sampling.ImageSampler`.
"""
from zoo.family import Family
from zoo.pix2pix.config import Pix2PixConfig
from zoo.pix2pix.convert import convert_checkpoint
from zoo.pix2pix.model import Pix2Pix
from zoo.pix2pix.networks import build_discriminator, build_generator
from zoo.sampling import ImageSampler
from zoo.schedules import ConstantThenLinearDecay, LinearDecayTraining

FAMILY = Family("pix2pix", Pix2PixConfig, build_generator, Pix2Pix, ImageSampler,
                convert_checkpoint=convert_checkpoint)

# Paper configs at 256x256; maps is photo -> map (AtoB), facades label -> photo (BtoA).
PRESETS = (
    Pix2PixConfig(name="msgan_pix2pix_maps", dataset="maps", direction="AtoB"),
    Pix2PixConfig(name="msgan_pix2pix_facades", dataset="facades", direction="BtoA"),
)

__all__ = ["ConstantThenLinearDecay", "FAMILY", "LinearDecayTraining", "PRESETS", "Pix2Pix",
           "Pix2PixConfig", "build_discriminator", "build_generator"]
