"""Named model configurations of the zoo: plain data, one entry per zoo name.

A name follows the paper and includes the dataset: ``msgan_<arch>_<dataset>`` is the model
with the mode seeking term, ``<arch>_<dataset>`` its baseline twin (``lambda_ms = 0``).
"""
import difflib
import re

from zoo import dcgan
from zoo.dcgan import DCGANConfig, DIGIT_CLASSES

_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_]{0,63}$")

_REGISTRY = {}
FAMILIES = {family.name: family for family in (dcgan.FAMILY,)}


def get_family(name):
    """The :class:`zoo.family.Family` called ``name``."""
    if name not in FAMILIES:
        raise ValueError(f"unknown model family {name!r}; known: {', '.join(sorted(FAMILIES))}")
    return FAMILIES[name]


def register(config):
    """Add ``config`` (and its baseline twin, for ``msgan_`` names) to the registry."""
    _REGISTRY[config.name] = config
    if config.name.startswith("msgan_"):
        baseline = config.replace(name=config.name[len("msgan_"):], lambda_ms=0.0)
        _REGISTRY[baseline.name] = baseline
    return config


def validate_name(name):
    """Reject anything that is not a plain zoo name (no paths, no traversal)."""
    if not isinstance(name, str) or not _NAME_PATTERN.match(name):
        raise ValueError(f"invalid model name {name!r}: use lowercase letters, digits and '_'")
    return name


def get_config(name):
    """The config registered as ``name``; an unknown name suggests close matches."""
    validate_name(name)
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, _REGISTRY, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"unknown model {name!r}{hint} (known: {', '.join(sorted(_REGISTRY))})")
    return _REGISTRY[name]


def model_names():
    return sorted(_REGISTRY)


register(DCGANConfig(
    name="msgan_dcgan_cifar10", dataset="cifar10", image_size=32, channels=3, d=128, epochs=200,
))
register(DCGANConfig(
    name="msgan_dcgan_digits", dataset="digits", image_size=8, channels=1,
    class_names=DIGIT_CLASSES, d=64, epochs=60,
))
