"""Does an image-conditioned generator follow its input? Two checks on paired data.

* :func:`fidelity_ratio`: ``mean L1(output_i, target_j), j != i`` over ``mean L1(output_i,
  target_i)``. About 1 when the output ignores the input (every target is as far as its own),
  well above 1 when each output is close to the target of its own input.
* :func:`photo_vs_noise`: with one z, how much do outputs for different inputs differ, and with
  one input, how much do outputs for different z differ (mean pairwise L1 each). A model that
  follows its input changes more with the input than with the noise.
* :func:`structure_fidelity`: does the output draw its *own* target's structure (edges: roads,
  coastlines, outlines)? The L1 ratio is dominated by overall colour (a flat image of each
  target's mean colour scores ~1.5 on maps), so a model can pass it while painting the same
  template for every input; the edge correlation cannot be passed that way.
"""
import numpy as np


def _flat(images, name):
    images = np.asarray(images, dtype=np.float64)
    if images.ndim < 2:
        raise ValueError(f"{name} must have shape (N, ...), got {images.shape}")
    return images.reshape(len(images), -1)


def fidelity_ratio(outputs, targets):
    """How much closer each output is to its own target than to the other inputs' targets.

    Args:
        outputs: ``(N, H, W, C)`` generator outputs in [-1, 1], ``N >= 2``, one per input.
        targets: ``(N, H, W, C)`` the ground truth of the same inputs, same range.

    Returns:
        ``(ratio, own_l1, other_l1)``: ``own_l1 = mean_i L1(out_i, t_i)``,
        ``other_l1 = mean_{i != j} L1(out_i, t_j)`` and ``ratio = other_l1 / own_l1``.
    """
    outputs, targets = _flat(outputs, "outputs"), _flat(targets, "targets")
    if outputs.shape != targets.shape:
        raise ValueError(f"outputs and targets differ in shape: {outputs.shape} vs {targets.shape}")
    n = len(outputs)
    if n < 2:
        raise ValueError(f"fidelity_ratio needs at least 2 pairs, got {n}")
    distances = np.stack([np.abs(targets - output).mean(axis=1) for output in outputs])  # (out, target)
    own = float(np.trace(distances) / n)
    other = float((distances.sum() - np.trace(distances)) / (n * (n - 1)))
    return other / max(own, 1e-12), own, other


def photo_vs_noise(samples):
    """Variation of the outputs across inputs (one z) and across z (one input).

    Args:
        samples: ``(N, K, H, W, C)``: N inputs x K noise vectors, the k-th z the same for
            every input; ``N >= 2``, ``K >= 2``.

    Returns:
        ``{"across_inputs": mean_k mean_{i<j} L1(s_ik, s_jk),
        "across_noise": mean_i mean_{k<l} L1(s_ik, s_il), "ratio": across_inputs / across_noise}``.
    """
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim < 3 or samples.shape[0] < 2 or samples.shape[1] < 2:
        raise ValueError(f"samples must have shape (N >= 2 inputs, K >= 2 z, ...), got {samples.shape}")
    n, k = samples.shape[:2]
    flat = samples.reshape(n, k, -1)

    def pairwise(group):  # (m, D) -> mean L1 over the m (m - 1) / 2 pairs
        m = len(group)
        return sum(np.abs(group[i + 1:] - group[i]).mean(axis=1).sum() for i in range(m - 1)) / (m * (m - 1) / 2)

    across_inputs = float(np.mean([pairwise(flat[:, j]) for j in range(k)]))
    across_noise = float(np.mean([pairwise(flat[i]) for i in range(n)]))
    return {"across_inputs": across_inputs, "across_noise": across_noise,
            "ratio": across_inputs / max(across_noise, 1e-12)}


def edge_map(images):
    """Gradient magnitude of the grayscale image: ``(N, H, W, C)`` -> ``(N, H - 1, W - 1)``."""
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 4:
        raise ValueError(f"images must have shape (N, H, W, C), got {images.shape}")
    gray = images.mean(axis=-1)
    return np.abs(np.diff(gray, axis=1))[:, :, :-1] + np.abs(np.diff(gray, axis=2))[:, :-1, :]


def _correlations(a, b):
    """``(N, M)`` Pearson correlations between the flattened rows of ``a (N, D)`` and ``b (M, D)``;
    a constant row correlates 0 with everything."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return a @ b.T


def structure_fidelity(outputs, targets):
    """Edge-map correlations: with the own target, with other inputs' targets, between outputs.

    Args:
        outputs: ``(N, H, W, C)`` generator outputs in [-1, 1], ``N >= 2``, one per input.
        targets: ``(N, H, W, C)`` the ground truth of the same inputs.

    Returns:
        ``{"own": mean_i corr(E(out_i), E(t_i)), "other": mean_{i != j} corr(E(out_i), E(t_j)),
        "gap": own - other, "between_outputs": mean_{i != j} corr(E(out_i), E(out_j)),
        "between_targets": mean_{i != j} corr(E(t_i), E(t_j)), "own_se": the standard error of
        "own" over the N inputs (sample std / sqrt(N): how far two models' "own" must be apart to
        differ on these inputs)}``, E = :func:`edge_map`. A model
        that draws its own input's structure has ``own`` well above ``other`` (the targets
        themselves: own 1); one that paints a template has ``gap`` ~0 and ``between_outputs``
        far above ``between_targets``.
    """
    outputs, targets = np.asarray(outputs), np.asarray(targets)
    if outputs.shape != targets.shape:
        raise ValueError(f"outputs and targets differ in shape: {outputs.shape} vs {targets.shape}")
    n = len(outputs)
    if n < 2:
        raise ValueError(f"structure_fidelity needs at least 2 pairs, got {n}")
    e_out = edge_map(outputs).reshape(n, -1)
    e_tgt = edge_map(targets).reshape(n, -1)
    off = ~np.eye(n, dtype=bool)
    to_targets = _correlations(e_out, e_tgt)
    own, other = float(np.trace(to_targets) / n), float(to_targets[off].mean())
    own_se = float(np.diagonal(to_targets).std(ddof=1) / np.sqrt(n))
    return {"own": own, "other": other, "gap": own - other, "own_se": own_se,
            "between_outputs": float(_correlations(e_out, e_out)[off].mean()),
            "between_targets": float(_correlations(e_tgt, e_tgt)[off].mean())}
