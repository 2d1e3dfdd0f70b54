import numpy as np
import pytest

from zoo.layers import MinibatchDiscrimination, TileNoise


def test_minibatch_discrimination_shape_and_closed_form():
    layer = MinibatchDiscrimination(num_kernels=4, kernel_dim=3)
    features = np.random.default_rng(0).normal(size=(5, 6)).astype(np.float32)
    out = np.asarray(layer(features))
    assert out.shape == (5, 6 + 4)
    np.testing.assert_allclose(out[:, :6], features)
    rows = (features @ np.asarray(layer.kernel)).reshape(5, 4, 3)
    l1 = np.abs(rows[:, None] - rows[None, :]).sum(-1)  # (5, 5, 4)
    expected = np.exp(-l1).sum(axis=1) - 1.0
    np.testing.assert_allclose(out[:, 6:], expected, rtol=1e-5, atol=1e-6)


def test_minibatch_discrimination_output_depends_on_other_samples():
    layer = MinibatchDiscrimination(num_kernels=8, kernel_dim=2)
    rng = np.random.default_rng(1)
    batch = rng.normal(scale=0.05, size=(4, 10)).astype(np.float32)
    changed = batch.copy()
    changed[1:] += 3.0  # move every *other* sample far away
    out_a, out_b = np.asarray(layer(batch)), np.asarray(layer(changed))
    assert not np.allclose(out_a[0, 10:], out_b[0, 10:])
    np.testing.assert_allclose(out_a[0, :10], out_b[0, :10])  # sample 0's own features unchanged


def test_minibatch_discrimination_rejects_unflattened_features():
    with pytest.raises(ValueError, match="flat features"):
        MinibatchDiscrimination()(np.zeros((2, 3, 3, 4), np.float32))


def test_tile_noise():
    feature_map = np.zeros((2, 3, 3, 4), np.float32)
    vector = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    out = np.asarray(TileNoise()(feature_map, vector))
    assert out.shape == (2, 3, 3, 6)
    np.testing.assert_array_equal(out[1, 2, 0, 4:], [3.0, 4.0])
