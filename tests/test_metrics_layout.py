"""zoo.metrics.layout: the layout-kept ratio of unpaired translations on synthetic scenes whose answer
is known (a shifted, recoloured, retextured copy of its input keeps the layout; an unrelated image does not)."""
import numpy as np
import pytest

from zoo.metrics.layout import _area_matrix, layout_distance, layout_maps, layout_ratio, lpips_layout_ratio
from zoo.metrics.lpips import DEFAULT_WEIGHTS


def scenes(count, seed, size=64):
    """``(count, size, size, 3)`` in [-1, 1]: a body (ellipse) and a head (disc) at random places, a
    random light gradient, a random tint: a layout per image, like a pose."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    images = []
    for _ in range(count):
        cy, cx, hy, hx = rng.uniform(0.25, 0.75, 4)
        body = ((yy - cy) / rng.uniform(0.1, 0.25)) ** 2 + ((xx - cx) / rng.uniform(0.1, 0.25)) ** 2 < 1
        head = (yy - hy) ** 2 + (xx - hx) ** 2 < rng.uniform(0.05, 0.12) ** 2
        gray = 0.6 * body + 0.9 * head - 0.5 + 0.3 * (yy - 0.5) * rng.uniform(-1, 1)
        images.append(np.clip(gray[..., None] * rng.uniform(0.5, 1.0, 3), -1, 1))
    return np.stack(images).astype(np.float32)


def translated(inputs, seed=1):
    """What a faithful translation does: shift by a few pixels, swap the colours, lower the contrast,
    add texture (pixel noise), keep the pose."""
    rng = np.random.default_rng(seed)
    shifted = np.roll(inputs, (3, -2), axis=(1, 2))
    return np.clip(-0.3 + 0.5 * shifted[..., ::-1] + 0.15 * rng.standard_normal(shifted.shape), -1, 1)


def test_area_matrix_averages_spans_and_keeps_constants():
    np.testing.assert_allclose(_area_matrix(4, 2), [[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]])
    weights = _area_matrix(216, 16)  # 13.5 pixels per cell: fractional edges
    np.testing.assert_allclose(weights.sum(axis=1), 1)
    np.testing.assert_allclose(weights[0, 13], 0.5 / 13.5)


def test_maps_ignore_colour_brightness_contrast_and_polarity():
    images = scenes(3, 0)
    maps = layout_maps(images)
    assert maps.shape == (3, 16, 16)
    np.testing.assert_allclose(maps.mean(axis=(1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(maps.std(axis=(1, 2)), 1, rtol=1e-9)
    gray = images.mean(axis=-1, keepdims=True)
    recoloured = np.concatenate([0.2 + 0.5 * gray] * 3, axis=-1)  # brightness and contrast changed
    np.testing.assert_allclose(layout_maps(recoloured), maps, atol=1e-5)  # float32 scenes
    flat = maps.reshape(3, -1)
    assert layout_distance(-flat, flat[0])[0] == 0  # figure and ground swapped: the same layout
    assert layout_distance(flat[1:], flat[0]).min() > 0.3
    np.testing.assert_array_equal(layout_maps(np.full((1, 20, 20, 3), 0.4)), 0)  # flat: no layout


def test_a_translation_that_keeps_the_pose_scores_well_above_one():
    inputs = scenes(20, 0)
    result = layout_ratio(translated(inputs), inputs)
    # measured 2.17 (own 0.37, other 0.80)
    assert result["ratio"] > 1.8 and result["own"] < 0.5 * result["other"]
    assert result["per_input"].shape == (20,) and (result["per_input"] > 1).mean() > 0.9
    # n outputs per input; inverted brightness is the same layout
    several = np.stack([translated(inputs, 1), -translated(inputs, 2)], axis=1)
    assert layout_ratio(several, inputs)["ratio"] > 1.8
    # Outputs at half the inputs' size (maps are 16x16 either way; 2x2 cells average less of the
    # pixel noise away: measured 1.69)
    assert layout_ratio(translated(inputs)[:, ::2, ::2], inputs)["ratio"] > 1.5


def test_outputs_independent_of_their_inputs_score_about_one():
    inputs = scenes(40, 0)
    ratios = [layout_ratio(scenes(40, 100 + seed), inputs)["ratio"] for seed in range(3)]
    assert all(abs(r - 1) < 0.08 for r in ratios), ratios
    constant = np.repeat(scenes(1, 9), 40, axis=0)  # a collapsed model: one image whatever the input
    assert layout_ratio(constant, inputs)["ratio"] == pytest.approx(1.0)


@pytest.mark.parametrize("outputs, inputs, message", [
    (np.zeros((3, 32, 32, 3)), np.zeros((2, 32, 32, 3)), "differ in count"),
    (np.zeros((1, 32, 32, 3)), np.zeros((1, 32, 32, 3)), "at least 2 inputs"),
    (np.zeros((2, 8, 8, 3)), np.zeros((2, 8, 8, 3)), "at least that size"),
    (np.zeros((2, 32, 32)), np.zeros((2, 32, 32, 3)), "outputs must be"),
])
def test_bad_shapes_are_one_line_errors(outputs, inputs, message):
    with pytest.raises(ValueError, match=message) as caught:
        layout_ratio(outputs, inputs)
    assert "\n" not in str(caught.value)


def test_lpips_ratio_pairs_each_output_with_its_own_and_another_input():
    class Gap:  # a distance whose value names the pair: |mean(x0) - mean(x1)|
        def __call__(self, x0, x1):
            return np.abs(x0.mean(axis=(1, 2, 3)) - x1.mean(axis=(1, 2, 3)))

    inputs = np.stack([np.full((4, 4, 3), v) for v in (-0.5, 0.0, 0.5)])
    outputs = np.stack([inputs + 0.1, inputs + 0.1], axis=1)  # (3 inputs, 2 samples, ...)
    result = lpips_layout_ratio(outputs, inputs, Gap(), seed=0)
    assert result["own"] == pytest.approx(0.1)
    # each other input is 0.5 or 1.0 away, +-0.1: strictly above the own distance
    assert 0.4 <= result["other"] <= 1.1 and result["ratio"] > 4
    with pytest.raises(ValueError, match="one shape"):
        lpips_layout_ratio(outputs[:, :, :2], inputs, Gap())


def test_real_lpips_ratio_sees_a_shift_but_also_texture():
    if not DEFAULT_WEIGHTS["alex"].is_file():
        pytest.skip("shipped LPIPS weights absent")
    from zoo.metrics import LPIPS

    lpips, inputs = LPIPS("alex"), scenes(12, 0)
    shifted = np.clip(0.8 * np.roll(inputs, (3, -2), axis=(1, 2)) + 0.1, -1, 1)
    assert lpips_layout_ratio(shifted, inputs, lpips)["ratio"] > 2
    assert abs(lpips_layout_ratio(scenes(12, 7), inputs, lpips)["ratio"] - 1) < 0.25
