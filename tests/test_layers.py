import numpy as np
import pytest

from zoo.layers import Maxout, MinibatchDiscrimination, TileNoise


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


def test_maxout_takes_the_max_over_pieces_and_round_trips():
    import keras

    layer = Maxout(units=2, pieces=3)
    x = np.array([[1.0, -2.0]], np.float32)
    layer.build(x.shape)
    # Unit u, piece p is column u * 3 + p: pieces of unit 0 give 1, -1, 3; of unit 1: -5, 0, -2.
    kernel = np.array([[1, -1, 1, -1, 0, 0], [0, 0, -1, 2, 0, 1]], np.float32)
    layer.kernel.assign(kernel)
    np.testing.assert_allclose(np.asarray(layer(x)), [[3.0, 0.0]])
    assert layer.compute_output_shape((None, 2)) == (None, 2)
    inputs = keras.Input((2,))
    model = keras.Model(inputs, Maxout(4, 5, name="m")(inputs))
    clone = keras.Model.from_config(model.get_config())
    assert clone.get_layer("m").pieces == 5 and clone.get_layer("m").units == 4
    with pytest.raises(ValueError, match="units >= 1 and pieces >= 1"):
        Maxout(0, 5)
