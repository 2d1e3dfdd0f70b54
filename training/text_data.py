"""Text -> image data for the StackGAN++ family: CUB birds with char-CNN-RNN embeddings, and the shapes task.

CUB (``msgan_stackgan_cub``): images from ``tensorflow_datasets`` (``caltech_birds2011``, both
of its splits, joined by file name) and the standard precomputed sentence embeddings of
StackGAN (Reed et al.'s char-CNN-RNN, 10 per image) from a folder the user gives, laid out as
StackGAN's ``birds/train/`` (or ``test/``): ``char-CNN-RNN-embeddings.pickle`` (``(N, 10, 1024)``
as one array or a list of ``(10, 1024)`` arrays) and ``filenames.pickle`` (``N`` keys like
``002.Laysan_Albatross/Laysan_Albatross_0002_1027``, in the embeddings' order). Both pickles are
read with an unpickler that builds NumPy arrays, lists and strings only: any other object in
the file is refused (a one-line :class:`zoo.training.data.DataError`).

Preprocessing as the official ``datasets.py``/``main.py``: StackGAN's bounding-box crop (a square
of 1.5x the box's longer side around its centre, clipped to the image), resize of the shorter
side to ``76/64`` of the image size, random crop, random horizontal flip, pixels to [-1, 1];
one of the image's 10 embeddings drawn at random every time the image is used.

Shapes (``msgan_stackgan_shapes``): :mod:`zoo.training.shapes_data`, captions as token ids.
"""
import codecs
import io
import pickle
from pathlib import Path

import numpy as np
import tensorflow as tf

from zoo.training.data import DataError, training_pipeline
from zoo.training.shapes_data import make_shapes
from zoo.stackgan.text import CaptionTokenizer, caption_split

try:  # NumPy 2 moved it; pickles name the old place, which we map by hand
    from numpy._core import multiarray as _MULTIARRAY
except ImportError:  # NumPy 1
    from numpy.core import multiarray as _MULTIARRAY

EMBEDDINGS_FILE = "char-CNN-RNN-embeddings.pickle"
FILENAMES_FILE = "filenames.pickle"
SHAPES_EXAMPLES = 10_000
GRID_ROWS = 8
_SAFE_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("_codecs", "encode"),  # how protocol-2 pickles written by Python 3 store bytes
}


class _ArrayUnpickler(pickle.Unpickler):
    """Builds NumPy arrays, lists, tuples, dicts, numbers and strings; refuses every other global."""

    def find_class(self, module, name):
        if (module, name) not in _SAFE_GLOBALS:
            raise pickle.UnpicklingError(f"refused global {module}.{name}")
        if module == "_codecs":
            return codecs.encode
        return {"ndarray": np.ndarray, "dtype": np.dtype}.get(name) or getattr(_MULTIARRAY, name)


def read_pickle(path):
    """A StackGAN pickle (Python 2 or 3) of arrays/lists/strings; :class:`DataError` otherwise."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"file not found: {path}")
    try:
        return _ArrayUnpickler(io.BytesIO(path.read_bytes()), encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError) as error:
        raise DataError(f"{path}: not a pickle of arrays and strings ({error})") from None


def read_embeddings(folder):
    """``(keys, embeddings)``: N StackGAN file keys and float32 ``(N, E, D)`` sentence embeddings."""
    folder = Path(folder)
    raw = read_pickle(folder / EMBEDDINGS_FILE)
    try:
        embeddings = np.asarray(raw if isinstance(raw, np.ndarray) else np.stack(raw), dtype=np.float32)
    except (ValueError, TypeError):
        raise DataError(f"{folder / EMBEDDINGS_FILE}: expected (N, 10, D) arrays") from None
    if embeddings.ndim != 3 or not np.isfinite(embeddings).all():
        raise DataError(f"{folder / EMBEDDINGS_FILE}: expected finite (N, embeddings per image, D), "
                        f"got shape {embeddings.shape}")
    names = read_pickle(folder / FILENAMES_FILE)
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, (str, bytes)) for n in names):
        raise DataError(f"{folder / FILENAMES_FILE}: expected a list of file keys")
    keys = [n.decode() if isinstance(n, bytes) else n for n in names]
    if len(keys) != len(embeddings):
        raise DataError(f"{folder}: {len(keys)} file names but {len(embeddings)} embedding sets")
    return keys, embeddings


def file_key(filename):
    """tfds' ``image/filename`` (``CUB_200_2011/images/001.X/X_0001_796111.jpg``) -> StackGAN's key
    (``001.X/X_0001_796111``), as a string tensor."""
    tail = tf.strings.reduce_join(tf.strings.split(filename, "/")[-2:], separator="/")
    return tf.strings.regex_replace(tail, r"\.[^./]*$", "")


def crop_box(bbox, height, width):
    """StackGAN's crop (official ``get_imgs``) from a tfds box ``[ymin, xmin, ymax, xmax]`` (fractions):
    ``(y1, x1, y2, x2)`` int32 pixels of a square of side ``2r``, ``r = int(0.75 * max(w, h))``,
    around the box's centre, clipped to the image."""
    h_f, w_f = tf.cast(height, tf.float32), tf.cast(width, tf.float32)
    ymin, ymax = tf.minimum(bbox[0], bbox[2]), tf.maximum(bbox[0], bbox[2])
    xmin, xmax = tf.minimum(bbox[1], bbox[3]), tf.maximum(bbox[1], bbox[3])
    x, y = tf.round(xmin * w_f), tf.round(ymin * h_f)  # the integer pixel box of bounding_boxes.txt
    w, h = tf.round((xmax - xmin) * w_f), tf.round((ymax - ymin) * h_f)
    r = tf.floor(tf.maximum(w, h) * 0.75)
    cx, cy = tf.floor((2 * x + w) / 2), tf.floor((2 * y + h) / 2)
    y1, y2 = tf.maximum(0.0, cy - r), tf.minimum(h_f, cy + r)
    x1, x2 = tf.maximum(0.0, cx - r), tf.minimum(w_f, cx + r)
    return [tf.cast(v, tf.int32) for v in (y1, x1, y2, x2)]


def cub_image(image, bbox, image_size, seed=None):
    """Crop, resize the shorter side to ``image_size * 76 / 64``, random crop, flip; float32 in [-1, 1]."""
    y1, x1, y2, x2 = crop_box(bbox, tf.shape(image)[0], tf.shape(image)[1])
    image = image[y1:tf.maximum(y2, y1 + 1), x1:tf.maximum(x2, x1 + 1)]
    load = int(image_size * 76 / 64)
    shape = tf.cast(tf.shape(image)[:2], tf.float32)
    scale = load / tf.reduce_min(shape)
    target = tf.cast(tf.math.ceil(shape * scale - 1e-3), tf.int32)
    image = tf.image.resize(tf.cast(image, tf.float32), tf.maximum(target, load), "bilinear", antialias=True)
    image = tf.image.random_crop(image, (image_size, image_size, 3), seed=seed)
    image = tf.image.random_flip_left_right(image, seed=seed)
    return tf.clip_by_value(image, 0.0, 255.0) / 127.5 - 1.0


def cub_dataset(embeddings_dir, image_size=256, seed=0, tfds_dir=None, limit=None):
    """``(dataset, count)``: unbatched ``(embedding (D,), image (S, S, 3) in [-1, 1])`` pairs.

    Args:
        embeddings_dir: a StackGAN split folder (``birds/train``) with the two pickles.
        tfds_dir: ``tensorflow_datasets`` data directory (default: tfds' own).
        limit: keep only the first ``limit`` images found in both sources.
    """
    import tensorflow_datasets as tfds

    keys, embeddings = read_embeddings(embeddings_dir)
    index = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(tf.constant(keys), tf.range(len(keys), dtype=tf.int64)), -1)
    try:
        birds = tfds.load("caltech_birds2011", split="train+test", data_dir=tfds_dir, shuffle_files=False)
    except Exception as error:  # tfds raises many types when the data is neither here nor downloadable
        raise DataError(f"caltech_birds2011 images unavailable through tensorflow_datasets: "
                        f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}") from None
    birds = birds.map(lambda ex: (index.lookup(file_key(ex["image/filename"])), ex["image"], ex["bbox"]))
    birds = birds.filter(lambda i, image, bbox: i >= 0)
    count = sum(1 for _ in birds.map(lambda i, image, bbox: i))
    if limit is not None:
        birds, count = birds.take(limit), min(count, limit)
    if count == 0:
        raise DataError(f"no caltech_birds2011 image matches a file name of {Path(embeddings_dir) / FILENAMES_FILE}")
    table = tf.constant(embeddings)
    per_image = embeddings.shape[1]

    def pair(i, image, bbox):
        pick = tf.random.uniform((), 0, per_image, dtype=tf.int64, seed=seed)
        return tf.gather(table[i], pick), cub_image(image, bbox, image_size, seed)

    return birds.map(pair, num_parallel_calls=tf.data.AUTOTUNE), count


class TextTask:
    """How ``fit.py`` feeds a StackGAN++ model: ``(condition, image)`` batches and grid conditions."""

    def training_data(self, config, data_dir=None, limit=None):
        """Shapes: ``SHAPES_EXAMPLES`` (or ``limit``) pictures of the training captions, drawn from
        ``config.seed``, captions as token ids. CUB: :func:`cub_dataset` on ``data_dir``."""
        if config.dataset == "shapes":
            captions, images, _ = make_shapes(limit or SHAPES_EXAMPLES, config.image_size, "train", config.seed)
            ids = CaptionTokenizer(config.vocabulary, config.max_caption_words)([c.text for c in captions], check=False)
            dataset = tf.data.Dataset.from_tensor_slices((ids, images.astype(np.float32) / 127.5 - 1.0))
            return training_pipeline(dataset, len(ids), config.batch_size, seed=config.seed), len(ids)
        if config.dataset == "cub":
            if data_dir is None:
                raise DataError(f"{config.name} trains on CUB: pass --data-dir, StackGAN's birds/train folder "
                                f"with {EMBEDDINGS_FILE} and {FILENAMES_FILE} (images come from tfds caltech_birds2011)")
            dataset, count = cub_dataset(data_dir, config.image_size, config.seed, limit=limit)
            return training_pipeline(dataset, count, config.batch_size, seed=config.seed, cache=False), count
        raise DataError(f"no text data for dataset {config.dataset!r} (known: shapes, cub)")

    def grid_conditions(self, config, data_dir=None):
        """Shapes: token ids of the first held-out captions; CUB: the first embedding of the first images."""
        if config.dataset == "shapes":
            return grid_captions(config)[1]
        _, embeddings = read_embeddings(data_dir)
        return embeddings[:GRID_ROWS, 0]

    def grid_labels(self, config, data_dir=None):
        """The caption of each grid row (shapes), or None (CUB: embeddings carry no text here)."""
        return grid_captions(config)[0] if config.dataset == "shapes" else None


def grid_captions(config, rows=GRID_ROWS):
    """``(texts, token ids)`` of ``rows`` held-out captions spread over the grammar."""
    held_out = caption_split("test")
    texts = [held_out[i * len(held_out) // rows].text for i in range(rows)]
    return texts, CaptionTokenizer(config.vocabulary, config.max_caption_words)(texts, check=False)
