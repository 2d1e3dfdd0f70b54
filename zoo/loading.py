"""``zoo.load(name)``: a ready sampler for a zoo name or a saved model directory."""
import os
from pathlib import Path

from zoo.registry import get_config, get_family, validate_name
from zoo.sampling import CONFIG_FILE, GENERATOR_WEIGHTS, load_sampler

PACKAGE_MODELS = Path(__file__).resolve().parent.parent / "saved_models"
DEFAULT = "default"


def weight_dirs(name):
    """Where the weights of ``name`` are looked for, in order."""
    dirs = []
    home = os.environ.get("MSGAN_ZOO_HOME")
    if home:
        dirs.append(Path(home) / name)
    dirs.append(PACKAGE_MODELS / name)
    return dirs


def find_weights(name):
    """The first directory holding ``name``'s generator weights, or None."""
    for directory in weight_dirs(name):
        if (directory / GENERATOR_WEIGHTS).is_file() and (directory / CONFIG_FILE).is_file():
            return directory
    return None


def load(name, weights=DEFAULT):
    """Load a zoo generator ready to sample.

    Args:
        name: a zoo name (``"msgan_dcgan_digits"``) or a directory written by ``fit.py``.
        weights: ``"default"`` looks in ``$MSGAN_ZOO_HOME/<name>/`` then the package's
            ``saved_models/<name>/``; a path to a directory uses that one; ``None`` builds
            the generator with random weights (for fine-tuning).

    Returns:
        The family's sampler: ``.sample(condition, num_samples, seed=None)``, ``.generator``.
    """
    if isinstance(name, os.PathLike) or (isinstance(name, str) and os.sep in name):
        return load_sampler(name)
    config = get_config(validate_name(name))
    family = get_family(config.family)
    if weights is None:
        return family.sampler_class(family.build_generator(config), config)
    if weights != DEFAULT:
        return load_sampler(weights)
    directory = find_weights(name)
    if directory is None:
        searched = ", ".join(str(d) for d in weight_dirs(name))
        raise FileNotFoundError(
            f"no weights for {name} (looked in {searched}); train them with "
            f"`python training/fit.py --model {name} --data-dir DIR --out DIR`, or pass weights=None")
    return load_sampler(directory)
