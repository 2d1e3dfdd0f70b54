"""What a protocol is built from: the reference data, the FID features and the LPIPS metric.

:func:`build_protocol` turns evaluation options (``training/evaluate.py``'s flags, or any
object with the same attributes) and the first model's sampler into a protocol of
:mod:`zoo.training.evaluation.protocols`.
"""
from pathlib import Path

import numpy as np
from PIL import Image

import zoo
from zoo.training.data import IMAGE_SUFFIXES, load_label_data
from zoo.training.evaluation.presets import PRESETS
from zoo.training.evaluation.protocols import ConditionProtocol, LabelProtocol
from zoo.training.evaluation.unpaired import DOMAINS, UnpairedProtocol
from zoo.training.paired_data import load_pairs
from zoo.training.shapes_classifier import load_classifier as load_shapes_classifier
from zoo.training.unpaired_data import list_domain_images, load_domains, read_images
from zoo.metrics import alexnet_features
from zoo.metrics.fid import InceptionGraph, KerasFeatures
from zoo.metrics.lpips import LPIPS, MIN_SIZE
from zoo.paths import PACKAGE_MODELS
from zoo.sampling import to_uint8

DIGITS_CLASSIFIER = PACKAGE_MODELS / "digits_classifier" / "model.keras"
CIFAR10_CLASSIFIER = PACKAGE_MODELS / "cifar10_classifier" / "model.keras"


def feature_spec(spec, dataset=None):
    """``--features auto`` resolved: the shipped classifier for digits and for the captioned shapes,
    the paper's Inception otherwise."""
    if spec == "auto":
        return dataset if dataset in ("digits", "shapes") else "inception"
    return spec


def make_lpips(net, weights=None, image_shape=None):
    """The LPIPS metric named by ``--lpips-net``, or None.

    ``auto`` is AlexNet unless ``image_shape`` (``(H, W, C)``, label task) is not RGB or smaller
    than the backbone's minimum: an LPIPS of tiled 8x8 grayscale digits would not mean anything.
    """
    if net == "auto":
        fits = image_shape is None or (image_shape[-1] == 3 and min(image_shape[:2]) >= MIN_SIZE["alex"])
        net = "alex" if fits else "none"
    return None if net == "none" else LPIPS(net, weights=weights)


def make_features(spec, dataset=None, inception_graph=None):
    """The FID feature extractor named by ``--features``."""
    spec = feature_spec(spec, dataset)
    if spec == "none":
        return None
    if spec == "inception":
        return InceptionGraph(inception_graph)
    if spec == "alexnet":
        return alexnet_features()
    if spec == "digits":
        if not DIGITS_CLASSIFIER.is_file():
            raise FileNotFoundError(f"digit classifier not found: {DIGITS_CLASSIFIER}; train it with "
                                    f"`python training/train_digit_classifier.py`")
        return KerasFeatures(DIGITS_CLASSIFIER, layer="features", name="FID-digits: shipped digits_classifier/features")
    if spec == "cifar10":
        if not CIFAR10_CLASSIFIER.is_file():
            raise FileNotFoundError(f"CIFAR-10 classifier not found: {CIFAR10_CLASSIFIER}; train it with "
                                    f"`python training/train_cifar_classifier.py --data-dir ../shared/data/cifar10`")
        return KerasFeatures(CIFAR10_CLASSIFIER, layer="features",
                             name="FID-CIFAR: shipped cifar10_classifier/features (JPEG q75 CIFAR-10)")
    if spec == "shapes":
        return KerasFeatures(load_shapes_classifier(), layer="features",
                             name="FID-shapes: shipped shapes_classifier/features (128-d)")
    path, _, layer = spec.partition(":") if not Path(spec).is_file() else (spec, "", "")
    return KerasFeatures(path, layer=layer or None, name=f"{Path(path).name}" + (f"/{layer}" if layer else ""))


def load_model(name):
    return zoo.load(name)


def label_data(config, data_dir, limit=None, seed=0):
    """The training images of a label task as uint8 ``(N, H, W, C)`` and labels ``(N,)``.

    ``limit`` keeps a seeded random subset of that size: a folder tree lists its images class by
    class, so its first ``limit`` images would leave whole classes out.
    """
    dataset, _, _ = load_label_data(config, data_dir, split="train")
    images, labels = [], []
    for one_hot, image in dataset.batch(1024):
        images.append(to_uint8(image.numpy()))
        labels.append(one_hot.numpy().argmax(axis=1))
    images, labels = np.concatenate(images), np.concatenate(labels)
    if limit is not None and limit < len(images):
        keep = np.sort(np.random.default_rng(seed).choice(len(images), limit, replace=False))
        images, labels = images[keep], labels[keep]
    return images, labels


def image_folder_uint8(root, limit=None, size=None):
    paths = sorted(p for p in Path(root).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)[:limit]
    if not paths:
        raise FileNotFoundError(f"no images in {root}")
    images = []
    for path in paths:
        with Image.open(path) as image:
            image = image.convert("RGB")
            images.append(np.asarray(image.resize((size, size), Image.BICUBIC) if size else image))
    return np.stack(images)


def unpaired_data(config, data_dir, direction, conditions=None):
    """``(inputs, fid_real, ndb_real, train_real)`` uint8 at ``config.load_size`` for the unpaired preset.

    ``inputs``: the first ``conditions`` test images of the source domain (sorted by file name);
    ``fid_real``: the target domain's train + test images; ``ndb_real``: its test images;
    ``train_real``: its training images. ``data_dir``: a ``trainA/ trainB/ testA/ testB/`` tree;
    None: ``config.dataset``'s tfds source (Yosemite) or a one-line error.
    """
    source, target = ("AB".index(d) for d in DOMAINS[direction])
    if data_dir is None:
        test, train = (load_domains(config, None, split) for split in ("test", "train"))
        inputs = test[source][:conditions]
    else:
        test_paths, train_paths = (list_domain_images(data_dir, split) for split in ("test", "train"))
        inputs = read_images(test_paths[source], config.load_size, conditions)
        test = {target: read_images(test_paths[target], config.load_size)}
        train = {target: read_images(train_paths[target], config.load_size)}
    return inputs, np.concatenate([train[target], test[target]]), test[target], train[target]


def build_protocol(args, sampler):
    config = sampler.config
    if args.preset == "unpaired":
        return unpaired_protocol(args, sampler)
    features = make_features(args.features, getattr(config, "dataset", None), args.inception_graph)
    if args.preset == "label":
        images, labels = label_data(config, args.data_dir, args.real_count, args.seed)
        lpips = make_lpips(args.lpips_net, args.lpips_weights, images.shape[1:])
        print(f"reference: {len(images)} training images, {len(config.class_names)} classes "
              f"({'features and ' if features is not None else ''}K={args.k} NDB bins per class)")
        return LabelProtocol(images, labels, config.class_names, features, args.samples_per_class, args.k,
                             args.seed, args.alpha, PRESETS["label"]["diversity_samples"], lpips, args.lpips_pairs,
                             args.ndb_n_init)
    lpips = make_lpips(args.lpips_net, args.lpips_weights)
    if args.preset == "image":
        if args.data_dir is None:
            raise ValueError("--preset image needs --data-dir (pix2pix layout: train/ and val/ side-by-side pairs)")
        inputs, _ = load_pairs(args.data_dir, config.image_size, split="val", limit=args.conditions)
        _, targets = load_pairs(args.data_dir, config.image_size, split="train", limit=args.real_count)
        conditions = list(to_uint8(inputs))
        real = to_uint8(targets)
    else:
        if not (args.condition_file and args.real_dir):
            raise ValueError("--preset text needs --condition-file (one sentence per line) and --real-dir")
        path = Path(args.condition_file)
        if not path.is_file():
            raise FileNotFoundError(f"condition file not found: {path}")
        conditions = [line.strip() for line in path.read_text().splitlines() if line.strip()][:args.conditions]
        real = image_folder_uint8(args.real_dir, args.real_count, getattr(config, "image_size", None))
    print(f"reference: {len(real)} training images, {len(conditions)} {args.preset} conditions "
          f"({'features and ' if features is not None else ''}K={args.k} NDB bins)")
    return ConditionProtocol(args.preset, conditions, real, features, lpips, args.samples_per_condition,
                             args.lpips_pairs, args.k, args.seed, args.alpha, args.ndb_n_init)


def unpaired_protocol(args, sampler):
    """The unpaired preset's protocol for a two-domain translation sampler (the drit family)."""
    config = sampler.config
    if not callable(getattr(sampler, "with_direction", None)):
        raise ValueError(f"--preset unpaired scores two-domain translation models (the drit family); "
                         f"{args.model} is a {getattr(config, 'family', type(sampler).__name__)} model")
    direction = args.direction or config.direction
    features = make_features(args.features, getattr(config, "dataset", None), args.inception_graph)
    lpips = make_lpips(args.lpips_net, args.lpips_weights)
    inputs, fid_real, ndb_real, train_real = unpaired_data(config, args.data_dir, direction, args.conditions)
    source, target = DOMAINS[direction]
    print(f"reference: {len(inputs)} test{source} inputs; {len(fid_real)} train{target} + test{target} images "
          f"({'features, ' if features is not None else ''}saturation) and K={args.k} NDB bins on {len(ndb_real)} "
          f"test{target} images")
    return UnpairedProtocol(inputs, fid_real, ndb_real, train_real, config.image_size, direction, features, lpips,
                            args.samples_per_condition, args.lpips_pairs, args.k, args.seed, args.alpha,
                            args.ndb_n_init)
