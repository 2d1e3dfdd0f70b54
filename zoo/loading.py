"""``zoo.load(name)``: a ready sampler for a zoo name or a saved model directory.

Where the weights of a zoo name are looked for, in order:

1. an explicit path (``weights="path/to/dir"`` or ``weights="path/to/generator.weights.h5"``);
2. ``$MSGAN_ZOO_HOME/<name>/``;
3. the package's ``saved_models/<name>/``.

Security: a name is a plain identifier (no path traversal); the generator is built from the
family's code and a JSON config, and only raw weight tensors are read from the HDF5 file with
Keras' ``load_weights`` (no pickle, no deserialized code, Keras' safe mode left on).
"""
import os
from pathlib import Path

from zoo.model_dir import check_weights_file, load_sampler, read_config, sampler_from_weights
from zoo.paths import CONFIG_FILE, GENERATOR_WEIGHTS, find_weights, weight_dirs
from zoo.registry import get_config, get_family, get_spec, known_names

DEFAULT = "default"


def _is_path(name):
    return isinstance(name, os.PathLike) or (isinstance(name, str) and ("/" in name or os.sep in name))


def _is_local_model_dir(name):
    """A bare name that is no zoo name but a model directory here (``fit.py --out check_abc``)."""
    return (isinstance(name, str) and name not in known_names()
            and (Path(name) / CONFIG_FILE).is_file() and (Path(name) / GENERATOR_WEIGHTS).is_file())


def load(name, weights=DEFAULT):
    """Load a zoo generator ready to sample.

    Args:
        name: a zoo name (``"msgan_dcgan_digits"``; ``zoo.list_models()`` lists them) or a
            directory written by ``fit.py`` (``generator.weights.h5`` + ``config.json``); a bare
            name that is no zoo name loads the model directory of that name in the working
            directory (``zoo.load("my_run")``); a zoo name always means the zoo's model.
        weights: ``"default"`` looks in ``$MSGAN_ZOO_HOME/<name>/`` then the package's
            ``saved_models/<name>/``; a directory or a ``.weights.h5`` file uses that one (a
            lone weights file is read with the registry's config for ``name``);
            ``None`` builds the generator with random weights (for fine-tuning).

    Returns:
        The family's sampler (e.g. :class:`zoo.dcgan.LabelSampler`) with
        ``.sample(condition, num_samples, seed=None)`` and ``.generator`` (the Keras model).

    Raises:
        KeyError: unknown name (the message suggests close matches).
        ValueError: invalid name, a family not implemented yet, a corrupted weights file,
            weights of another family.
        FileNotFoundError: no weights anywhere (the message says how to train them).
    """
    if _is_path(name) or _is_local_model_dir(name):
        return _load_directory(Path(name))
    spec = get_spec(name)
    config = get_config(name)  # raises for families not implemented yet
    family = get_family(config.family)
    if weights is None:
        return family.sampler_class(family.build_generator(config), config)
    if weights != DEFAULT:
        path = Path(weights)
        if path.is_dir() or not (path.exists() or path.suffix):
            return _load_directory(path, expected_family=spec.family)
        if (path.parent / CONFIG_FILE).is_file():  # fit.py's output: the config beside the weights wins
            config = read_config(path.parent)
            if config.family != spec.family:
                raise ValueError(f"{path.parent} holds a {config.family!r} model, not a {spec.family!r} one")
        return _load_weights_file(path, config)
    directory = find_weights(name)
    if directory is None:
        searched = ", ".join(str(d) for d in weight_dirs(name))
        convert = (f" or convert the authors' checkpoint with `{spec.convert_command}`"
                   if spec.convertible else "")
        raise FileNotFoundError(
            f"no weights for {name} (looked in {searched}); train them with "
            f"`python training/fit.py --model {name} --data-dir DIR --out DIR`{convert} and pass "
            f"weights=DIR or copy DIR to $MSGAN_ZOO_HOME/{name}/, or pass weights=None for random init")
    return _load_directory(directory, expected_family=spec.family)


def _load_directory(directory, expected_family=None):
    if not directory.is_dir():
        raise FileNotFoundError(f"model directory not found: {directory}")
    check_weights_file(directory / GENERATOR_WEIGHTS)
    config = read_config(directory)
    if expected_family is not None and config.family != expected_family:
        raise ValueError(f"{directory} holds a {config.family!r} model, not a {expected_family!r} one")
    return load_sampler(directory)


def _load_weights_file(path, config):
    """A sampler for ``config`` with the weights of one ``.weights.h5`` file."""
    check_weights_file(path)
    return sampler_from_weights(config, path)
