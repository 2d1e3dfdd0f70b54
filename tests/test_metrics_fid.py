"""FID / KID against closed forms and direct references; the Inception-graph loader on a tiny
frozen graph with the real graph's tensor names (the real one needs a download)."""
import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import linalg

from zoo.metrics import InceptionGraph, KerasFeatures, feature_statistics, fid_from_features, frechet_distance, kid
from zoo.metrics.fid import inception_graph_path, polynomial_mmd2_unbiased


def random_features(n, d, seed, shift=0.0, scale=1.0):
    # One fixed correlated Gaussian per d; seed only draws the samples.
    mixing = np.random.default_rng(1234).standard_normal((d, d)) / np.sqrt(d)
    return shift + scale * np.random.default_rng(seed).standard_normal((n, d)) @ mixing


def reference_fid(x, y):
    """Direct NumPy/SciPy Fréchet distance: Tr(sqrt(S1 S2)) from the eigenvalues of S1 S2."""
    mu1, mu2 = x.mean(0), y.mean(0)
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    root = linalg.sqrtm(s1)
    tr_covmean = np.trace(linalg.sqrtm(root @ s2 @ root)).real  # symmetric form, same trace
    return np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * tr_covmean


def test_frechet_distance_matches_a_direct_reference():
    x, y = random_features(500, 16, 0), random_features(400, 16, 1, shift=0.3, scale=1.5)
    assert fid_from_features(x, y) == pytest.approx(reference_fid(x, y), rel=1e-6)
    assert fid_from_features(x, y) == pytest.approx(fid_from_features(y, x), rel=1e-6)


def test_frechet_distance_closed_form_for_diagonal_gaussians():
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    var1, var2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 1.0])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(var1) - np.sqrt(var2)) ** 2)
    assert frechet_distance(mu1, np.diag(var1), mu2, np.diag(var2)) == pytest.approx(expected)


def test_identical_sets_give_zero():
    x = random_features(300, 8, 2)
    assert abs(fid_from_features(x, x)) < 1e-8


def test_singular_covariances_are_handled():
    # Fewer samples than dimensions: rank-deficient covariances, as TTUR meets with small sets.
    x, y = random_features(10, 32, 3), random_features(10, 32, 4)
    with pytest.warns(UserWarning, match="singular") if _needs_eps(x, y) else _no_warning():
        value = fid_from_features(x, y)
    assert np.isfinite(value) and value > 0
    zero = np.zeros((4, 4))
    assert frechet_distance(np.zeros(4), zero, np.ones(4), zero) == pytest.approx(4.0, abs=1e-4)


def _needs_eps(x, y):
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    with np.errstate(all="ignore"):
        try:
            return not np.isfinite(linalg.sqrtm(s1 @ s2)).all()
        except Exception:
            return True


class _no_warning:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_frechet_distance_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="different shapes"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))
    with pytest.raises(ValueError, match="n >= 2"):
        feature_statistics(np.zeros((1, 3)))


def test_unbiased_mmd_matches_the_direct_double_sum():
    x, y = random_features(12, 5, 5), random_features(9, 5, 6, shift=0.5)
    k = lambda a, b: (a @ b / 5 + 1) ** 3  # noqa: E731
    xx = sum(k(x[i], x[j]) for i in range(12) for j in range(12) if i != j) / (12 * 11)
    yy = sum(k(y[i], y[j]) for i in range(9) for j in range(9) if i != j) / (9 * 8)
    xy = sum(k(x[i], y[j]) for i in range(12) for j in range(9)) / (12 * 9)
    assert polynomial_mmd2_unbiased(x, y) == pytest.approx(xx + yy - 2 * xy)


def test_kid_is_unbiased_on_identical_distributions():
    estimates = [polynomial_mmd2_unbiased(random_features(50, 8, 2 * s, scale=2.0),
                                          random_features(50, 8, 2 * s + 1, scale=2.0)) for s in range(200)]
    # Unbiased: the mean over independent draws is 0 within its standard error (a biased
    # estimator with the diagonals kept would sit several standard errors above 0).
    assert abs(np.mean(estimates)) < 3 * np.std(estimates) / np.sqrt(len(estimates))
    mean, std = kid(random_features(400, 8, 0), random_features(400, 8, 1), num_subsets=20, subset_size=100)
    far_mean, _ = kid(random_features(400, 8, 0), random_features(400, 8, 1, shift=1.0), num_subsets=20, subset_size=100)
    assert abs(mean) < 3 * std and far_mean > 10 * abs(mean) + std


def test_kid_is_seeded_and_checks_shapes():
    x, y = random_features(100, 4, 0), random_features(80, 4, 1)
    assert kid(x, y, num_subsets=5, subset_size=50, seed=3) == kid(x, y, num_subsets=5, subset_size=50, seed=3)
    with pytest.raises(ValueError, match="same d"):
        kid(x, np.zeros((10, 3)))


def test_keras_features_from_a_named_layer():
    inputs = keras.Input((8, 8, 1))
    hidden = keras.layers.Dense(4, name="features")(keras.layers.Flatten()(inputs))
    model = keras.Model(inputs, keras.layers.Dense(2)(hidden))
    extractor = KerasFeatures(model, layer="features", batch_size=3)
    images = np.random.default_rng(0).integers(0, 256, (7, 8, 8, 1), dtype=np.uint8)
    expected = keras.Model(inputs, hidden).predict(images.astype(np.float32) / 127.5 - 1, verbose=0)
    np.testing.assert_allclose(extractor(images), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="expects images of shape"):
        extractor(np.zeros((2, 4, 4, 1), np.uint8))


def write_fake_inception_graph(path, width=6):
    """A frozen graph with the real one's names: ``ExpandDims`` (batch 1, as in the real graph) -> ``pool_3``."""
    graph = tf.Graph()
    with graph.as_default():
        images = tf.compat.v1.placeholder(tf.float32, [1, None, None, 3], name="ExpandDims")
        pooled = tf.reduce_mean(images, axis=[1, 2])
        weights = tf.constant(np.arange(3 * width, dtype=np.float32).reshape(3, width) / 10)
        tf.reshape(tf.matmul(pooled, weights), [-1, 1, 1, width], name="pool_3")
    path.write_bytes(graph.as_graph_def().SerializeToString())
    return np.arange(3 * width, dtype=np.float32).reshape(3, width) / 10


def test_inception_graph_loader_batches_a_frozen_graph(tmp_path):
    weights = write_fake_inception_graph(tmp_path / "classify_image_graph_def.pb")
    extractor = InceptionGraph(tmp_path / "classify_image_graph_def.pb", batch_size=4)
    images = np.random.default_rng(0).integers(0, 256, (10, 5, 7, 3), dtype=np.uint8)
    expected = images.astype(np.float64).mean(axis=(1, 2)) @ weights
    np.testing.assert_allclose(extractor(images), expected, rtol=1e-5)
    gray = images[..., :1]
    np.testing.assert_allclose(extractor(gray), np.repeat(gray, 3, -1).astype(np.float64).mean((1, 2)) @ weights, rtol=1e-5)
    with pytest.raises(ValueError, match="uint8"):
        extractor(images.astype(np.float32))


def test_inception_graph_errors_say_how_to_get_it(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="inception-2015-12-05.tgz"):
        InceptionGraph(tmp_path / "missing.pb")
    (tmp_path / "garbage.pb").write_bytes(b"not a graph")
    with pytest.raises(ValueError, match="frozen GraphDef|does not have"):
        InceptionGraph(tmp_path / "garbage.pb")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    with pytest.raises(FileNotFoundError, match="--inception-graph"):
        inception_graph_path(download=False)


def test_digit_classifier_script_writes_a_feature_model_and_card(tmp_path):
    from zoo.training.train_digit_classifier import FEATURE_LAYER, MODEL_FILE, main

    accuracy = main(["--out", str(tmp_path), "--epochs", "2", "--feature-dim", "16"])
    assert 0.1 < accuracy <= 1.0
    card = (tmp_path / "README.md").read_text()
    assert f"{accuracy:.4f}" in card and "held-out" in card
    extractor = KerasFeatures(tmp_path / MODEL_FILE, layer=FEATURE_LAYER)
    digits = np.random.default_rng(0).integers(0, 256, (5, 8, 8, 1), dtype=np.uint8)
    assert extractor(digits).shape == (5, 16)
