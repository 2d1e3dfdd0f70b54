"""Model directories: ``generator.weights.h5`` + ``config.json``, written and read back.

Only JSON and raw HDF5 weight tensors are read (Keras' ``load_weights``): no pickle, no
deserialized code. The generator is rebuilt from its family's code and the config.
"""
import json
import warnings
from pathlib import Path

from zoo.paths import CONFIG_FILE, GENERATOR_WEIGHTS
from zoo.registry import FAMILIES, get_family

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def check_weights_file(path):
    """Refuse anything but a readable HDF5 ``*.weights.h5`` file, with a one-line error."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"weights file not found: {path}")
    if not path.name.endswith(".weights.h5"):
        raise ValueError(f"{path}: weights must be a Keras '.weights.h5' file (no pickle, no .keras archives)")
    with open(path, "rb") as f:
        if f.read(len(HDF5_SIGNATURE)) != HDF5_SIGNATURE:
            raise ValueError(f"{path} is corrupted: not an HDF5 file")
    return path


def save_generator(generator, config, directory):
    """Write ``generator.weights.h5`` and ``config.json`` into ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    generator.save_weights(directory / GENERATOR_WEIGHTS)
    config.to_json(directory / CONFIG_FILE)


def read_config(directory):
    """The config dataclass stored in ``directory/config.json``."""
    path = Path(directory) / CONFIG_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no {CONFIG_FILE} in {directory}")
    try:
        values = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from None
    family = values.get("family")
    if family not in FAMILIES:
        raise ValueError(f"{path}: unknown model family {family!r}")
    return FAMILIES[family].config_class.from_dict(values)


def sampler_from_weights(config, weights):
    """The family's sampler for ``config`` with the generator weights of one ``.weights.h5`` file."""
    family = get_family(config.family)
    generator = family.build_generator(config)
    # Keras warns about every layer group it cannot match before it raises for the same file; our
    # one-line error says it all, so those warnings are shown only if the load succeeds.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            generator.load_weights(weights)
        except Exception as error:  # h5py/Keras raise many types for a damaged or mismatched file
            message = str(error).splitlines()[0] if str(error) else ""
            raise ValueError(f"cannot read generator weights {weights}: {type(error).__name__}: {message}") from None
    for warning in caught:
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    return family.sampler_class(generator, config)


def load_sampler(directory):
    """The family's sampler (e.g. :class:`LabelSampler`) from a :func:`save_generator` directory."""
    config = read_config(directory)
    weights = Path(directory) / GENERATOR_WEIGHTS
    if not weights.is_file():
        raise FileNotFoundError(f"no {GENERATOR_WEIGHTS} in {directory}")
    return sampler_from_weights(config, weights)
