"""NDB / JSD: the reference algorithm's behaviour on distributions whose answer is known."""
import numpy as np
import pytest

from zoo.metrics import ndb_jsd
from zoo.metrics.ndb import (fit_bins, jensen_shannon_divergence, load_bins, plot_bin_centers, plot_bin_proportions,
                             ranked_bins, two_proportions_z_test)

K = 8


def mixture(count, seed, modes=None, shift=0.0):
    """Samples of K well-separated 16-D blobs (optionally only some modes, or shifted)."""
    rng = np.random.default_rng(seed)
    centers = np.random.default_rng(99).uniform(-5, 5, (K, 16))
    modes = np.arange(K) if modes is None else np.asarray(modes)
    labels = rng.choice(modes, count)
    return centers[labels] + shift + 0.3 * rng.standard_normal((count, 16))


def test_same_distribution_gives_no_different_bins():
    result = ndb_jsd(mixture(2000, 0), mixture(1000, 1), k=K, seed=0)
    assert result["ndb"] == 0 and result["ndb_ratio"] == 0
    assert result["jsd"] < 0.01
    assert result["train_proportions"].shape == result["generated_proportions"].shape == (K,)
    np.testing.assert_allclose(result["train_proportions"].sum(), 1.0)
    assert (np.diff(result["train_proportions"]) <= 0).all()  # bins sorted by size


def test_disjoint_distribution_gives_ndb_near_k_and_large_jsd():
    result = ndb_jsd(mixture(2000, 0), mixture(1000, 1, shift=100.0), k=K, seed=0)
    # Everything lands in the one bin nearest the far-away cloud: all K bins differ.
    assert result["ndb"] == K and result["ndb_ratio"] == 1.0
    assert result["jsd"] > 0.5 * np.log(2)


def test_mode_collapse_is_counted_per_missing_mode():
    bins = fit_bins(mixture(4000, 0), k=K, seed=0)
    collapsed = bins.evaluate(mixture(2000, 1, modes=[0, 1]))
    full = bins.evaluate(mixture(2000, 2))
    assert collapsed["ndb"] == K  # 6 empty bins + 2 over-full ones
    assert full["ndb"] == 0
    assert collapsed["jsd"] > 10 * full["jsd"]


def test_deterministic_with_a_seed_and_cacheable(tmp_path):
    train, generated = mixture(1500, 0), mixture(500, 3, modes=[0, 1, 2, 3, 4])
    first = fit_bins(train, k=K, seed=5)
    second = fit_bins(train, k=K, seed=5)
    np.testing.assert_array_equal(first.centers, second.centers)
    path = tmp_path / "bins.npz"
    first.save(path)
    cached = load_bins(path)
    a, b = first.evaluate(generated), cached.evaluate(generated)
    assert a["ndb"] == b["ndb"] and a["jsd"] == b["jsd"]
    np.testing.assert_array_equal(a["generated_proportions"], b["generated_proportions"])


def test_high_dimensional_samples_use_a_sixth_of_the_dimensions():
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (60, 16, 16, 6))  # 1,536 values > 1,000
    bins = fit_bins(images, k=4, seed=0, n_init=1)
    assert len(bins.used_dims) == 1536 // 6 and bins.centers.shape == (4, 1536)
    assert len(np.unique(bins.used_dims)) == len(bins.used_dims)
    small = fit_bins(rng.uniform(-1, 1, (60, 4, 4, 3)), k=4, seed=0, n_init=1)
    assert len(small.used_dims) == 48


def test_assignment_is_nearest_centre():
    bins = fit_bins(mixture(1000, 0), k=K, seed=0)
    queries = mixture(50, 4)
    distances = ((queries[:, None, :] - bins.centers[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(bins.assign(queries), distances.argmin(1))


def test_z_test_and_jsd_closed_forms():
    # p1 = 0.5 of 100 vs p2 = 0.3 of 100: pooled 0.4, z = 0.2 / sqrt(0.24 * 0.02) = 2.887, p = 0.0039.
    assert two_proportions_z_test([0.5], 100, [0.3], 100, 0.05)[0]
    assert not two_proportions_z_test([0.5], 100, [0.45], 100, 0.05)[0]
    assert not two_proportions_z_test([0.0], 100, [0.0], 100, 0.05)[0]  # empty in both
    assert jensen_shannon_divergence([1, 0], [0, 1]) == pytest.approx(np.log(2))
    assert jensen_shannon_divergence([0.25, 0.75], [0.25, 0.75]) == 0


def test_bad_inputs():
    with pytest.raises(ValueError, match="K=50"):
        fit_bins(mixture(20, 0), k=50)
    with pytest.raises(ValueError, match="n_init .* must be >= 1"):
        fit_bins(mixture(200, 0), k=K, n_init=0)
    bins = fit_bins(mixture(200, 0), k=K)
    with pytest.raises(ValueError, match="fitted on 16"):
        bins.evaluate(np.zeros((5, 12)))
    with pytest.raises(FileNotFoundError, match="bins not found"):
        load_bins("/nonexistent/bins.npz")


def test_plot_is_written(tmp_path):
    from PIL import Image

    bins = fit_bins(mixture(1000, 0), k=K, seed=0)
    results = [bins.evaluate(mixture(300, 1)), bins.evaluate(mixture(300, 2, modes=[0]))]
    path = plot_bin_proportions(results, tmp_path / "ndb.png", title="test", labels=["ms", "baseline"])
    with Image.open(path) as image:
        assert image.size[0] > K * 3 and image.size[1] == 300
        assert len(image.getcolors(100_000)) > 3  # bars in several colours, not a blank canvas


def test_whitening_uses_the_training_statistics():
    scale = np.r_[np.full(8, 1000.0), np.ones(8)]  # half the dimensions would dominate L2 unwhitened
    train, same = mixture(2000, 0) * scale, mixture(1000, 1) * scale
    bins = fit_bins(train, k=K, seed=0, whitening=True)
    np.testing.assert_allclose(bins.mean, train.mean(0))
    np.testing.assert_allclose(bins.std, train.std(0) + 1e-6)
    assert bins.evaluate(same)["ndb"] == 0


@pytest.mark.parametrize("seed", [0, 1])
def test_kmeans_labels_is_scikit_learns_kmeans_with_restarts(seed):
    # The restart-by-restart K-means behind fit_bins must give scikit-learn's partition
    # (KMeans(n_init=10, random_state=seed)), only faster: same init stream, same best restart.
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    from zoo.metrics.ndb import kmeans_labels

    rng = np.random.default_rng(seed)
    centres = rng.uniform(-1, 1, (8, 60))
    x = (centres[rng.integers(0, 8, 400)] + 0.7 * rng.standard_normal((400, 60))).astype(np.float32)
    reference = KMeans(10, n_init=10, max_iter=100, random_state=seed).fit(x).labels_
    ours = kmeans_labels(x, 10, seed=seed, n_init=10)
    assert ours.shape == (400,) and ours.dtype == np.int64
    assert adjusted_rand_score(reference, ours) == 1.0


def dark_and_bright(count, seed, bright_fraction):
    """8x8x1 images in [-1, 1]: dark ones near -0.8, bright ones near +0.8, a little noise."""
    rng = np.random.default_rng(seed)
    bright = rng.random(count) < bright_fraction
    base = np.where(bright, 0.8, -0.8)[:, None, None, None]
    return np.clip(base + 0.05 * rng.standard_normal((count, 8, 8, 1)), -1, 1)


def test_ranked_bins_and_the_centre_picture_show_what_a_model_overfills(tmp_path):
    from PIL import Image

    bins = fit_bins(dark_and_bright(1000, 0, 0.5), k=2, seed=0)
    bright_bin = int(np.argmax(bins.centers.mean(axis=1)))
    result = bins.evaluate(dark_and_bright(400, 1, 0.95))  # far too many bright images
    over, under = ranked_bins(result, top=4)
    assert over.tolist() == [bright_bin] and under.tolist() == [1 - bright_bin]
    # A model that fills the bins like the training set has nothing to show.
    fair = bins.evaluate(dark_and_bright(400, 2, 0.5))
    assert [len(side) for side in ranked_bins(fair)] == [0, 0]

    scale = 4
    path = plot_bin_centers(bins, [result, fair], tmp_path / "centers.png", (8, 8, 1), title="test",
                            labels=["skewed", "fair"], top=4, scale=scale)
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("L"))
    # First row, first thumbnail = the bright centre; first thumbnail after the gap = the dark one.
    y, x_over = 20 + 14 + scale * 4, 4 + scale * 4
    x_under = 4 + 4 * (max(8 * scale, 84) + 4) + 24 + scale * 4
    assert pixels[y, x_over] > 200 and pixels[y, x_under] < 40
    with pytest.raises(ValueError, match="image_shape"):
        plot_bin_centers(bins, result, tmp_path / "bad.png", (4, 4, 1))
