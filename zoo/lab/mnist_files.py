"""MNIST's IDX files: read and write them, and load the test set the lab has offline.

Only the MNIST *test* set is here (``../shared/data/mnist/``: ``t10k-images-idx3-ubyte.gz`` and
``t10k-labels-idx1-ubyte.gz``); :func:`zoo.lab.stacked_mnist.split_mnist` splits it.
"""
import gzip
from pathlib import Path

import numpy as np

IMAGES_FILE = "t10k-images-idx3-ubyte.gz"
LABELS_FILE = "t10k-labels-idx1-ubyte.gz"
# IDX type codes (LeCun's format description): the third byte of the magic number.
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """Read an IDX file (MNIST's format), gzipped (``.gz``) or raw, into a numpy array.

    Returns:
        The array with the file's shape (``(N, 28, 28)`` uint8 for images, ``(N,)`` uint8
        for labels), in native byte order.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file not found: {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number {data[:4].hex()})")
    dtype, ndim = np.dtype(_IDX_DTYPES[data[2]]), data[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(data) != expected:
        raise ValueError(f"{path}: header says shape {shape} ({expected} bytes) but the file has {len(data)} bytes")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path, array):
    """Write a uint8 array as an IDX file (gzipped if ``path`` ends in ``.gz``); for tests and tools."""
    array = np.asarray(array)
    if array.dtype != np.uint8:
        raise ValueError(f"write_idx writes uint8 arrays, got {array.dtype}")
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header + array.tobytes())


def load_mnist(mnist_dir):
    """``(images (N, 28, 28) uint8, labels (N,) uint8)`` from the two t10k IDX files in ``mnist_dir``."""
    mnist_dir = Path(mnist_dir)
    missing = [name for name in (IMAGES_FILE, LABELS_FILE) if not (mnist_dir / name).is_file()]
    if missing:
        raise FileNotFoundError(f"MNIST not found: {mnist_dir} lacks {', '.join(missing)} "
                                f"(expected the IDX files of ../shared/data/mnist/)")
    images, labels = read_idx(mnist_dir / IMAGES_FILE), read_idx(mnist_dir / LABELS_FILE)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"MNIST files disagree: images {images.shape}, labels {labels.shape}")
    if labels.max() > 9:
        raise ValueError(f"MNIST labels must be 0..9, found {labels.max()}")
    return images, labels
