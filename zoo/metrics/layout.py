"""Does an unpaired translation keep its input's layout? (DRIT: each dog should keep its cat's pose.)

Unpaired data has no ground truth, so the fidelity ratio of the paired task
(:func:`zoo.metrics.fidelity.fidelity_ratio`) has no target to compare with. What a translation
should keep is the *input's* layout (pose, head position, framing) while it changes colour and
texture (species, fur). Both checks below ask whether each output is closer to its own input than
to the other inputs:

* :func:`layout_ratio`: ``mean d(output_i, input_j), j != i`` over ``mean d(output_i, input_i)``
  with ``d`` = L1 between :func:`layout_maps` (grayscale, low-passed to 16x16, per-image
  standardized), the smaller of both polarities (:func:`layout_distance`): blind to hue,
  brightness, contrast, figure/ground inversion and fine texture, the things a translation is
  meant to change;
* :func:`lpips_layout_ratio`: the same ratio with LPIPS as the distance (perceptual: it also sees
  texture, so a faithful translation scores lower on it than on the layout maps).

About 1 when the outputs ignore their inputs (every input is as far as the own one), above 1
when each output keeps its own input's layout; a copy of the input scores highest.
"""
import numpy as np

LAYOUT_SIZE = 16
STD_EPS = 1e-6


def _area_matrix(n_in, n_out):
    """``(n_out, n_in)`` weights of an area (box) resize: row r averages the input span
    ``[r n_in / n_out, (r + 1) n_in / n_out)``, fractional pixels weighted by their overlap."""
    edges = np.arange(n_out + 1) * n_in / n_out
    pixel = np.arange(n_in)
    overlap = np.clip(np.minimum(edges[1:, None], pixel + 1) - np.maximum(edges[:-1, None], pixel), 0, None)
    return overlap / overlap.sum(axis=1, keepdims=True)


def layout_maps(images, size=LAYOUT_SIZE):
    """The layout of each image: grayscale, area-averaged to ``size x size``, standardized.

    Grayscale (the channel mean) drops hue, so an orange cat and a black dog in one pose match;
    the area average keeps shapes of at least ``H / size`` pixels (8-14 px cells at DRIT's
    128-216 px: head, ears, body outline) and drops fur and eye detail; subtracting each map's
    mean and dividing by its std drops brightness and contrast. A flat image maps to zeros.

    Args:
        images: ``(N, H, W, C)`` images (any range, e.g. [-1, 1] or uint8), ``H, W >= size``.
        size: side of the maps (16).

    Returns:
        ``(N, size, size)`` float64 maps, each with mean 0 and std 1 (or all 0).
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 4:
        raise ValueError(f"layout_maps expects (N, H, W, C) images, got shape {images.shape}")
    height, width = images.shape[1:3]
    if min(height, width) < size:
        raise ValueError(f"layout maps of {size}x{size} need images of at least that size, got {height}x{width}")
    gray = images.mean(axis=-1)
    maps = np.einsum("rh,nhw,cw->nrc", _area_matrix(height, size), gray, _area_matrix(width, size))
    maps = maps - maps.mean(axis=(1, 2), keepdims=True)
    std = maps.std(axis=(1, 2), keepdims=True)
    return np.where(std > STD_EPS, maps / np.maximum(std, STD_EPS), 0.0)


def layout_distance(maps, other):
    """Mean absolute difference of layout maps, the smaller of same and inverted polarity.

    A translation may invert figure against ground (a white cat on a dark floor becomes a black
    dog on it) and keep the pose: ``-other`` is the same layout, so it scores 0 too.

    Args:
        maps: ``(..., D)`` flattened :func:`layout_maps`; other: ``(D,)`` one flattened map.

    Returns:
        ``(...)`` distances ``min(mean|m - o|, mean|m + o|)``.
    """
    return np.minimum(np.abs(maps - other).mean(axis=-1), np.abs(maps + other).mean(axis=-1))


def _per_input(outputs):
    """``(N, n, ...)`` from ``(N, ...)`` one output per input or ``(N, n, ...)`` n per input."""
    return outputs if outputs.ndim == 5 else outputs[:, None]


def _check_pairing(outputs, inputs):
    if outputs.ndim not in (4, 5):
        raise ValueError(f"outputs must be (N, H, W, C) or (N, n, H, W, C), got shape {outputs.shape}")
    if inputs.ndim != 4:
        raise ValueError(f"inputs must be (N, H, W, C), got shape {inputs.shape}")
    if len(outputs) != len(inputs):
        raise ValueError(f"outputs and inputs differ in count: {len(outputs)} vs {len(inputs)} inputs")
    if len(inputs) < 2:
        raise ValueError(f"a layout ratio needs at least 2 inputs (an own and another), got {len(inputs)}")


def layout_ratio(outputs, inputs, size=LAYOUT_SIZE):
    """How much closer each output's layout is to its own input's than to the other inputs'.

    Args:
        outputs: ``(N, H, W, C)`` one translation per input, or ``(N, n, H, W, C)`` n per input.
        inputs: ``(N, H', W', C')`` the inputs, as the model saw them (same framing; the size
            and channels may differ from the outputs', the maps are ``size x size`` gray).
        size: side of the :func:`layout_maps`.

    Returns:
        ``{"ratio": other / own, "own": mean_ik d(out_ik, in_i), "other": mean_{ik, j != i}
        d(out_ik, in_j), "per_input": (N,) other_i / own_i}``, ``d`` = :func:`layout_distance`
        (0 for the same layout in either polarity; about 1.1 for two independent white-noise
        maps of 16x16).
    """
    outputs, inputs = np.asarray(outputs), np.asarray(inputs)
    _check_pairing(outputs, inputs)
    outputs = _per_input(outputs)
    count, per = outputs.shape[:2]
    output_maps = layout_maps(outputs.reshape(count * per, *outputs.shape[2:]), size).reshape(count, per, -1)
    input_maps = layout_maps(inputs, size).reshape(count, -1)
    # [i, j]: mean over input i's n outputs of their distance to input j
    distances = np.stack([layout_distance(output_maps, input_maps[j]).mean(axis=1) for j in range(count)], axis=1)
    own_per_input = np.diag(distances)
    other_per_input = (distances.sum(axis=1) - own_per_input) / (count - 1)
    own, other = float(own_per_input.mean()), float(other_per_input.mean())
    return {"ratio": other / max(own, 1e-12), "own": own, "other": other,
            "per_input": other_per_input / np.maximum(own_per_input, 1e-12)}


def lpips_layout_ratio(outputs, inputs, lpips, seed=0):
    """:func:`layout_ratio` with LPIPS as the distance, estimated with one random other input per output.

    Every output is scored against its own input and against one other input drawn uniformly
    (seeded), so ``other`` is an unbiased estimate of the mean over all other inputs at
    ``2 N n`` LPIPS calls instead of ``N^2 n``.

    Args:
        outputs: ``(N, H, W, 3)`` or ``(N, n, H, W, 3)`` translations, uint8 or [-1, 1].
        inputs: ``(N, H, W, 3)`` the inputs as the model saw them, same size as the outputs.
        lpips: a :class:`zoo.metrics.LPIPS` (or any ``(x0, x1) -> (M,)`` distance).
        seed: seed of the other-input draws.

    Returns:
        ``{"ratio": other / own, "own": mean LPIPS(out_ik, in_i), "other": mean LPIPS(out_ik, in_j)}``.
    """
    outputs, inputs = np.asarray(outputs), np.asarray(inputs)
    _check_pairing(outputs, inputs)
    outputs = _per_input(outputs)
    if outputs.shape[2:] != inputs.shape[1:]:
        raise ValueError(f"LPIPS compares images of one shape: outputs {outputs.shape[2:]} vs inputs {inputs.shape[1:]}")
    count, per = outputs.shape[:2]
    own_index = np.repeat(np.arange(count), per)
    # an offset in 1..N-1 picks another input uniformly
    other_index = (own_index + np.random.default_rng(seed).integers(1, count, count * per)) % count
    flat = outputs.reshape(count * per, *outputs.shape[2:])
    own = float(np.mean(lpips(flat, inputs[own_index])))
    other = float(np.mean(lpips(flat, inputs[other_index])))
    return {"ratio": other / max(own, 1e-12), "own": own, "other": other}
