"""BicycleGAN + MS: encoder shapes, the two branches, the MS term on the cLR pair, checkpoints."""
import keras
import numpy as np
import pytest

from zoo.training.callbacks import TrainingCheckpoint
from zoo.base import MS_EPS
from zoo.bicyclegan import BicycleGAN, BicycleGANConfig, build_encoder
from zoo.registry import get_config

TINY = dict(image_size=64, ngf=4, ndf=4, nef=4, nz=3, epochs=2, niter=1, niter_decay=1)


def make_gan(**changes):
    keras.utils.set_random_seed(0)
    gan = BicycleGAN(BicycleGANConfig(name="msgan_bicyclegan_test", **{**TINY, **changes}))
    gan.compile()
    return gan


def batch(count=2, size=64, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(-1, 1, (count, size, size, 3)).astype(np.float32),
            rng.uniform(-1, 1, (count, size, size, 3)).astype(np.float32))


def weights(model):
    return [w.numpy().copy() for w in model.trainable_weights]


def changed(before, model):
    return any(np.abs(a - w.numpy()).max() > 0 for a, w in zip(before, model.trainable_weights))


def test_paper_configs_are_registered():
    config = get_config("msgan_bicyclegan_maps")
    assert (config.nef, config.nz, config.lambda_kl, config.lambda_z, config.lambda_l1) == (64, 8, 0.01, 0.5, 10.0)
    assert (config.batch_size, config.image_size, config.lambda_ms) == (2, 256, 1.0)
    assert get_config("bicyclegan_facades").lambda_ms == 0.0


@pytest.mark.parametrize("size, blocks", [(64, 2), (256, 4)])
def test_encoder_shapes(size, blocks):
    config = BicycleGANConfig(image_size=size, nef=4, nz=8)
    encoder = build_encoder(config)
    mu, logvar = encoder(np.zeros((2, size, size, 3), np.float32))
    assert mu.shape == (2, 8) and logvar.shape == (2, 8)
    assert sum(layer.name.endswith("_add") for layer in encoder.layers) == blocks
    # The last residual block ends at 8x8 before the pool, as resnet_256 / resnet_128.
    assert encoder.get_layer(f"block{blocks}_add").output.shape[1:3] == (8, 8)


@pytest.mark.parametrize("count", [1, 2])
def test_train_step_updates_g_e_and_both_discriminators(count):
    gan = make_gan()
    nets = gan.discriminator
    before = {m.name: weights(m) for m in (gan.generator, gan.encoder, nets.d_vae, nets.d_clr)}
    logs = gan.train_step(batch(count))
    for model in (gan.generator, gan.encoder, nets.d_vae, nets.d_clr):
        assert changed(before[model.name], model), f"{model.name} was not updated"
    assert all(np.isfinite(float(v)) for v in logs.values())
    assert {"d_loss", "g_loss", "ms_ratio", "g_l1", "kl", "z_l1"} <= set(logs)
    assert float(logs["kl"]) >= 0.0


def test_latent_regression_trains_the_generator_only():
    gan = make_gan(lambda_gan=0.0, lambda_l1=0.0, lambda_kl=0.0, lambda_ms=0.0)
    g_before, e_before = weights(gan.generator), weights(gan.encoder)
    gan.train_step(batch())
    assert changed(g_before, gan.generator)
    assert not changed(e_before, gan.encoder), "the latent regression loss must not update E"


def test_ms_term_is_added_on_the_clr_pair():
    data = batch()
    with_ms = make_gan(lambda_ms=1.0).train_step(data)
    without = make_gan(lambda_ms=0.0).train_step(data)
    ratio = float(with_ms["ms_ratio"])
    assert ratio == pytest.approx(float(without["ms_ratio"]), rel=1e-5)
    assert float(with_ms["g_loss"]) - float(without["g_loss"]) == pytest.approx(1.0 / (ratio + MS_EPS), rel=1e-4)


def test_checkpoint_holds_the_encoder_and_both_discriminators(tmp_path):
    gan = make_gan()
    gan.train_step(batch())
    checkpoint = TrainingCheckpoint(gan, tmp_path)
    checkpoint.on_epoch_end(0)
    saved = {m.name: weights(m) for m in (gan.encoder, gan.discriminator.d_clr)}
    restored = make_gan()
    assert TrainingCheckpoint(restored, tmp_path).restore() == 1
    for model in (restored.encoder, restored.discriminator.d_clr):
        for a, w in zip(saved[model.name], model.trainable_weights):
            np.testing.assert_array_equal(a, w.numpy())


def test_encoder_refuses_tiny_images():
    with pytest.raises(ValueError, match="image_size >= 16"):
        build_encoder(BicycleGANConfig(image_size=8))


def test_train_step_with_one_patchgan_per_discriminator():
    gan = make_gan(num_d=1, n_layers_d=2)
    logs = gan.train_step(batch())
    assert all(np.isfinite(float(v)) for v in logs.values())
