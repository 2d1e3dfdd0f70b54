"""FID and KID: distances between the feature distributions of real and generated images.

* :func:`frechet_distance` is the Fréchet distance of the TTUR code (Heusel et al., NeurIPS 2017,
  ``fid.calculate_frechet_distance``), which the MSGAN paper used:
  ``|mu1 - mu2|^2 + Tr(S1) + Tr(S2) - 2 Tr(sqrtm(S1 S2))``.
* :func:`kid` is the Kernel Inception Distance (Binkowski et al., ICLR 2018): the unbiased MMD^2
  with the cubic polynomial kernel ``k(x, y) = (x.y / d + 1)^3``, averaged over subsets.
* :class:`InceptionGraph` gives the features of the literature's FID: ``pool_3:0`` (2048-d) of the
  frozen Inception graph of 2015-12-05 (``classify_image_graph_def.pb``), which resizes its input
  to 299x299 itself (bilinear). ``keras.applications.InceptionV3`` is a different network, and a
  FID from it is not comparable to published ones.
* :class:`KerasFeatures` turns any Keras model (or one of its layers) into a feature extractor,
  e.g. the shipped digit classifier's penultimate layer ("FID-digits").

Keras and TensorFlow are imported inside the feature extractors only: the distances are NumPy /
SciPy and are used where TensorFlow is never loaded (e.g. on saved features).
"""
import os
import tarfile
import warnings
from pathlib import Path

import numpy as np
from scipy import linalg

INCEPTION_URL = "http://download.tensorflow.org/models/image/imagenet/inception-2015-12-05.tgz"
INCEPTION_GRAPH_FILE = "classify_image_graph_def.pb"
INCEPTION_INPUT = "ExpandDims:0"
INCEPTION_OUTPUT = "pool_3:0"


def feature_statistics(features):
    """Mean ``(d,)`` and covariance ``(d, d)`` (unbiased, as ``np.cov(rowvar=False)``) of ``(n, d)``."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f"features must have shape (n >= 2, d), got {features.shape}")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2), exactly as TTUR computes it.

    Args:
        mu1, mu2: feature means, shape ``(d,)``.
        sigma1, sigma2: feature covariances, shape ``(d, d)``.
        eps: added to both diagonals when ``sqrtm(sigma1 @ sigma2)`` is not finite
            (a singular product, e.g. fewer samples than dimensions), as TTUR does.

    Returns:
        The distance as a float (>= 0 up to rounding; 0 for identical statistics).

    Raises:
        ValueError: mismatched shapes, or an imaginary part of ``sqrtm`` too large to be
            rounding (TTUR's ``atol=1e-3`` on the diagonal).
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape:
        raise ValueError(f"feature means have different shapes: {mu1.shape} vs {mu2.shape}")
    if sigma1.shape != sigma2.shape or sigma1.shape != (len(mu1), len(mu1)):
        raise ValueError(f"covariances must both be ({len(mu1)}, {len(mu1)}), got {sigma1.shape} and {sigma2.shape}")
    diff = mu1 - mu2
    covmean = _sqrtm(sigma1 @ sigma2)
    if not np.isfinite(covmean).all():
        warnings.warn(f"FID: singular product of covariances; adding {eps} to their diagonals")
        offset = np.eye(len(mu1)) * eps
        covmean = _sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(covmean):
        # Rounding makes sqrtm of a (theoretically PSD-similar) product slightly complex.
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError(f"FID: sqrtm has an imaginary component of {np.max(np.abs(covmean.imag)):.3g}")
        covmean = covmean.real
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))


def _sqrtm(matrix):
    with warnings.catch_warnings():
        # SciPy >= 1.16 deprecates ``disp``; its result for singular input is what we test for.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            return linalg.sqrtm(matrix)
        except (linalg.LinAlgError, ValueError):
            return np.full_like(matrix, np.nan)


def fid_from_features(real_features, fake_features):
    """FID between two ``(n, d)`` feature sets (any extractor)."""
    return frechet_distance(*feature_statistics(real_features), *feature_statistics(fake_features))


def polynomial_mmd2_unbiased(features1, features2, degree=3, gamma=None, coef0=1.0):
    """Unbiased MMD^2 with ``k(x, y) = (gamma x.y + coef0)^degree`` (gamma defaults to 1/d)."""
    x = np.asarray(features1, np.float64)
    y = np.asarray(features2, np.float64)
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    k_xx = (gamma * x @ x.T + coef0) ** degree
    k_yy = (gamma * y @ y.T + coef0) ** degree
    k_xy = (gamma * x @ y.T + coef0) ** degree
    m, n = len(x), len(y)
    # Dropping the diagonals (k(x, x) terms) is what makes the estimate unbiased.
    xx = (k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
    yy = (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
    return float(xx + yy - 2.0 * k_xy.mean())


def kid(features1, features2, num_subsets=100, subset_size=1000, seed=0):
    """Kernel Inception Distance: unbiased polynomial MMD^2 over random subsets.

    Args:
        features1, features2: ``(n1, d)`` and ``(n2, d)`` features (same extractor).
        num_subsets: how many random subsets to average over (Binkowski et al. use 100).
        subset_size: samples per subset, capped at ``min(n1, n2)``.
        seed: seed of the subset draws.

    Returns:
        ``(mean, std)`` of the per-subset MMD^2 estimates; the mean is ~0 (and may be
        negative) for two samples of one distribution.
    """
    features1 = np.asarray(features1, np.float64)
    features2 = np.asarray(features2, np.float64)
    if features1.ndim != 2 or features2.ndim != 2 or features1.shape[1] != features2.shape[1]:
        raise ValueError(f"KID needs (n, d) features of the same d, got {features1.shape} and {features2.shape}")
    size = min(subset_size, len(features1), len(features2))
    if size < 2:
        raise ValueError(f"KID needs at least 2 samples per set, got {len(features1)} and {len(features2)}")
    rng = np.random.default_rng(seed)
    estimates = [polynomial_mmd2_unbiased(features1[rng.choice(len(features1), size, replace=False)],
                                          features2[rng.choice(len(features2), size, replace=False)])
                 for _ in range(num_subsets)]
    return float(np.mean(estimates)), float(np.std(estimates))


class KerasFeatures:
    """Batched features of a Keras model (or of one of its layers) in a ``tf.function``.

    Args:
        model: a ``keras.Model``, or a path to a ``.keras`` file.
        layer: name of the layer whose output is the feature (default: the model's output).
        name: how the protocol line names these features.
        input_range: ``"[-1, 1]"`` if the model expects images in [-1, 1] (then uint8 input is
            rescaled), ``"uint8"`` to feed 0..255 floats.
        batch_size: images per call.
        min_size: smallest height/width accepted when the model takes any size.
    """

    def __init__(self, model, layer=None, name=None, input_range="[-1, 1]", batch_size=256, min_size=1):
        import keras
        import tensorflow as tf

        if isinstance(model, (str, os.PathLike)):
            if not Path(model).is_file():
                raise FileNotFoundError(f"feature model not found: {model}")
            model = keras.models.load_model(model, compile=False)
        if layer is not None:
            model = keras.Model(model.inputs, model.get_layer(layer).output)
        if input_range not in ("[-1, 1]", "uint8"):
            raise ValueError(f"input_range must be '[-1, 1]' or 'uint8', got {input_range!r}")
        self.model = model
        self.name = name or f"{model.name}" + (f"/{layer}" if layer else "")
        self.input_range = input_range
        self.batch_size = batch_size
        self.input_shape = tuple(model.inputs[0].shape[1:])
        self.min_size = min_size
        self._call = tf.function(lambda x: model(x, training=False), reduce_retracing=True)

    def prepare(self, images):
        images = np.asarray(images)
        fits = images.ndim == len(self.input_shape) + 1 and all(
            want is None or want == got for want, got in zip(self.input_shape, images.shape[1:]))
        if not fits or (images.ndim == 4 and min(images.shape[1:3]) < self.min_size):
            wanted = ", ".join("any" if d is None else str(d) for d in self.input_shape)
            raise ValueError(f"{self.name} expects images of shape (N, {wanted})"
                             + (f" of at least {self.min_size}x{self.min_size}" if self.min_size > 1 else "")
                             + f", got {images.shape}")
        if self.input_range == "[-1, 1]" and images.dtype == np.uint8:
            return images.astype(np.float32) / 127.5 - 1.0
        if self.input_range == "uint8" and images.dtype != np.uint8:
            return (np.asarray(images, np.float32) + 1.0) * 127.5
        return images.astype(np.float32)

    def __call__(self, images, verbose=False):
        """``(N, H, W, C)`` images (uint8, or floats in the model's range) -> ``(N, d)`` features."""
        images = self.prepare(images)
        return _batched(self._call, images, self.batch_size, verbose)


class InceptionGraph:
    """``pool_3:0`` features (2048-d) of the frozen Inception graph of 2015-12-05, as TTUR.

    Input: ``(N, H, W, 3)`` images as uint8 (or floats in [0, 255]); the graph resizes them to
    299x299 itself (bilinear) and normalizes them. Grayscale ``(N, H, W, 1)`` is tiled to RGB.

    Args:
        graph_path: ``classify_image_graph_def.pb``; ``None`` = the Keras cache
            (``~/.keras/models/``), downloaded there on first use when online.
        batch_size: images per call (TTUR uses 50).
    """

    name = "Inception 2015-12-05 pool_3 (TTUR FID)"

    def __init__(self, graph_path=None, batch_size=50):
        import tensorflow as tf

        path = Path(graph_path) if graph_path is not None else inception_graph_path()
        if not path.is_file():
            raise FileNotFoundError(f"Inception graph not found: {path}. {_HOW_TO_GET}")
        graph_def = tf.compat.v1.GraphDef()
        try:
            graph_def.ParseFromString(path.read_bytes())
        except Exception as error:  # protobuf's DecodeError is not importable everywhere
            raise ValueError(f"{path} is not a frozen GraphDef: {error}") from None

        def imported(images):
            # Map the batch-1 ``ExpandDims`` of the graph to a placeholder with a free batch
            # axis: TTUR patches the same static shapes by hand.
            (pool,) = tf.compat.v1.import_graph_def(graph_def, input_map={INCEPTION_INPUT: images},
                                                    return_elements=[INCEPTION_OUTPUT], name="FID_Inception_Net")
            return tf.reshape(pool, [tf.shape(images)[0], -1])

        try:
            self._call = tf.compat.v1.wrap_function(imported, [tf.TensorSpec([None, None, None, 3], tf.float32)])
        except (ValueError, KeyError) as error:
            raise ValueError(f"{path} does not have the tensors {INCEPTION_INPUT} and {INCEPTION_OUTPUT} "
                             f"of classify_image_graph_def.pb: {error}") from None
        self.batch_size = batch_size
        self.graph_path = path

    def __call__(self, images, verbose=False):
        """``(N, H, W, 1 or 3)`` uint8 images -> ``(N, 2048)`` float64 features."""
        images = np.asarray(images)
        if images.ndim != 4 or images.shape[-1] not in (1, 3):
            raise ValueError(f"Inception features need (N, H, W, 1 or 3) images, got {images.shape}")
        if images.dtype != np.uint8:
            raise ValueError(f"Inception features need uint8 images in [0, 255] (as TTUR), got {images.dtype}")
        if images.shape[-1] == 1:
            images = np.repeat(images, 3, axis=-1)
        return _batched(self._call, images.astype(np.float32), self.batch_size, verbose)


_HOW_TO_GET = (f"Download {INCEPTION_URL}, extract {INCEPTION_GRAPH_FILE} and pass its path "
               f"(--inception-graph PATH / InceptionGraph(graph_path=...)), or run once online to cache it.")


def inception_graph_path(download=True):
    """Path of ``classify_image_graph_def.pb`` in the Keras cache, downloading it when missing."""
    import keras

    cache = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models"
    for candidate in (cache / INCEPTION_GRAPH_FILE, *cache.glob(f"inception-2015-12-05*/{INCEPTION_GRAPH_FILE}")):
        if candidate.is_file():
            return candidate
    if not download:
        raise FileNotFoundError(f"Inception graph not in the Keras cache ({cache}). {_HOW_TO_GET}")
    try:
        archive = keras.utils.get_file("inception-2015-12-05.tgz", INCEPTION_URL, cache_subdir="models")
    except Exception as error:  # urllib and Keras raise several types when offline
        raise FileNotFoundError(f"cannot download the Inception graph ({type(error).__name__}: {error}). "
                                f"{_HOW_TO_GET}") from None
    with tarfile.open(archive) as tar:
        member = tar.getmember(INCEPTION_GRAPH_FILE)
        tar.extract(member, cache, filter="data")
    return cache / INCEPTION_GRAPH_FILE


def _batched(call, images, batch_size, verbose):
    import keras

    if len(images) == 0:
        raise ValueError("no images to extract features from")
    progress = keras.utils.Progbar(len(images), unit_name="image") if verbose else None
    outputs = []
    for start in range(0, len(images), batch_size):
        batch = images[start:start + batch_size]
        outputs.append(np.asarray(call(batch), dtype=np.float64).reshape(len(batch), -1))
        if progress:
            progress.add(len(batch))
    return np.concatenate(outputs)
