"""Class-conditioned DCGAN with the mode seeking term (MSGAN's label task).

Architecture of the official DCGAN-Mode-Seeking code (CIFAR-10, 32x32, d = 128): see
:mod:`zoo.dcgan.networks`. The folder holds the family whole: ``config`` (paper defaults),
``networks``, ``model`` (the trainable GAN and its ``train_step``), ``sampler``, ``convert``
(the official ``00199.pth`` into our networks) and ``PRESETS`` (the zoo names this family serves).
"""
from zoo.dcgan.config import CIFAR10_CLASSES, DIGIT_CLASSES, DCGANConfig
from zoo.dcgan.convert import convert_checkpoint
from zoo.dcgan.model import DCGAN
from zoo.dcgan.networks import build_discriminator, build_generator
from zoo.dcgan.sampler import LabelSampler
from zoo.family import Family

FAMILY = Family("dcgan", DCGANConfig, build_generator, DCGAN, LabelSampler,
                convert_checkpoint=convert_checkpoint)

PRESETS = (
    DCGANConfig(name="msgan_dcgan_cifar10", dataset="cifar10", image_size=32, channels=3, d=128, epochs=200),
    DCGANConfig(name="msgan_dcgan_digits", dataset="digits", image_size=8, channels=1,
                class_names=DIGIT_CLASSES, d=64, epochs=150),
)

__all__ = ["CIFAR10_CLASSES", "DIGIT_CLASSES", "DCGAN", "DCGANConfig", "FAMILY", "LabelSampler",
           "PRESETS", "build_discriminator", "build_generator"]
