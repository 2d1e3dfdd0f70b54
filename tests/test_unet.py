"""U-Net with z at every block: shapes, depth, noise reaching every level, instance norm."""
import keras
import numpy as np
import pytest

from zoo.unet import InstanceNormalization, build_unet, num_downsamplings, unet_64, unet_256


@pytest.mark.parametrize("size, builder, depth", [(64, unet_64, 6), (256, unet_256, 8)])
def test_shapes_and_depth(size, builder, depth):
    generator = builder(nz=8, ngf=4)
    condition = np.random.default_rng(0).uniform(-1, 1, (2, size, size, 3)).astype(np.float32)
    z = np.random.default_rng(1).standard_normal((2, 8)).astype(np.float32)
    image = np.asarray(generator([condition, z]))
    assert image.shape == (2, size, size, 3) and image.dtype == np.float32
    assert np.abs(image).max() <= 1.0
    down_convs = [layer for layer in generator.layers if layer.name.endswith("_conv")]
    assert len(down_convs) == depth
    # The innermost block reaches 1x1, the widths cap at 8 * ngf.
    assert down_convs[-1].output.shape[1:] == (1, 1, 32)
    assert [c.filters for c in down_convs[:4]] == [4, 8, 16, 32]


def test_z_is_concatenated_to_the_input_of_every_down_block():
    generator = build_unet(64, nz=8, ngf=4)
    inputs = [layer.input[0].shape[-1] + 8 for layer in generator.layers if layer.name.endswith("_add_z")]
    convs = [layer for layer in generator.layers if layer.name.endswith("_conv")]
    assert len(inputs) == len(convs) == 6
    assert [c.kernel.shape[2] for c in convs] == inputs  # each conv sees features + z


def test_changing_z_changes_every_encoder_and_decoder_level():
    generator = build_unet(64, nz=8, ngf=4)
    names = [l.name for l in generator.layers if l.name.endswith(("_conv", "_convt"))]
    probe = keras.Model(generator.inputs, [generator.get_layer(n).output for n in names])
    condition = np.random.default_rng(0).uniform(-1, 1, (1, 64, 64, 3)).astype(np.float32)
    z1 = np.zeros((1, 8), np.float32)
    z2 = np.ones((1, 8), np.float32)
    for name, a, b in zip(names, probe([condition, z1]), probe([condition, z2])):
        assert np.abs(np.asarray(a) - np.asarray(b)).max() > 1e-6, f"z does not reach {name}"


def test_samples_are_independent_in_a_batch():
    generator = build_unet(32, nz=4, ngf=4)
    rng = np.random.default_rng(0)
    condition = rng.uniform(-1, 1, (3, 32, 32, 3)).astype(np.float32)
    z = rng.standard_normal((3, 4)).astype(np.float32)
    together = np.asarray(generator([condition, z]))
    alone = np.asarray(generator([condition[:1], z[:1]]))
    np.testing.assert_allclose(together[:1], alone, atol=1e-5)


def test_instance_norm_normalizes_each_sample_and_channel():
    x = np.random.default_rng(0).normal(3.0, 5.0, (2, 8, 8, 4)).astype(np.float32)
    y = np.asarray(InstanceNormalization()(x))
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=(1, 2)), 1.0, atol=1e-3)


@pytest.mark.parametrize("size", [0, 3, 48, 100])
def test_bad_sizes(size):
    with pytest.raises(ValueError, match="power of two"):
        num_downsamplings(size)
