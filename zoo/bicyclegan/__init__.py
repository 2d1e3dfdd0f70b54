"""BicycleGAN (Zhu et al., NeurIPS 2017) with the mode seeking term (MSGAN, Mao et al. 2019, sec. 4.2).

The folder holds the family whole: ``config``, ``networks`` (encoder, discriminators; the
generator is Pix2Pix's U-Net), ``model`` (the trainable GAN and its ``train_step``) and the zoo
names it serves (``PRESETS``). Its sampler is the shared :class:`zoo.sampling.ImageSampler`.
"""
from zoo.bicyclegan.config import BicycleGANConfig
from zoo.bicyclegan.model import BicycleGAN
from zoo.bicyclegan.networks import build_discriminator, build_encoder
from zoo.family import Family
from zoo.pix2pix.networks import build_generator
from zoo.sampling import ImageSampler

FAMILY = Family("bicyclegan", BicycleGANConfig, build_generator, BicycleGAN, ImageSampler)

PRESETS = (
    BicycleGANConfig(name="msgan_bicyclegan_maps", dataset="maps", direction="AtoB"),
    BicycleGANConfig(name="msgan_bicyclegan_facades", dataset="facades", direction="BtoA"),
)

__all__ = ["BicycleGAN", "BicycleGANConfig", "FAMILY", "PRESETS", "build_discriminator",
           "build_encoder", "build_generator"]
