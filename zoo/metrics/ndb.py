"""NDB and JSD (Richardson & Weiss, *On GANs and GMMs*, NeurIPS 2018), as the MSGAN authors ran
the reference ``ndb.py``:

1. flatten the training samples (optional per-dimension whitening with the training mean and
   std; off by default); above 1,000 dimensions use a fixed random subset of ``d // 6`` of them;
2. scikit-learn K-means (``max_iter=100``) on the training samples only; bin centres = member
   means; bins sorted by size, largest first;
3. assign generated samples to the nearest centre (L2);
4. per bin a pooled two-proportion z-test; a bin is *different* if the two-sided p-value is below
   ``alpha``; NDB = number of different bins (also NDB / K);
5. JSD (natural log, at most ln 2) between the train and generated bin-proportion histograms.

Fit the bins once (:func:`fit_bins`) and score every model against them (:meth:`NDBBins.evaluate`),
or differences between models are K-means noise. :meth:`NDBBins.save` / :func:`load_bins` cache them.

scikit-learn (K-means) and PIL (the plots) are imported where used: scoring cached bins needs
neither, and both are slow imports.
"""
import dataclasses
from pathlib import Path

import numpy as np
from scipy.stats import norm

MAX_FULL_DIMS = 1000
# One K-means run (k-means++ init), scikit-learn's own default since 1.4. The reference ndb.py
# ran scikit-learn's old default of 10 restarts; on real CIFAR-10 images (bench/metrics.py,
# BENCHMARKS.md) the restarts moved NDB by less than changing the seed does, at 10x the cost.
DEFAULT_N_INIT = 1


@dataclasses.dataclass
class NDBBins:
    """K-means bins of a training set.

    Attributes:
        centers: ``(K, d)`` member means (whitened space), largest bin first.
        proportions: ``(K,)`` fraction of training samples per bin (sums to 1).
        used_dims: indices of the dimensions used for K-means and assignment.
        train_size: number of training samples the bins were fitted on.
        mean, std: whitening statistics ``(d,)`` (0 and 1 when whitening is off).
        seed: the seed of the dimension subset and of K-means.
    """

    centers: np.ndarray
    proportions: np.ndarray
    used_dims: np.ndarray
    train_size: int
    mean: np.ndarray
    std: np.ndarray
    seed: int = 0

    @property
    def k(self):
        return len(self.proportions)

    @property
    def dims(self):
        return self.centers.shape[1]

    def assign(self, samples, chunk=2048):
        """Nearest bin ``(n,)`` of each sample, on the used dimensions (L2)."""
        flat = flatten(samples, self.dims)
        centers = self.centers[:, self.used_dims]
        center_norms = (centers ** 2).sum(axis=1)
        labels = np.empty(len(flat), np.int64)
        for start in range(0, len(flat), chunk):
            part = (flat[start:start + chunk] - self.mean) / self.std
            part = part[:, self.used_dims]
            # |x - c|^2 without the |x|^2 term, which does not change the argmin.
            labels[start:start + chunk] = np.argmin(center_norms - 2.0 * part @ centers.T, axis=1)
        return labels

    def proportions_of(self, samples):
        """Fraction of ``samples`` in each bin, ``(K,)``."""
        labels = self.assign(samples)
        return np.bincount(labels, minlength=self.k) / len(labels)

    def evaluate(self, generated, alpha=0.05):
        """NDB, NDB / K and JSD of ``generated`` ``(n, ...)`` against the training bins.

        Returns:
            dict with ``ndb`` (int), ``ndb_ratio``, ``jsd``, ``k``, ``different_bins`` (bool
            ``(K,)``), ``train_proportions`` and ``generated_proportions`` (``(K,)``).
        """
        generated_proportions = self.proportions_of(generated)
        different = two_proportions_z_test(self.proportions, self.train_size,
                                           generated_proportions, len(generated), alpha)
        ndb = int(np.count_nonzero(different))
        return {
            "ndb": ndb,
            "ndb_ratio": ndb / self.k,
            "jsd": jensen_shannon_divergence(self.proportions, generated_proportions),
            "k": self.k,
            "alpha": alpha,
            "different_bins": different,
            "train_proportions": self.proportions,
            "generated_proportions": generated_proportions,
        }

    def save(self, path):
        """Cache the bins as one ``.npz``."""
        np.savez(path, centers=self.centers, proportions=self.proportions, used_dims=self.used_dims,
                 train_size=self.train_size, mean=self.mean, std=self.std, seed=self.seed)


def load_bins(path):
    """Bins written by :meth:`NDBBins.save`."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"NDB bins not found: {path}")
    with np.load(path) as data:
        return NDBBins(centers=data["centers"], proportions=data["proportions"], used_dims=data["used_dims"],
                       train_size=int(data["train_size"]), mean=data["mean"], std=data["std"], seed=int(data["seed"]))


def flatten(samples, dims=None):
    samples = np.asarray(samples)
    flat = samples.reshape(len(samples), -1).astype(np.float64)
    if dims is not None and flat.shape[1] != dims:
        raise ValueError(f"samples have {flat.shape[1]} values each, the bins were fitted on {dims} "
                         f"(shape {samples.shape[1:]})")
    return flat


def fit_bins(train, k=100, seed=0, whitening=False, max_dims=None, n_init=DEFAULT_N_INIT, max_iter=100):
    """K-means bins of ``train`` ``(N, ...)`` (images or features), the reference's way.

    Args:
        train: training samples, any shape ``(N, ...)``; flattened. Use the same value range
            for the generated samples you score.
        k: number of bins (the reference's default is 100).
        seed: seed of the dimension subset and of K-means: same seed, same bins.
        whitening: standardize every dimension with the training mean and std first.
        max_dims: use at most this many random dimensions; default ``d // 6`` when
            ``d > 1000`` (the reference's speed-up), else all.
        n_init: K-means restarts, best inertia kept: 1 (the default, scikit-learn's own) or 10
            (scikit-learn's default when the reference was written: ~10x slower, and on real
            images NDB moved less than with another seed; see BENCHMARKS.md).
        max_iter: K-means iterations per restart (the reference uses 100).

    Returns:
        :class:`NDBBins`.
    """
    flat = flatten(train)
    n, d = flat.shape
    if k < 2 or n < k:
        raise ValueError(f"NDB needs 2 <= K <= number of training samples, got K={k} with {n} samples")
    if n_init < 1:
        raise ValueError(f"n_init (K-means runs) must be >= 1, got {n_init}")
    mean = flat.mean(axis=0) if whitening else np.zeros(d)
    std = flat.std(axis=0) + 1e-6 if whitening else np.ones(d)
    # Without whitening, no copy: 20,000 64x64x3 samples are 2 GB in float64.
    whitened = (flat - mean) / std if whitening else flat
    if max_dims is None and d > MAX_FULL_DIMS:
        max_dims = d // 6
    rng = np.random.default_rng(seed)
    used_dims = np.sort(rng.choice(d, min(d, max_dims or d), replace=False))
    labels = kmeans_labels(whitened[:, used_dims], k, seed=seed, n_init=n_init, max_iter=max_iter)
    counts = np.bincount(labels, minlength=k)
    order = np.argsort(-counts, kind="stable")
    # Member means over all d dimensions as one matrix product (np.add.at is unbuffered: slow).
    membership = np.zeros((k, n))
    membership[labels, np.arange(n)] = 1.0
    centers = (membership @ whitened / np.maximum(counts, 1)[:, None])[order]
    centers[counts[order] == 0] = np.inf  # an empty bin (never from scikit-learn) attracts nothing
    return NDBBins(centers=centers, proportions=counts[order] / n, used_dims=used_dims, train_size=n,
                   mean=mean, std=std, seed=seed)


def kmeans_labels(samples, k, seed=0, n_init=DEFAULT_N_INIT, max_iter=100):
    """Labels of scikit-learn's K-means (k-means++ init, Lloyd), best inertia of ``n_init`` runs.

    The same algorithm as ``KMeans(k, n_init=n_init, max_iter=max_iter, random_state=seed)``
    (the init of every restart drawn from one ``RandomState(seed)``, as scikit-learn does), run
    restart by restart so that each part gets the dtype it is fast in: k-means++ on float64
    (on float32 input scikit-learn recomputes norms and upcasts every distance chunk, which made
    the init 95% of the cost of NDB's bins) and Lloyd on float32.

    Args:
        samples: ``(n, d)`` array.
        k, seed, n_init, max_iter: as scikit-learn's ``KMeans``.

    Returns:
        ``(n,)`` int labels in ``[0, k)``.
    """
    from sklearn.cluster import KMeans, kmeans_plusplus
    from sklearn.utils import check_random_state

    samples32 = np.ascontiguousarray(samples, dtype=np.float32)
    # scikit-learn centres the data before clustering (for precision); the clustering is the same.
    centred = samples32.astype(np.float64)
    centred -= centred.mean(axis=0)
    norms = np.einsum("ij,ij->i", centred, centred)
    random_state = check_random_state(seed)
    best_labels, best_inertia = None, np.inf
    for _ in range(n_init):
        init, _ = kmeans_plusplus(centred, k, x_squared_norms=norms, random_state=random_state)
        init = init.astype(np.float32) + samples32.mean(axis=0)
        kmeans = KMeans(n_clusters=k, init=init, n_init=1, max_iter=max_iter).fit(samples32)
        if kmeans.inertia_ < best_inertia:
            best_labels, best_inertia = kmeans.labels_, kmeans.inertia_
    return best_labels.astype(np.int64)


def two_proportions_z_test(p1, n1, p2, n2, alpha=0.05):
    """Per bin, whether proportions ``p1`` (of ``n1`` samples) and ``p2`` (of ``n2``) differ.

    Pooled two-proportion z-test, two-sided; a bin empty in both is not different.
    """
    p1, p2 = np.asarray(p1, np.float64), np.asarray(p2, np.float64)
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    p_values = 2.0 * norm.cdf(-np.abs(z))
    return np.nan_to_num(p_values, nan=1.0) < alpha


def jensen_shannon_divergence(p, q):
    """JSD between two histograms, natural log (0 <= JSD <= ln 2)."""
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    m = 0.5 * (p + q)
    return float(0.5 * (_kl(p, m) + _kl(q, m)))


def _kl(p, q):
    positive = p > 0
    return np.sum(p[positive] * np.log(p[positive] / q[positive]))


def ndb_jsd(train, generated, k, seed=0, alpha=0.05, **bin_options):
    """NDB and JSD of ``generated`` against ``train`` with fresh K-means bins.

    Args:
        train, generated: ``(N, ...)`` arrays in the same value range.
        k: number of bins; seed: seed of the bins; alpha: significance of the z-test.
        bin_options: passed to :func:`fit_bins` (``whitening``, ``max_dims``, ``n_init``).

    Returns:
        dict with ``ndb``, ``ndb_ratio``, ``jsd``, ``train_proportions``,
        ``generated_proportions`` (and ``k``, ``alpha``, ``different_bins``).
    """
    return fit_bins(train, k=k, seed=seed, **bin_options).evaluate(generated, alpha=alpha)


def plot_bin_proportions(results, path, title="NDB bins", labels=None):
    """PNG bar chart of the bin proportions: training set vs one or more models, bins sorted.

    Args:
        results: one :meth:`NDBBins.evaluate` dict or a list of them (same bins).
        path: output ``.png``.
        title: a line drawn above the bars (say the protocol there).
        labels: legend names of the models (default ``model 1``, ...).

    Bins the z-test marks different are flagged with a red dot above them.
    """
    from PIL import Image, ImageDraw

    results = [results] if isinstance(results, dict) else list(results)
    labels = labels or [f"model {i + 1}" for i in range(len(results))]
    train = np.asarray(results[0]["train_proportions"])
    series = [train] + [np.asarray(r["generated_proportions"]) for r in results]
    colors = [(120, 120, 120), (31, 119, 180), (255, 127, 14), (44, 160, 44)]
    k = len(train)
    bar = max(2, 12 // len(series))
    slot = bar * len(series) + 2
    left, top, bottom, right = 50, 40, 30, 20
    width, height = left + k * slot + right, 300
    top_value = max(float(s.max()) for s in series) * 1.1 or 1.0
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    plot_h = height - top - bottom
    draw.text((left, 5), title, fill="black")
    for i, (name, color) in enumerate(zip(["train"] + labels, colors * 2)):
        draw.rectangle([left + 110 * i, 22, left + 110 * i + 8, 30], fill=color)
        draw.text((left + 110 * i + 12, 20), name[:16], fill="black")
    draw.line([left, top, left, height - bottom, width - right, height - bottom], fill="black")
    for tick in np.linspace(0, top_value, 5):
        y = height - bottom - plot_h * tick / top_value
        draw.text((2, y - 6), f"{tick:.3f}", fill="black")
    for b in range(k):
        x0 = left + 1 + b * slot
        for s, (values, color) in enumerate(zip(series, colors * 2)):
            bar_h = plot_h * values[b] / top_value
            draw.rectangle([x0 + s * bar, height - bottom - bar_h, x0 + (s + 1) * bar - 1, height - bottom], fill=color)
        if any(r["different_bins"][b] for r in results if "different_bins" in r):
            draw.ellipse([x0 + slot // 2 - 2, top - 6, x0 + slot // 2 + 2, top - 2], fill=(214, 39, 40))
    draw.text((left, height - bottom + 8), f"bins 1..{k}, largest training bin first", fill="black")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def ranked_bins(result, top=8):
    """The bins a model fills most wrongly: ``(over, under)`` index arrays, at most ``top`` each.

    ``over``: bins the z-test marks different where the model puts *more* samples than the
    training set, largest excess first; ``under``: different bins it under-fills, largest
    shortfall first. Bins not marked different never appear.
    """
    train = np.asarray(result["train_proportions"])
    excess = np.asarray(result["generated_proportions"]) - train
    different = np.asarray(result["different_bins"], bool)
    over = [b for b in np.argsort(-excess, kind="stable") if different[b] and excess[b] > 0][:top]
    under = [b for b in np.argsort(excess, kind="stable") if different[b] and excess[b] < 0][:top]
    return np.asarray(over, np.int64), np.asarray(under, np.int64)


def plot_bin_centers(bins, results, path, image_shape, value_range=(-1.0, 1.0), title="NDB bins", labels=None,
                     top=8, scale=3):
    """PNG of *what* each model over- and under-fills: the centres of its most wrongly filled bins.

    A bin's centre is the mean of its training images, so on image bins it shows the colour and
    layout the bin stands for. One row per model: up to ``top`` over-filled bins (largest excess
    first), a gap, then up to ``top`` under-filled ones; under each thumbnail the generated vs
    training proportion in percent (``g 7.9 / t 1.7``).

    Args:
        bins: the :class:`NDBBins` every result was scored against (fitted on images).
        results: one :meth:`NDBBins.evaluate` dict or a list of them.
        path: output ``.png``.
        image_shape: ``(H, W)`` or ``(H, W, C)`` of the images the bins were fitted on.
        value_range: the range the images were in when the bins were fitted (``[-1, 1]`` in
            ``training/evaluate.py``).
        title, labels: a line above the rows; the row names (default ``model 1``, ...).
        top: thumbnails per side and row.
        scale: integer upscaling of each thumbnail.
    """
    from PIL import Image, ImageDraw

    results = [results] if isinstance(results, dict) else list(results)
    labels = labels or [f"model {i + 1}" for i in range(len(results))]
    shape = tuple(image_shape)
    if int(np.prod(shape)) != bins.dims:
        raise ValueError(f"image_shape {shape} has {int(np.prod(shape))} values, the bins were fitted on {bins.dims}")
    low, high = value_range
    height, width = shape[0] * scale, shape[1] * scale
    cell_w, cell_h, name_h, gap, left = max(width, 84) + 4, height + 16, 14, 24, 4
    canvas_w = left + 2 * top * cell_w + gap
    canvas_h = 20 + len(results) * (name_h + cell_h) + 4
    image = Image.new("RGB", (canvas_w, canvas_h), "white")
    draw = ImageDraw.Draw(image)
    draw.text((left, 4), title, fill="black")
    for row, (result, label) in enumerate(zip(results, labels)):
        y = 20 + row * (name_h + cell_h)
        draw.text((left, y), f"{label}: over-filled bins | under-filled bins (g = generated %, t = training %)",
                  fill="black")
        over, under = ranked_bins(result, top)
        for side, chosen in enumerate((over, under)):
            for i, b in enumerate(chosen):
                x = left + side * (top * cell_w + gap) + i * cell_w
                center = bins.centers[b] * bins.std + bins.mean
                pixels = np.clip((center - low) / (high - low), 0.0, 1.0).reshape(shape)
                pixels = np.round(pixels * 255).astype(np.uint8)
                thumb = Image.fromarray(pixels.squeeze(-1) if pixels.ndim == 3 and pixels.shape[-1] == 1 else pixels)
                image.paste(thumb.convert("RGB").resize((width, height), Image.NEAREST), (x, y + name_h))
                draw.text((x, y + name_h + height + 2),
                          f"g {100 * result['generated_proportions'][b]:.1f} / t {100 * result['train_proportions'][b]:.1f}",
                          fill=(214, 39, 40) if side == 0 else (31, 119, 180))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def summary(result):
    """The JSON-friendly scalars of an :meth:`NDBBins.evaluate` dict."""
    return {"ndb": result["ndb"], "ndb_ratio": result["ndb_ratio"], "jsd": result["jsd"], "k": result["k"],
            "alpha": result["alpha"]}

