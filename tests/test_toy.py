"""The 2-D mixtures and the VEEGAN/PacGAN mode counting."""
import math

import numpy as np
import pytest

from zoo.lab.toy import (evaluate_modes, get_mixture, grid_means, reverse_kl_to_uniform,
                     ring_means)


def test_ring_has_eight_distinct_modes_on_radius_two():
    means = ring_means(8, 2.0)
    assert means.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(means, axis=1), 2.0)
    # linspace(0, 2pi, 8) would repeat the first mode: the closest pair would be at distance 0.
    gaps = np.linalg.norm(means[:, None] - means[None], axis=-1) + np.eye(8) * 10
    np.testing.assert_allclose(gaps.min(), 2 * 2.0 * math.sin(math.pi / 8))


def test_grid_means_are_the_25_points_of_minus4_to_4():
    means = grid_means(5, 2.0)
    assert means.shape == (25, 2)
    assert sorted(set(means[:, 0])) == [-4, -2, 0, 2, 4]
    assert len({tuple(m) for m in means}) == 25


def test_mixture_stds_follow_the_papers():
    assert get_mixture("ring8").std == 0.02
    assert get_mixture("grid25").std == 0.05
    with pytest.raises(ValueError, match="unknown 2-D dataset"):
        get_mixture("ring7")


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_real_samples_capture_every_mode_with_high_quality(name):
    mixture = get_mixture(name)
    result = evaluate_modes(mixture.sample(2500, seed=0), mixture)
    assert result["modes_captured"] == mixture.num_modes
    # 3 std of an isotropic 2-D Gaussian hold 1 - exp(-4.5) = 98.9 % of the mass.
    assert 0.98 < result["high_quality"] <= 1.0
    assert result["reverse_kl"] < 0.02
    assert sum(result["counts"]) == round(result["high_quality"] * 2500)


def test_one_mode_collapse_counts_one_mode_and_kl_log_k():
    mixture = get_mixture("grid25")
    rng = np.random.default_rng(0)
    samples = mixture.means[7] + 0.01 * rng.standard_normal((2500, 2))
    result = evaluate_modes(samples, mixture)
    assert result["modes_captured"] == 1
    assert result["counts"][7] == 2500
    assert result["high_quality"] == 1.0
    np.testing.assert_allclose(result["reverse_kl"], math.log(25))


def test_off_mode_noise_is_low_quality_and_captures_nothing():
    mixture = get_mixture("ring8")
    # Points at radius 1: every one is ~1 away from its nearest mode, far beyond 3 * 0.02.
    angles = np.linspace(0, 2 * np.pi, 2500)
    samples = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    result = evaluate_modes(samples, mixture)
    assert result["modes_captured"] == 0
    assert result["high_quality"] == 0.0
    assert result["reverse_kl"] == math.inf


def test_mixed_samples_count_only_high_quality_ones():
    mixture = get_mixture("ring8")
    on_mode = np.repeat(mixture.means[[0, 3]], [300, 100], axis=0)
    off_mode = np.zeros((100, 2))  # the centre: 2 away from every mode
    result = evaluate_modes(np.concatenate([on_mode, off_mode]), mixture)
    assert result["modes_captured"] == 2
    assert result["high_quality"] == pytest.approx(0.8)
    assert result["counts"] == [300, 0, 0, 100, 0, 0, 0, 0]
    p = np.array([0.75, 0.25])
    assert result["reverse_kl"] == pytest.approx(float(np.sum(p * np.log(p * 8))))


def test_reverse_kl_is_zero_for_uniform_counts():
    assert reverse_kl_to_uniform([5, 5, 5, 5]) == pytest.approx(0.0)


def test_bad_samples_raise_clear_errors():
    mixture = get_mixture("ring8")
    with pytest.raises(ValueError, match="shape"):
        evaluate_modes(np.zeros((10, 3)), mixture)
    with pytest.raises(ValueError, match="NaN"):
        evaluate_modes(np.full((10, 2), np.nan), mixture)
    with pytest.raises(ValueError, match="at least one"):
        evaluate_modes(np.zeros((0, 2)), mixture)
