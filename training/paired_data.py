"""Paired image-to-image data in the standard Pix2Pix layout, as tf.data pipelines.

Layout: ``<root>/train/``, ``<root>/val/``, ``<root>/test/``, each holding JPEG (or PNG) files
of width ``2 * height``: the input A on the left half, the target B on the right half
(the format of pix2pix's ``facades``, ``maps``, ``edges2shoes``...). ``direction="BtoA"``
swaps them.

Training examples get Pix2Pix's jitter, scaled to the model's size: both halves resized to
``load_size`` (286 for 256) then the *same* random crop of ``image_size`` and the *same*
random horizontal flip applied to A and B (they are cropped as one 6-channel image). The
decoded, resized pairs are cached before the jitter, so each epoch draws fresh crops.
"""
from pathlib import Path

import numpy as np
import tensorflow as tf

from zoo.training.data import DataError

AUTOTUNE = tf.data.AUTOTUNE
PAIR_SUFFIXES = {".jpg", ".jpeg", ".png"}
SPLITS = ("train", "val", "test")


def load_size_for(image_size, load_size_256=286):
    """Pix2Pix's resize-before-crop size scaled to ``image_size`` (286 for 256, 72 for 64)."""
    return int(round(image_size * load_size_256 / 256))


def list_pairs(data_dir, split="train"):
    """Sorted paths of the side-by-side pair images in ``data_dir/split``.

    Checks every file's header: RGB, width exactly twice the height. Raises
    :class:`zoo.training.data.DataError` naming the folder or the first bad file.
    """
    if split not in SPLITS:
        raise DataError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    root = Path(data_dir)
    if not root.is_dir():
        raise DataError(f"data directory not found: {root}")
    folder = root / split
    if not folder.is_dir():
        raise DataError(f"no '{split}' folder in {root} (expected {folder}/<A|B side-by-side images>)")
    paths = sorted((p for p in folder.iterdir() if p.suffix.lower() in PAIR_SUFFIXES),
                   key=lambda p: (len(p.stem), p.stem))
    if not paths:
        raise DataError(f"no .jpg/.png pair images in {folder}")
    for path in paths:
        check_pair_file(path)
    return [str(p) for p in paths]


def check_pair_file(path):
    """Raise :class:`DataError` unless ``path`` is an RGB image of width 2 x height (header only)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            width, height, mode = image.width, image.height, image.mode
    except (UnidentifiedImageError, OSError) as error:
        raise DataError(f"cannot read image {path}: {error}") from None
    if mode != "RGB":
        raise DataError(f"{path} is a {mode} image; pairs must be RGB (3 channels)")
    if width != 2 * height:
        raise DataError(f"{path} is {width}x{height}: a pair image must be A|B side by side, "
                        f"width = 2 x height")


def decode_pair(path, size, direction="AtoB"):
    """``(input, target)`` float32 ``(size, size, 3)`` in [-1, 1] from one side-by-side file."""
    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    image = tf.cast(image, tf.float32) / 127.5 - 1.0
    half = tf.shape(image)[1] // 2
    a, b = image[:, :half], image[:, half:]
    a = tf.image.resize(a, (size, size), method="bicubic", antialias=True)
    b = tf.image.resize(b, (size, size), method="bicubic", antialias=True)
    a, b = tf.clip_by_value(a, -1.0, 1.0), tf.clip_by_value(b, -1.0, 1.0)
    return (a, b) if direction == "AtoB" else (b, a)


def jitter(a, b, image_size, seed):
    """The same random crop and flip for A and B (Pix2Pix's ``resize_and_crop`` + flip).

    Args:
        a, b: ``(L, L, 3)`` with ``L = load_size >= image_size``.
        seed: a stateless seed, int32 ``(2,)``.

    Returns:
        ``(a, b)`` cropped to ``(image_size, image_size, 3)``.
    """
    pair = tf.concat([a, b], axis=-1)
    pair = tf.image.stateless_random_crop(pair, (image_size, image_size, 6), seed=seed)
    pair = tf.image.stateless_random_flip_left_right(pair, seed=seed[::-1])
    return pair[..., :3], pair[..., 3:]


def _jitter_seeds(seed):
    """A stateful generator of stateless seeds, created once for the dataset.

    A seeded ``tf.image.random_crop`` inside ``Dataset.map`` restarts its sequence with every
    new iterator, i.e. every epoch would see the same crops; this generator's state lives
    outside the iterator and keeps advancing across epochs.
    """
    if seed is None:
        return tf.random.Generator.from_non_deterministic_state()
    return tf.random.Generator.from_seed(seed)


def paired_dataset(data_dir, image_size, split="train", direction="AtoB", load_size=None,
                   augment=True, limit=None, seed=None):
    """Unbatched ``(input, target)`` dataset and its size.

    ``augment=True``: decode at ``load_size`` (default 286/256 x ``image_size``), cache, then
    jitter every epoch. ``augment=False``: decode straight to ``image_size`` (evaluation).
    """
    if direction not in ("AtoB", "BtoA"):
        raise DataError(f"direction must be AtoB or BtoA, got {direction!r}")
    paths = list_pairs(data_dir, split)
    if limit is not None:
        if limit < 1:
            raise DataError(f"limit must be >= 1, got {limit}")
        paths = paths[:limit]
    size = (load_size or load_size_for(image_size)) if augment else image_size
    if size < image_size:
        raise DataError(f"load_size {size} is smaller than image_size {image_size}")
    dataset = tf.data.Dataset.from_tensor_slices(paths).map(
        lambda p: decode_pair(p, size, direction), num_parallel_calls=AUTOTUNE).cache()
    if augment:
        seeds = _jitter_seeds(seed)
        dataset = dataset.map(lambda a, b: jitter(a, b, image_size, seeds.make_seeds(1)[:, 0]),
                              num_parallel_calls=AUTOTUNE)
    return dataset, len(paths)


def training_pairs(data_dir, image_size, batch_size, direction="AtoB", load_size=None, limit=None, seed=0):
    """Batched, shuffled, jittered ``(input, target)`` training pipeline and the number of pairs."""
    dataset, count = paired_dataset(data_dir, image_size, "train", direction, load_size, True, limit, seed)
    if batch_size < 1:
        raise DataError(f"batch size must be >= 1, got {batch_size}")
    if batch_size > count:
        raise DataError(f"batch size {batch_size} is larger than the dataset ({count} pairs)")
    # The cache sits before the jitter, so every epoch re-crops and re-flips every pair.
    dataset = dataset.shuffle(count, seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size, drop_remainder=True).prefetch(AUTOTUNE), count


def load_pairs(data_dir, image_size, split="val", direction="AtoB", limit=None):
    """Evaluation pairs as arrays: ``(inputs, targets)`` float32 ``(N, S, S, 3)`` in [-1, 1], no jitter."""
    dataset, _ = paired_dataset(data_dir, image_size, split, direction, augment=False, limit=limit)
    inputs, targets = [], []
    for a, b in dataset.batch(64):
        inputs.append(a.numpy())
        targets.append(b.numpy())
    return np.concatenate(inputs), np.concatenate(targets)
