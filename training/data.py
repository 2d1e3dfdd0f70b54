"""tf.data pipelines for the label task: ``(one_hot (classes,), image (H, W, C) in [-1, 1])``.

* ``digits``: scikit-learn's bundled ``load_digits`` (1,797 real 8x8 digits), works offline.
* ``cifar10``: ``tfds.load("cifar10")`` (online), or any labelled image-folder tree
  (``<root>/train/<class>/*.jpg``) given as ``data_dir``.
"""
from pathlib import Path

import numpy as np
import tensorflow as tf

AUTOTUNE = tf.data.AUTOTUNE
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif"}


class DataError(ValueError):
    """A dataset that cannot be used as given (missing, empty, malformed)."""


def digits_arrays():
    """All 1,797 scikit-learn digits: images ``(N, 8, 8, 1)`` float32 in [-1, 1], labels ``(N,)``.

    The raw pixels are integers 0..16.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = (digits.images.astype(np.float32) / 8.0 - 1.0)[..., None]
    return images, digits.target.astype(np.int64)


def scale_image(image):
    """uint8 [0, 255] -> float32 [-1, 1]."""
    return tf.cast(image, tf.float32) / 127.5 - 1.0


def list_image_folder(root):
    """Files and labels of a ``root/<class>/<image>`` tree; classes in sorted name order.

    Returns ``(paths, labels, class_names)``. Raises :class:`DataError` naming the path for a
    missing root, a root without class folders, or a class folder without images.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"data directory not found: {root}")
    class_dirs = sorted(p for p in root.iterdir() if p.is_dir())
    if not class_dirs:
        raise DataError(f"no class folders in {root} (expected {root}/<class>/<image files>)")
    paths, labels = [], []
    for label, class_dir in enumerate(class_dirs):
        files = sorted(str(p) for p in class_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise DataError(f"class folder has no images: {class_dir}")
        paths += files
        labels += [label] * len(files)
    return paths, np.asarray(labels, np.int64), tuple(p.name for p in class_dirs)


def check_image_sizes(paths, expected_size=None):
    """Raise :class:`DataError` naming the first image whose size differs (header read only)."""
    from PIL import Image

    first = None
    for path in paths:
        with Image.open(path) as image:
            size = image.size
        if expected_size is not None and size != (expected_size, expected_size):
            raise DataError(f"{path} is {size[0]}x{size[1]}, expected {expected_size}x{expected_size}")
        if first is None:
            first = (path, size)
        elif size != first[1]:
            raise DataError(f"mixed image sizes: {path} is {size[0]}x{size[1]}, "
                            f"{first[0]} is {first[1][0]}x{first[1][1]}")


def image_folder_dataset(root, channels=3, image_size=None):
    """Unbatched ``(uint8 image, label)`` dataset of an image-folder tree, plus its size and classes."""
    paths, labels, class_names = list_image_folder(root)
    check_image_sizes(paths, image_size)

    def decode(path, label):
        image = tf.io.decode_image(tf.io.read_file(path), channels=channels, expand_animations=False)
        return image, label

    dataset = tf.data.Dataset.from_tensor_slices((paths, labels)).map(decode, num_parallel_calls=AUTOTUNE)
    return dataset, len(paths), class_names


def tfds_dataset(name, split, data_dir=None):
    """Unbatched ``(uint8 image, label)`` from TensorFlow Datasets (downloads when online)."""
    import tensorflow_datasets as tfds

    dataset, info = tfds.load(name, split=split, as_supervised=True, with_info=True, data_dir=data_dir)
    try:
        count = info.splits[split].num_examples
    except KeyError:  # split metadata missing (e.g. tfds.testing.mock_data): count the examples
        count = int(dataset.reduce(0, lambda n, _: n + 1))
    return dataset, count, tuple(info.features["label"].names)


def load_label_data(config, data_dir=None, split="train", limit=None):
    """The unbatched label-task dataset for ``config.dataset``.

    Returns ``(dataset, num_examples, class_names)``; ``dataset`` yields
    ``(one_hot float32 (classes,), image float32 (S, S, C) in [-1, 1])``.
    """
    num_classes = config.num_classes
    if config.dataset == "digits":
        if data_dir is not None:
            raise DataError("the digits dataset ships with scikit-learn: drop --data-dir")
        images, labels = digits_arrays()
        class_names = tuple(config.class_names)
        dataset = tf.data.Dataset.from_tensor_slices((images, labels))
        count = len(images)
        scaled = False
    elif config.dataset == "cifar10":
        if data_dir is None:
            dataset, count, class_names = tfds_dataset("cifar10", split)
        else:
            split_dir = Path(data_dir) / split
            if not split_dir.is_dir():
                raise DataError(f"no '{split}' folder in data directory {data_dir} "
                                f"(expected {split_dir}/<class>/<image files>)")
            dataset, count, class_names = image_folder_dataset(split_dir, config.channels, config.image_size)
            expected = tuple(config.class_names)
            if len(class_names) == num_classes and class_names != expected:
                # Labels are folder positions: other names would silently mislabel every class.
                raise DataError(f"class folders of {split_dir} are {', '.join(class_names)}; "
                                f"{config.name} expects {', '.join(expected)}")
        scaled = True
    else:
        raise DataError(f"no label-task loader for dataset {config.dataset!r}")
    if len(class_names) != num_classes:
        raise DataError(f"{config.dataset}: found {len(class_names)} classes, the model expects {num_classes}")
    if limit is not None:
        dataset = dataset.take(limit)
        count = min(count, limit)

    def to_example(image, label):
        image = scale_image(image) if scaled else tf.cast(image, tf.float32)
        return tf.one_hot(label, num_classes), image

    dataset = dataset.map(to_example, num_parallel_calls=AUTOTUNE)
    return dataset, count, class_names


def training_pipeline(dataset, num_examples, batch_size, seed=0, cache=True):
    """Cache, shuffle, batch (full batches only: both fakes pair with a real batch) and prefetch."""
    if batch_size < 1:
        raise DataError(f"batch size must be >= 1, got {batch_size}")
    if batch_size > num_examples:
        raise DataError(f"batch size {batch_size} is larger than the dataset ({num_examples} examples)")
    if cache:
        dataset = dataset.cache()
    dataset = dataset.shuffle(min(num_examples, 50_000), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size, drop_remainder=True).prefetch(AUTOTUNE)
