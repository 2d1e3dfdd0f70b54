"""Pix2Pix + MS: paper config, two-scale PatchGAN, the train step, LR schedule, fit, save/load."""
import json

import keras
import numpy as np
import pytest
from PIL import Image

import zoo
from zoo.base import MS_EPS
from zoo.patchgan import build_patchgan, lsgan_multiscale
from zoo.pix2pix import ConstantThenLinearDecay, Pix2Pix, Pix2PixConfig
from zoo.registry import get_config
from zoo.model_dir import load_sampler, save_generator
from zoo.sampling import ImageSampler

TINY = dict(image_size=64, ngf=4, ndf=4, nz=3, epochs=2, niter=1, niter_decay=1)


def tiny_config(**changes):
    return Pix2PixConfig(name="msgan_pix2pix_test", **{**TINY, **changes})


def batch(size=64, count=1, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(-1, 1, (count, size, size, 3)).astype(np.float32),
            rng.uniform(-1, 1, (count, size, size, 3)).astype(np.float32))


def write_pairs(folder, count, size=64):
    folder.mkdir(parents=True)
    for i in range(count):
        pair = np.random.default_rng(i).integers(0, 256, (size, 2 * size, 3), dtype=np.uint8)
        Image.fromarray(pair).save(folder / f"{i + 1}.jpg")


def test_paper_configs_are_registered():
    config = get_config("msgan_pix2pix_maps")
    assert (config.image_size, config.load_size, config.nz, config.ngf, config.ndf) == (256, 286, 8, 64, 64)
    assert (config.num_d, config.n_layers_d, config.batch_size) == (2, 3, 1)
    assert (config.lambda_l1, config.lambda_ms, config.learning_rate, config.beta_1) == (10.0, 1.0, 2e-4, 0.5)
    assert (config.niter, config.niter_decay, config.epochs, config.direction) == (100, 100, 200, "AtoB")
    assert get_config("pix2pix_maps").lambda_ms == 0.0
    assert get_config("msgan_pix2pix_facades").direction == "BtoA"
    with pytest.raises(ValueError, match="direction"):
        Pix2PixConfig(direction="up")


@pytest.mark.parametrize("size, shapes", [(64, [(6, 6), (2, 2)]), (256, [(30, 30), (14, 14)])])
def test_two_patchgans_at_full_and_half_resolution(size, shapes):
    discriminator = build_patchgan(size, ndf=4)
    image, condition = batch(size, count=2)
    scores = discriminator([image, condition])
    assert [tuple(s.shape) for s in scores] == [(2, *hw, 1) for hw in shapes]
    # The second PatchGAN has half the filters (BicycleGAN's ndf / 2^k).
    assert discriminator.get_layer("d1_conv0").filters == 2
    # Conditional: the same image judged with another input image scores differently.
    other = discriminator([image, condition[::-1]])
    assert np.abs(np.asarray(other[0]) - np.asarray(scores[0])).max() > 1e-6


def test_patchgan_refuses_images_too_small():
    with pytest.raises(ValueError, match="too small"):
        build_patchgan(32)


def test_two_discriminator_lsgan_loss_sums_the_scales():
    full = np.full((1, 6, 6, 1), 0.5, np.float32)
    half = np.full((1, 2, 2, 1), 2.0, np.float32)
    assert float(lsgan_multiscale([full, half], 1.0)) == pytest.approx(0.25 + 1.0)
    assert float(lsgan_multiscale([full, half], 0.0)) == pytest.approx(0.25 + 4.0)


def make_gan(lambda_ms, **changes):
    keras.utils.set_random_seed(0)
    gan = Pix2Pix(tiny_config(lambda_ms=lambda_ms, **changes))
    gan.compile()
    return gan


def test_train_step_adds_exactly_the_ms_term():
    data = batch()
    with_ms = make_gan(1.0).train_step(data)
    without = make_gan(0.0).train_step(data)
    ratio = float(with_ms["ms_ratio"])
    assert ratio == pytest.approx(float(without["ms_ratio"]), rel=1e-5)
    assert float(with_ms["g_loss"]) - float(without["g_loss"]) == pytest.approx(1.0 / (ratio + MS_EPS), rel=1e-4)
    assert float(with_ms["d_loss"]) == pytest.approx(float(without["d_loss"]), rel=1e-5)


def test_train_step_updates_both_networks_and_l1_uses_the_first_sample():
    gan = make_gan(1.0)
    g_before = [w.numpy().copy() for w in gan.generator.trainable_weights]
    d_before = [w.numpy().copy() for w in gan.discriminator.trainable_weights]
    logs = gan.train_step(batch(count=2))
    assert all(np.isfinite(float(v)) for v in logs.values())
    assert any(np.abs(a - w.numpy()).max() > 0 for a, w in zip(g_before, gan.generator.trainable_weights))
    assert any(np.abs(a - w.numpy()).max() > 0 for a, w in zip(d_before, gan.discriminator.trainable_weights))
    assert {"d_loss", "g_loss", "ms_ratio", "g_l1"} <= set(logs)


def test_schedule_is_constant_then_linear():
    schedule = ConstantThenLinearDecay(1.0, decay_start=2, decay_epochs=3, steps_per_epoch=10)
    rates = [float(schedule(step)) for step in (0, 9, 10, 19, 20, 30, 40)]
    assert rates == pytest.approx([1.0, 1.0, 1.0, 1.0, 0.75, 0.5, 0.25])
    assert tiny_config(epochs=200, niter=100, niter_decay=100).decay_start_epoch == 100
    assert tiny_config(epochs=6, niter=100, niter_decay=100).decay_start_epoch == 3


def test_fit_on_a_tiny_jpeg_folder_sets_the_schedule(tmp_path):
    from zoo.training.tasks import task_for

    write_pairs(tmp_path / "train", 2)
    config = tiny_config()
    dataset, count = task_for(config).training_data(config, tmp_path)
    gan = make_gan(1.0)
    history = gan.fit(dataset, epochs=2, verbose=0)
    assert count == 2
    assert int(gan.g_optimizer._learning_rate.steps_per_epoch.numpy()) == 2
    assert int(gan.g_optimizer.iterations.numpy()) == 4
    assert np.isfinite(history.history["g_loss"]).all()
    # Epoch 1 at the base rate, epoch 2 decayed to half (decay over niter_decay + 1).
    schedule = gan.g_optimizer._learning_rate
    assert [float(schedule(step)) for step in (0, 1, 2, 3)] == pytest.approx([2e-4, 2e-4, 1e-4, 1e-4])


def test_fit_py_trains_saves_and_zoo_load_samples(tmp_path):
    from zoo.training.fit import main

    write_pairs(tmp_path / "data" / "train", 2)
    write_pairs(tmp_path / "data" / "val", 2)
    out = tmp_path / "run"
    main(["--model", "msgan_pix2pix_maps", "--data-dir", str(tmp_path / "data"), "--out", str(out),
          "--epochs", "1", "--verbose", "0", "--set", "image_size=64", "--set", "ngf=4",
          "--set", "ndf=4"])
    assert json.loads((out / "config.json").read_text())["image_size"] == 64
    from PIL import Image

    with Image.open(out / "samples.png") as grid:  # 2 val inputs: the input column, then 10 z
        assert grid.size == ((11 * 65 + 1), (2 * 65 + 1))
    sampler = zoo.load(str(out))
    image = np.random.default_rng(0).integers(0, 256, (40, 48, 3), dtype=np.uint8)
    samples = sampler.sample(image, 4, seed=1)
    assert samples.shape == (4, 40, 48, 3) and samples.dtype == np.uint8


def test_save_load_round_trip_gives_identical_samples(tmp_path):
    gan = make_gan(1.0)
    config = gan.config
    save_generator(gan.generator, config, tmp_path)
    sampler = load_sampler(tmp_path)
    assert isinstance(sampler, ImageSampler)
    images = np.random.default_rng(0).integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)
    original = ImageSampler(gan.generator, config).sample(images, 3, seed=7)
    loaded = sampler.sample(images, 3, seed=7)
    assert loaded.shape == (2, 3, 64, 64, 3)
    np.testing.assert_array_equal(original, loaded)
    assert not np.array_equal(loaded[0, 0], loaded[0, 1]), "different z must give different outputs"
    np.testing.assert_array_equal(sampler.sample(images[0], 3, seed=7), loaded[0])


def test_sampler_bad_inputs():
    gan = make_gan(1.0)
    sampler = ImageSampler(gan.generator, gan.config)
    image = np.zeros((64, 64, 3), np.uint8)
    with pytest.raises(ValueError, match="uint8"):
        sampler.sample(image.astype(np.float32), 2)
    with pytest.raises(ValueError, match=r"shape \(H, W, 3\)"):
        sampler.sample(np.zeros((64, 64), np.uint8), 2)
    with pytest.raises(ValueError, match=r"shape \(H, W, 3\)"):
        sampler.sample(np.zeros((64, 64, 4), np.uint8), 2)
    with pytest.raises(ValueError, match="num_samples"):
        sampler.sample(image, 0)
    with pytest.raises(ValueError, match="z must have shape"):
        sampler.generate(np.zeros((1, 64, 64, 3), np.float32), np.zeros((1, 5), np.float32))
    with pytest.raises(ValueError, match="condition must have shape"):
        sampler.generate(np.zeros((1, 32, 32, 3), np.float32), np.zeros((1, 3), np.float32))


def test_fit_py_needs_a_data_dir_for_paired_models(tmp_path, capsys):
    from zoo.training.fit import main

    with pytest.raises(SystemExit):
        main(["--model", "msgan_pix2pix_maps", "--out", str(tmp_path / "run"), "--set", "ngf=4"])
    assert "pass --data-dir" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--model", "msgan_pix2pix_maps", "--set", "nfg=4"])
    assert "--set 'nfg=4'" in capsys.readouterr().err


def test_mixed_bfloat16_step_runs():
    keras.config.set_dtype_policy("mixed_bfloat16")
    gan = make_gan(1.0)
    logs = gan.train_step(batch())
    assert np.isfinite(float(logs["g_loss"]))
    assert gan.generator([batch()[0], np.zeros((1, 3), np.float32)]).dtype == "float32"


@pytest.mark.parametrize("num_d", [1, 3])
def test_train_step_with_one_or_three_patchgans(num_d):
    """One PatchGAN returns a bare tensor from Keras; the step must still read it as one scale
    (iterating a bare tensor would sum over batch rows instead)."""
    gan = make_gan(1.0, num_d=num_d, n_layers_d=2, image_size=64 if num_d == 1 else 128)
    size = gan.config.image_size
    logs = gan.train_step(batch(size=size, count=2))
    assert all(np.isfinite(float(v)) for v in logs.values())
    condition, real = batch(size=size, count=2)
    scores = gan.discriminate(condition, real, real, real)
    assert all(len(per_batch) == num_d for per_batch in scores)
    assert all(s.shape[0] == 2 for per_batch in scores for s in per_batch)
