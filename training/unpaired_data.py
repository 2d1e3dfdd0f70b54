"""Unpaired two-domain image data (DRIT, CycleGAN) as tf.data pipelines.

Sources:

* a folder tree in the DRIT / CycleGAN layout: ``<root>/trainA/``, ``<root>/trainB/`` (and
  ``testA/``, ``testB/``), image files of any size (``../shared/data/cat2dog``);
* ``tensorflow_datasets``' ``cycle_gan/<config>`` (``summer2winter_yosemite`` for the paper's
  Yosemite task), whose splits are ``trainA``, ``trainB``, ``testA``, ``testB``.

Every image is read once, converted to RGB and resized to ``load_size x load_size`` with PIL's
bicubic filter (the official ``Resize((256, 256), BICUBIC)``), and kept in memory as uint8.
Training batches follow the official ``dataset_unpair``: an epoch walks the larger domain in a
fresh random order and pairs every image with a random image of the other domain; each image
gets its own random ``image_size`` crop and horizontal flip; incomplete batches are dropped.
Test images get the centre crop. Images are float32 in [-1, 1], ``(batch, S, S, C)``.
"""
from pathlib import Path

import numpy as np
import tensorflow as tf

from zoo.training.data import IMAGE_SUFFIXES, DataError

AUTOTUNE = tf.data.AUTOTUNE
SPLITS = ("train", "test")
YOSEMITE = "cycle_gan/summer2winter_yosemite"


def list_domain_images(data_dir, split="train"):
    """Sorted image paths of ``data_dir/<split>A`` and ``data_dir/<split>B``.

    Raises :class:`zoo.training.data.DataError` (one line) for a missing directory or domain folder,
    a domain without images, or a file that is not a readable image.
    """
    if split not in SPLITS:
        raise DataError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    root = Path(data_dir)
    if not root.is_dir():
        raise DataError(f"data directory not found: {root}")
    domains = []
    for domain in "AB":
        folder = root / f"{split}{domain}"
        if not folder.is_dir():
            raise DataError(f"no '{split}{domain}' folder in {root} (expected the DRIT/CycleGAN layout "
                            f"{split}A/ and {split}B/ of images)")
        paths = sorted(str(p) for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        if not paths:
            raise DataError(f"no images (.jpg/.png/...) in {folder}")
        domains.append(paths)
    return tuple(domains)


def read_images(paths, load_size, limit=None):
    """uint8 ``(N, load_size, load_size, 3)``: each file as RGB, PIL bicubic resize."""
    from PIL import Image, UnidentifiedImageError

    images = []
    for path in paths[:limit]:
        try:
            with Image.open(path) as image:
                images.append(np.asarray(image.convert("RGB").resize((load_size, load_size), Image.BICUBIC)))
        except (UnidentifiedImageError, OSError) as error:
            raise DataError(f"cannot read image {path}: {error}") from None
    return np.stack(images)


def resize_image(image, load_size):
    """uint8 ``(H, W, 3)`` -> uint8 ``(load_size, load_size, 3)`` (PIL bicubic, as files are read)."""
    from PIL import Image

    if image.shape[:2] == (load_size, load_size):
        return image
    return np.asarray(Image.fromarray(image).resize((load_size, load_size), Image.BICUBIC))


def folder_domains(data_dir, load_size, split="train", limit=None):
    """``(images_a, images_b)``, uint8 arrays at ``load_size``, from a ``trainA/ trainB/`` tree."""
    paths_a, paths_b = list_domain_images(data_dir, split)
    return read_images(paths_a, load_size, limit), read_images(paths_b, load_size, limit)


def tfds_domains(name, load_size, split="train", data_dir=None, limit=None):
    """``(images_a, images_b)`` from ``tensorflow_datasets``' ``cycle_gan/<config>`` (``<split>A``,
    ``<split>B``), uint8 at ``load_size``. Needs the dataset prepared or downloadable."""
    import tensorflow_datasets as tfds

    if split not in SPLITS:
        raise DataError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    domains = []
    for domain in "AB":
        try:
            dataset = tfds.load(name, split=f"{split}{domain}", data_dir=data_dir)
        except Exception as error:  # tfds raises many types (not prepared, no network, bad name)
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise DataError(f"cannot load tfds {name!r} split {split}{domain}: {message}") from None
        if limit is not None:
            dataset = dataset.take(limit)
        images = [resize_image(example["image"], load_size) for example in tfds.as_numpy(dataset)]
        if not images:
            raise DataError(f"tfds {name!r} split {split}{domain} is empty")
        domains.append(np.stack(images))
    return tuple(domains)


def _random_crop_flip(image, size, seed, flip=True):
    """A random ``size`` crop (and horizontal flip) of one image, from a stateless ``seed`` (2,)."""
    image = tf.image.stateless_random_crop(image, (size, size, tf.shape(image)[-1]), seed=seed)
    return tf.image.stateless_random_flip_left_right(image, seed=seed + [0, 1]) if flip else image


def _scale(image):
    return tf.cast(image, tf.float32) / 127.5 - 1.0


def training_batches(images_a, images_b, image_size, batch_size, seed=0, flip=True):
    """Batches ``(a (batch, S, S, C), b (batch, S, S, C))`` in [-1, 1] for ``fit``, one epoch =
    ``max(len(a), len(b)) // batch_size`` batches (the official ``dataset_unpair``).

    Args:
        images_a, images_b: uint8 ``(N, L, L, C)`` arrays (``L >= image_size``).
    """
    load_size = images_a.shape[1]
    if min(load_size, images_b.shape[1]) < image_size:
        raise DataError(f"images of {min(load_size, images_b.shape[1])} px cannot be cropped to {image_size}")
    if max(len(images_a), len(images_b)) < batch_size:
        raise DataError(f"{max(len(images_a), len(images_b))} images per domain do not fill one batch of {batch_size}")
    # Variables, not constants: the image arrays stay out of the serialized dataset graph.
    store_a, store_b = tf.Variable(images_a, trainable=False), tf.Variable(images_b, trainable=False)
    a_is_larger = len(images_a) >= len(images_b)
    larger, smaller = (len(images_a), len(images_b)) if a_is_larger else (len(images_b), len(images_a))
    walk = tf.data.Dataset.range(larger).shuffle(larger, seed=seed, reshuffle_each_iteration=True)
    draws = tf.data.Dataset.random(seed=seed + 1, rerandomize_each_iteration=True).map(lambda r: tf.math.floormod(r, smaller))
    jitter = tf.data.Dataset.random(seed=seed + 2, rerandomize_each_iteration=True)

    def example(walk_index, draw_index, jitter_seed):
        index_a, index_b = (walk_index, draw_index) if a_is_larger else (draw_index, walk_index)
        # Each domain its own crop and flip, as the two independent official transforms.
        image_a = _random_crop_flip(tf.gather(store_a, index_a), image_size, tf.stack([jitter_seed, 0]), flip)
        image_b = _random_crop_flip(tf.gather(store_b, index_b), image_size, tf.stack([jitter_seed, 2]), flip)
        return _scale(image_a), _scale(image_b)

    dataset = tf.data.Dataset.zip(walk, draws, jitter)
    dataset = dataset.map(example, num_parallel_calls=AUTOTUNE)
    return dataset.batch(batch_size, drop_remainder=True).prefetch(AUTOTUNE)


def center_crop(images, image_size):
    """uint8 ``(N, L, L, C)`` -> float32 ``(N, S, S, C)`` in [-1, 1]: the official test transform."""
    top = (images.shape[1] - image_size) // 2
    left = (images.shape[2] - image_size) // 2
    return images[:, top:top + image_size, left:left + image_size].astype(np.float32) / 127.5 - 1.0


def load_domains(config, data_dir=None, split="train", limit=None):
    """``(images_a, images_b)`` uint8 at ``config.load_size``: from ``data_dir`` when given (a
    folder tree), else from tfds for the Yosemite task; other datasets need ``data_dir``."""
    if data_dir is not None:
        return folder_domains(data_dir, config.load_size, split, limit)
    if config.dataset == "yosemite":
        return tfds_domains(YOSEMITE, config.load_size, split, limit=limit)
    raise DataError(f"{config.name or config.dataset} trains on unpaired images: pass --data-dir, a folder "
                    f"with trainA/ and trainB/ (e.g. ../shared/data/{config.dataset})")


def training_data(config, data_dir=None, limit=None):
    """``(batched dataset of (images_a, images_b), examples per epoch)`` for ``fit``."""
    images_a, images_b = load_domains(config, data_dir, "train", limit)
    dataset = training_batches(images_a, images_b, config.image_size, config.batch_size, seed=config.seed)
    return dataset, max(len(images_a), len(images_b))


class UnpairedTask:
    """How ``fit.py`` feeds the DRIT family: unpaired batches ``(images_a, images_b)``, and as
    grid rows the first test images (training images without a test split) of the source domain."""

    grid_rows = 4

    def training_data(self, config, data_dir=None, limit=None):
        return training_data(config, data_dir, limit)

    def grid_conditions(self, config, data_dir=None):
        split = "test" if data_dir is None or (Path(data_dir) / "testA").is_dir() else "train"
        images_a, images_b = load_domains(config, data_dir, split, limit=self.grid_rows)
        return center_crop(images_a if config.direction == "a2b" else images_b, config.image_size)
