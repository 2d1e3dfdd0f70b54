"""Named model configurations of the zoo: plain data, one entry per zoo name.

A name follows the paper and includes the dataset: ``msgan_<arch>_<dataset>`` is the model
with the mode seeking term, ``<arch>_<dataset>`` its baseline twin (``lambda_ms = 0``).

Every model of the paper has a :class:`ModelSpec` (architecture family, dataset, preprocessing,
paper reference, where its weights are), whether or not its family is implemented or weights
ship. A spec becomes loadable when a family module calls :func:`register` with a config for
its name; ``list_models()`` shows which models are loadable and which have weights here.
"""
import dataclasses
import difflib
import re

from zoo import dcgan
from zoo.dcgan import DCGANConfig, DIGIT_CLASSES

_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_]{0,63}$")

_REGISTRY = {}
FAMILIES = {family.name: family for family in (dcgan.FAMILY,)}

MSGAN_PAPER = ("Mao et al., Mode Seeking Generative Adversarial Networks for Diverse Image "
               "Synthesis, CVPR 2019 (arXiv:1903.05628)")
BASE_PAPERS = {
    "dcgan": "Radford et al., DCGAN, ICLR 2016 (arXiv:1511.06434); class-conditioned as in MSGAN's DCGAN-Mode-Seeking",
    "pix2pix": "Isola et al., Image-to-Image Translation with Conditional Adversarial Networks (Pix2Pix), CVPR 2017",
    "bicyclegan": "Zhu et al., Toward Multimodal Image-to-Image Translation (BicycleGAN), NeurIPS 2017",
    "drit": "Lee et al., Diverse Image-to-Image Translation via Disentangled Representations (DRIT), ECCV 2018",
    "stackgan": "Zhang et al., StackGAN++: Realistic Image Synthesis with Stacked GANs, TPAMI 2018",
}
TASKS = {
    "dcgan": "label -> image",
    "pix2pix": "image -> image (paired)",
    "bicyclegan": "image -> image (paired)",
    "drit": "image -> image (unpaired)",
    "stackgan": "text -> image",
}
# (what the data is, how images are prepared for the generator), per dataset of the paper.
DATASETS = {
    "cifar10": ("CIFAR-10, 32x32 RGB, 10 classes",
                "tfds `cifar10` or class folders; pixels scaled to [-1, 1]"),
    "digits": ("scikit-learn load_digits, 1,797 real 8x8 digits, 10 classes",
               "pixels 0..16 scaled to [-1, 1]"),
    "facades": ("CMP Facades (pix2pix release), 400 train pairs, label map -> photo",
                "A|B side-by-side JPEGs, BtoA; resize 286, random crop 256, flip; [-1, 1]"),
    "maps": ("pix2pix maps, 1,096 train pairs, aerial photo -> Google map",
             "A|B side-by-side JPEGs, AtoB; resize 286, random crop 256, flip; [-1, 1]"),
    "yosemite": ("Yosemite summer <-> winter (CycleGAN release), unpaired",
                 "resize 256, random crop 216 (DRIT's defaults), flip; [-1, 1]"),
    "cat2dog": ("DRIT cat <-> dog, unpaired (871 cats, 1,364 dogs)",
                "resize 256, random crop 216 (DRIT's defaults), flip; [-1, 1]"),
    "cub": ("CUB-200-2011 birds with char-CNN-RNN text embeddings",
            "StackGAN++ 64/128/256 pyramid, images scaled to [-1, 1]"),
}
AUTHORS_WEIGHTS = ("not in this zoo: the authors' PyTorch checkpoints (github.com/HelenMao/MSGAN) "
                   "cannot be loaded by these Keras models")


class ModelNotImplementedError(ValueError):
    """A paper model with a spec whose family this version of the zoo does not implement."""


@dataclasses.dataclass
class ModelSpec:
    """What a zoo name is, as plain data.

    Attributes:
        name: the zoo name (``msgan_pix2pix_maps``).
        family: architecture family (``dcgan``, ``pix2pix``, ``bicyclegan``, ``drit``, ``stackgan``).
        task: what it maps (``"label -> image"``, ``"image -> image (paired)"``, ...).
        dataset: dataset key; ``data`` describes it and ``preprocessing`` how images are prepared.
        paper: the reference of the model (MSGAN paper, or the baseline's own paper).
        lambda_ms: weight of the mode seeking term (0 for a baseline twin).
        weights: where released weights are, in words; the loader looks in
            ``$MSGAN_ZOO_HOME/<name>/`` and the package's ``saved_models/<name>/``.
        config: the family config dataclass, or None while the family is not implemented.
    """

    name: str
    family: str
    dataset: str
    lambda_ms: float = 1.0
    task: str = ""
    data: str = ""
    preprocessing: str = ""
    paper: str = ""
    weights: str = ""
    config: object = None

    def __post_init__(self):
        self.task = self.task or TASKS.get(self.family, "")
        data, preprocessing = DATASETS.get(self.dataset, ("", ""))
        self.data = self.data or data
        self.preprocessing = self.preprocessing or preprocessing
        base = BASE_PAPERS.get(self.family, "")
        self.paper = self.paper or (MSGAN_PAPER if self.lambda_ms else f"{base}; baseline of {MSGAN_PAPER}")

    @property
    def implemented(self):
        return self.config is not None and self.family in FAMILIES

    def to_dict(self):
        values = dataclasses.asdict(self)
        values["config"] = None if self.config is None else self.config.to_dict()
        values["implemented"] = self.implemented
        return values


_SPECS = {}


def add_spec(name, family, dataset, **fields):
    """Name a paper model (and its baseline twin, for ``msgan_`` names) before it is loadable."""
    _SPECS[name] = ModelSpec(name, family, dataset, **fields)
    if name.startswith("msgan_"):
        twin = name[len("msgan_"):]
        _SPECS[twin] = ModelSpec(twin, family, dataset, lambda_ms=0.0, **fields)
    return _SPECS[name]


def _spec_for_config(config):
    """The spec of a registered config: an existing spec gets the config, else a new spec."""
    spec = _SPECS.get(config.name)
    if spec is None:
        spec = ModelSpec(config.name, config.family, config.dataset, lambda_ms=config.lambda_ms)
    spec = dataclasses.replace(spec, family=config.family, lambda_ms=config.lambda_ms, config=config)
    if not spec.weights or spec.weights == AUTHORS_WEIGHTS:
        spec.weights = (f"saved_models/{config.name}/ when shipped; otherwise train them with "
                        f"`python training/fit.py --model {config.name} --data-dir DIR`")
    _SPECS[config.name] = spec
    return spec


def get_family(name):
    """The :class:`zoo.family.Family` called ``name``."""
    if name not in FAMILIES:
        raise ValueError(f"unknown model family {name!r}; known: {', '.join(sorted(FAMILIES))}")
    return FAMILIES[name]


def register(config):
    """Add ``config`` (and its baseline twin, for ``msgan_`` names) to the registry.

    A name already listed by :func:`add_spec` keeps its spec (paper, data, ...) and becomes
    loadable; a new name gets a spec derived from the config.
    """
    _REGISTRY[config.name] = config
    _spec_for_config(config)
    if config.name.startswith("msgan_"):
        baseline = config.replace(name=config.name[len("msgan_"):], lambda_ms=0.0)
        _REGISTRY[baseline.name] = baseline
        _spec_for_config(baseline)
    return config


def validate_name(name):
    """Reject anything that is not a plain zoo name (no paths, no traversal)."""
    if not isinstance(name, str) or not _NAME_PATTERN.match(name):
        raise ValueError(f"invalid model name {name!r}: use lowercase letters, digits and '_'")
    return name


def get_spec(name):
    """The :class:`ModelSpec` of ``name`` (implemented or not); unknown names suggest close matches."""
    validate_name(name)
    if name not in _SPECS and name not in _REGISTRY:
        known = sorted(set(_SPECS) | set(_REGISTRY))
        close = difflib.get_close_matches(name, known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"unknown model {name!r}{hint} (known: {', '.join(known)})")
    if name not in _SPECS:  # a config put into _REGISTRY by hand
        _spec_for_config(_REGISTRY[name])
    return _SPECS[name]


def get_config(name):
    """The config registered as ``name``; an unknown name suggests close matches.

    Raises :class:`ModelNotImplementedError` (a ``ValueError``) for a paper model whose
    family is not implemented yet.
    """
    spec = get_spec(name)
    if name not in _REGISTRY or spec.family not in FAMILIES:
        loadable = ", ".join(model_names())
        raise ModelNotImplementedError(
            f"{name} ({spec.task}, {spec.dataset}) is a paper model, but the {spec.family!r} family "
            f"is not implemented in this version of msgan-zoo; loadable models: {loadable}")
    return _REGISTRY[name]


def model_names():
    """Names that can be built and trained (their family is implemented)."""
    return sorted(name for name, config in _REGISTRY.items() if config.family in FAMILIES)


def spec_names():
    """Every named model, implemented or not."""
    return sorted(set(_SPECS) | set(_REGISTRY))


def list_models(family=None, task=None, dataset=None, implemented=None, weights_here=None, pattern=None):
    """The zoo as a list of dicts, one per name, sorted by name, optionally filtered.

    Each dict holds the spec's fields (``name``, ``family``, ``task``, ``dataset``, ``data``,
    ``preprocessing``, ``paper``, ``lambda_ms``, ``weights``, ``config``), ``implemented``,
    ``weights_here`` (bool: generator weights found in ``$MSGAN_ZOO_HOME`` or ``saved_models``)
    and ``weights_dir`` (that directory as a str, or None).

    Args:
        family, task, dataset: keep entries equal to this value.
        implemented, weights_here: keep entries whose flag equals this bool.
        pattern: a shell-style wildcard on the name (``"msgan_*"``, ``"*_maps"``).
    """
    import fnmatch

    from zoo.loading import find_weights  # loading imports this module

    entries = []
    for name in spec_names():
        if pattern is not None and not fnmatch.fnmatchcase(name, pattern):
            continue
        entry = get_spec(name).to_dict()
        directory = find_weights(name)
        entry["weights_here"] = directory is not None
        entry["weights_dir"] = None if directory is None else str(directory)
        wanted = {"family": family, "task": task, "dataset": dataset,
                  "implemented": implemented, "weights_here": weights_here}
        if all(value is None or entry[key] == value for key, value in wanted.items()):
            entries.append(entry)
    return entries


# Every model of the paper (Mao et al. 2019, Tables 1-4) and its baseline twin; the families
# implemented in this version upgrade their specs with a config through register() below.
add_spec("msgan_dcgan_cifar10", "dcgan", "cifar10")
add_spec("msgan_pix2pix_facades", "pix2pix", "facades", weights=AUTHORS_WEIGHTS)
add_spec("msgan_pix2pix_maps", "pix2pix", "maps", weights=AUTHORS_WEIGHTS)
add_spec("msgan_bicyclegan_facades", "bicyclegan", "facades", weights=AUTHORS_WEIGHTS)
add_spec("msgan_bicyclegan_maps", "bicyclegan", "maps", weights=AUTHORS_WEIGHTS)
add_spec("msgan_drit_yosemite", "drit", "yosemite", weights=AUTHORS_WEIGHTS)
add_spec("msgan_drit_cat2dog", "drit", "cat2dog", weights=AUTHORS_WEIGHTS)
add_spec("msgan_stackgan_cub", "stackgan", "cub", weights=AUTHORS_WEIGHTS)


register(DCGANConfig(
    name="msgan_dcgan_cifar10", dataset="cifar10", image_size=32, channels=3, d=128, epochs=200,
))
register(DCGANConfig(
    name="msgan_dcgan_digits", dataset="digits", image_size=8, channels=1,
    class_names=DIGIT_CLASSES, d=64, epochs=150,
))


# Image-conditioned MSGAN (issue 3): Pix2Pix+MS as the official code trains it, and
# BicycleGAN+MS. Paper configs at 256x256; maps is photo -> map (AtoB), facades label -> photo (BtoA).
from zoo import bicyclegan, pix2pix  # noqa: E402

FAMILIES.update({family.name: family for family in (pix2pix.FAMILY, bicyclegan.FAMILY)})
register(pix2pix.Pix2PixConfig(name="msgan_pix2pix_maps", dataset="maps", direction="AtoB"))
register(pix2pix.Pix2PixConfig(name="msgan_pix2pix_facades", dataset="facades", direction="BtoA"))
register(bicyclegan.BicycleGANConfig(name="msgan_bicyclegan_maps", dataset="maps", direction="AtoB"))
register(bicyclegan.BicycleGANConfig(name="msgan_bicyclegan_facades", dataset="facades", direction="BtoA"))
