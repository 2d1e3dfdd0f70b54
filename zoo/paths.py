"""Where a zoo name's weights live, and what a valid name is (no Keras, no registry).

A name is looked for in ``$MSGAN_ZOO_HOME/<name>/``, then in the package's
``saved_models/<name>/``; a model directory holds ``generator.weights.h5`` and ``config.json``.
"""
import os
import re
from pathlib import Path


def _package_models(here=Path(__file__).resolve().parent):
    """``zoo/saved_models/`` in a regular install (setup.py puts the shipped models there), else
    ``saved_models/`` beside the package: the checkout of ``pip install -e .``."""
    installed = here / "saved_models"
    return installed if installed.is_dir() else here.parent / "saved_models"


PACKAGE_MODELS = _package_models()
GENERATOR_WEIGHTS = "generator.weights.h5"
CONFIG_FILE = "config.json"
_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_]{0,63}$")


def validate_name(name):
    """Reject anything that is not a plain zoo name (no paths, no traversal)."""
    if not isinstance(name, str) or not _NAME_PATTERN.match(name):
        raise ValueError(f"invalid model name {name!r}: use lowercase letters, digits and '_'")
    return name


def weight_dirs(name):
    """Where the weights of ``name`` are looked for, in order (explicit paths aside)."""
    validate_name(name)
    dirs = []
    home = os.environ.get("MSGAN_ZOO_HOME")
    if home:
        dirs.append(Path(home) / name)
    dirs.append(PACKAGE_MODELS / name)
    return dirs


def find_weights(name):
    """The first directory holding ``name``'s generator weights and config, or None."""
    for directory in weight_dirs(name):
        if (directory / GENERATOR_WEIGHTS).is_file() and (directory / CONFIG_FILE).is_file():
            return directory
    return None
