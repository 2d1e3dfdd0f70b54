"""Stacked MNIST: IDX reading, stacking, mode counting, the GAN's remedies and the --quick benchmark."""
import gzip
import json
import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from zoo.lab.mnist_files import load_mnist, read_idx, write_idx
from zoo.lab.stacked_mnist import (PackChannels, StackedMNISTConfig, StackedMNISTGAN, classify_channels,
                                   evaluate_stacked_modes, make_dataset, mode_ids, split_mnist, stack_digits)
from zoo.lab.unrolled import unrolled_generator_step


def _synthetic_mnist(folder, n=200, seed=0):
    """IDX files of ``n`` 28x28 "digits": digit d is a bright 6x6 square at a place set by d."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=n).astype(np.uint8)
    images = rng.integers(0, 30, size=(n, 28, 28)).astype(np.uint8)
    for image, label in zip(images, labels):
        row, col = divmod(int(label), 5)
        image[2 + 12 * row:8 + 12 * row, 1 + 5 * col:7 + 5 * col] = 255
    folder.mkdir(parents=True, exist_ok=True)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", images)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", labels)
    return images, labels


# -- IDX ------------------------------------------------------------------------------------
def test_read_idx_parses_a_hand_written_file(tmp_path):
    # Magic 0x00000803 (uint8, 3 dims), dims 2 x 2 x 3 big-endian, then the bytes row-major.
    payload = bytes(range(12))
    raw = bytes([0, 0, 8, 3]) + (2).to_bytes(4, "big") + (2).to_bytes(4, "big") + (3).to_bytes(4, "big") + payload
    (tmp_path / "x.idx").write_bytes(raw)
    with gzip.open(tmp_path / "x.idx.gz", "wb") as f:
        f.write(raw)
    for name in ("x.idx", "x.idx.gz"):
        array = read_idx(tmp_path / name)
        assert array.dtype == np.uint8 and array.shape == (2, 2, 3)
        np.testing.assert_array_equal(array, np.arange(12).reshape(2, 2, 3))
    # A big-endian int32 label file (type 0x0C) comes back in native order.
    labels = bytes([0, 0, 0x0C, 1]) + (2).to_bytes(4, "big") + (7).to_bytes(4, "big") + (300).to_bytes(4, "big")
    (tmp_path / "y.idx").write_bytes(labels)
    np.testing.assert_array_equal(read_idx(tmp_path / "y.idx"), [7, 300])


def test_read_idx_rejects_bad_files(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(tmp_path / "bad")
    (tmp_path / "short").write_bytes(bytes([0, 0, 8, 1]) + (5).to_bytes(4, "big") + b"\x00\x01")
    with pytest.raises(ValueError, match="header says shape"):
        read_idx(tmp_path / "short")
    with pytest.raises(FileNotFoundError, match="IDX file not found"):
        read_idx(tmp_path / "missing.gz")
    with pytest.raises(FileNotFoundError, match="MNIST not found"):
        load_mnist(tmp_path)


def test_write_then_load_mnist_round_trips(tmp_path):
    images, labels = _synthetic_mnist(tmp_path / "mnist", n=20)
    loaded_images, loaded_labels = load_mnist(tmp_path / "mnist")
    np.testing.assert_array_equal(loaded_images, images)
    np.testing.assert_array_equal(loaded_labels, labels)


# -- split, stacking, modes ------------------------------------------------------------------
def test_split_is_disjoint_fixed_and_complete():
    images = np.arange(100, dtype=np.uint8)[:, None, None] * np.ones((1, 28, 28), np.uint8)
    labels = np.arange(100) % 10
    a, b = split_mnist(images, labels, seed=3), split_mnist(images, labels, seed=3)
    ids_clf, ids_gan = a["classifier"][0][:, 0, 0], a["gan"][0][:, 0, 0]
    assert len(ids_clf) == 50 and len(ids_gan) == 50
    assert set(ids_clf).isdisjoint(ids_gan) and set(ids_clf) | set(ids_gan) == set(range(100))
    np.testing.assert_array_equal(ids_gan, b["gan"][0][:, 0, 0])
    np.testing.assert_array_equal(a["gan"][1], ids_gan % 10)
    assert not np.array_equal(ids_gan, split_mnist(images, labels, seed=4)["gan"][0][:, 0, 0])


def test_stacked_channels_and_mode_labels_agree():
    # Digit image k is filled with the value 20 * label: each channel tells its own label.
    labels = np.array([3, 1, 4, 1, 5, 9, 2, 6, 0, 7])
    images = (20 * labels)[:, None, None] * np.ones((1, 28, 28), np.int64)
    stacked, modes = stack_digits(images.astype(np.uint8), labels, 500, seed=0)
    assert stacked.shape == (500, 28, 28, 3) and stacked.dtype == np.float32
    assert stacked.min() >= -1 and stacked.max() <= 1
    channel_labels = np.rint((stacked[:, 0, 0, :] + 1) * 127.5 / 20).astype(int)
    np.testing.assert_array_equal(modes, 100 * channel_labels[:, 0] + 10 * channel_labels[:, 1] + channel_labels[:, 2])
    assert len(np.unique(modes)) > 300  # three independent draws, not one digit copied
    again, _ = stack_digits(images.astype(np.uint8), labels, 500, seed=0)
    np.testing.assert_array_equal(stacked, again)


def test_mode_ids_and_validation():
    np.testing.assert_array_equal(mode_ids([[1, 2, 3], [0, 0, 7], [9, 9, 9]]), [123, 7, 999])
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        mode_ids([[1, 2]])
    with pytest.raises(ValueError, match="0..9"):
        mode_ids([[1, 2, 10]])


def test_mode_counting_and_kl_on_constructed_cases():
    uniform = evaluate_stacked_modes(np.repeat(np.arange(1000), 26))
    assert uniform["modes_captured"] == 1000 and uniform["reverse_kl"] == pytest.approx(0.0, abs=1e-12)
    single = evaluate_stacked_modes(np.full(26000, 421))
    assert single["modes_captured"] == 1 and single["reverse_kl"] == pytest.approx(math.log(1000))
    assert single["counts"][421] == 26000 and sum(single["counts"]) == 26000
    half = evaluate_stacked_modes(np.arange(26000) % 500)
    assert half["modes_captured"] == 500 and half["reverse_kl"] == pytest.approx(math.log(2))
    with pytest.raises(ValueError, match="mode ids"):
        evaluate_stacked_modes(np.array([1000]))


def test_classify_channels_keeps_the_rgb_order():
    # A linear "classifier" on the mean pixel m: score_k = 2 m v_k - v_k^2 peaks at v_k nearest m.
    levels = np.linspace(-0.9, 0.9, 10).astype(np.float32)
    inputs = keras.Input((28, 28, 1))
    mean = keras.layers.GlobalAveragePooling2D()(inputs)
    scores = keras.layers.Dense(10, kernel_initializer=keras.initializers.Constant(2 * levels[None]),
                                bias_initializer=keras.initializers.Constant(-levels ** 2))(mean)
    classifier = keras.Model(inputs, scores)
    digits = np.array([[1, 2, 3], [9, 0, 5], [4, 4, 8]])
    images = levels[digits][:, None, None, :] * np.ones((1, 28, 28, 1), np.float32)
    np.testing.assert_array_equal(classify_channels(classifier, images), digits)
    with pytest.raises(ValueError, match=r"\(N, 28, 28, 3\)"):
        classify_channels(classifier, images[..., :1])


# -- the GAN ---------------------------------------------------------------------------------
def test_pack_channels_puts_consecutive_images_side_by_side():
    images = np.arange(4 * 2 * 2 * 3, dtype=np.float32).reshape(4, 2, 2, 3)
    packed = np.asarray(PackChannels(2)(images))
    assert packed.shape == (2, 2, 2, 6)
    np.testing.assert_array_equal(packed[1, ..., :3], images[2])
    np.testing.assert_array_equal(packed[1, ..., 3:], images[3])


def _tiny(**changes):
    return StackedMNISTConfig(g_width=4, d_width=2, batch_size=4, nz=8, mbd_kernels=3, mbd_kernel_dim=2, **changes)


@pytest.mark.parametrize("changes, logits", [({}, 4), ({"pack": 2}, 2), ({"minibatch_discrimination": True}, 4)])
def test_networks_shapes_and_remedies(changes, logits):
    gan = StackedMNISTGAN(_tiny(**changes))
    if changes.get("minibatch_discrimination"):
        # At the 0.02-std init every sample is "close" to every other; spread them apart.
        layer = gan.discriminator.get_layer("minibatch_discrimination")
        layer.kernel.assign(layer.kernel * 1000.0)
    z = np.random.default_rng(0).standard_normal((4, 8)).astype(np.float32)
    images = np.asarray(gan.generator([np.zeros((4, 0), np.float32), z]))
    assert images.shape == (4, 28, 28, 3) and np.abs(images).max() <= 1
    out = np.asarray(gan.discriminator([images, np.zeros((4, 0), np.float32)]))
    assert out.shape == (logits, 1)
    if changes.get("minibatch_discrimination"):
        # The closeness features of image 0 must depend on the other images of the batch.
        features = keras.Model(gan.discriminator.inputs, gan.discriminator.get_layer("minibatch_discrimination").output)
        other = images.copy()
        other[1:] = np.random.default_rng(1).uniform(-1, 1, other[1:].shape)
        before = np.asarray(features([images, np.zeros((4, 0), np.float32)]))[0, -3:]
        after = np.asarray(features([other, np.zeros((4, 0), np.float32)]))[0, -3:]
        assert np.abs(after - before).max() > 1e-2


@pytest.mark.parametrize("changes, logits", [({}, 4), ({"pack": 2}, 2), ({"minibatch_discrimination": True}, 4)])
def test_pacgan_architecture_shapes(changes, logits):
    gan = StackedMNISTGAN(_tiny(architecture="pacgan", **changes))
    # G: 2x2 -> 4x4 -> 7x7 -> 14x14 -> 28x28 with 5x5 kernels; D: 28 -> 14 -> 7 -> 4 -> 2.
    sizes = [layer.output.shape[1:3] for layer in gan.generator.layers if layer.name.startswith("deconv")
             and not layer.name.endswith("_bn")]
    assert sizes == [(4, 4), (7, 7), (14, 14), (28, 28)]
    assert gan.generator.get_layer("deconv1").kernel.shape == (5, 5, 16, 32)  # 4g <- 8g, g = 4
    widths = [gan.discriminator.get_layer(f"conv{i}").filters for i in range(1, 5)]
    assert widths == [2, 4, 8, 16]
    assert gan.discriminator.get_layer("conv4").output.shape[1:3] == (2, 2)
    assert [l.name for l in gan.discriminator.layers if l.name.endswith("_bn")] == ["conv2_bn", "conv3_bn", "conv4_bn"]
    z = np.random.default_rng(0).standard_normal((4, 8)).astype(np.float32)
    images = np.asarray(gan.generator([np.zeros((4, 0), np.float32), z]))
    assert images.shape == (4, 28, 28, 3) and np.abs(images).max() <= 1
    assert np.asarray(gan.discriminator([images, np.zeros((4, 0), np.float32)])).shape == (logits, 1)


def test_small_architecture_is_unchanged():
    gan = StackedMNISTGAN(_tiny())
    assert gan.generator.get_layer("project").units == 7 * 7 * 8
    assert gan.generator.get_layer("deconv1").kernel.shape == (4, 4, 4, 8)
    assert gan.generator.get_layer("deconv2").kernel.shape == (4, 4, 3, 4)
    assert not [l for l in gan.discriminator.layers if "bn" in l.name]


@pytest.mark.parametrize("changes", [{"lambda_ms": 1.0}, {"unroll_steps": 1}, {"architecture": "pacgan", "pack": 2}])
def test_generator_steps_update_g_more_often_than_d(changes):
    images = np.random.default_rng(0).integers(0, 255, (20, 28, 28)).astype(np.uint8)
    runs = {}
    for steps in (1, 2):
        keras.utils.set_random_seed(0)
        gan = StackedMNISTGAN(_tiny(generator_steps=steps, steps=2, **changes))
        gan.compile(run_eagerly=True)  # two tiny steps: tracing would cost more than running
        history = gan.fit(make_dataset(images, 2, 4), epochs=1, verbose=0)
        assert np.isfinite(history.history["g_loss"][-1])
        runs[steps] = gan
    assert int(runs[1].g_optimizer.iterations) == 2 and int(runs[1].d_optimizer.iterations) == 2
    assert int(runs[2].g_optimizer.iterations) == 4 and int(runs[2].d_optimizer.iterations) == 2


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="unknown Stacked MNIST architecture 'huge'"):
        StackedMNISTConfig(architecture="huge")
    with pytest.raises(ValueError, match="generator_steps must be >= 1, got 0"):
        StackedMNISTConfig(generator_steps=0)
    with pytest.raises(ValueError, match="multiple of pack"):
        StackedMNISTConfig(batch_size=33, pack=2)
    with pytest.raises(ValueError, match="unroll_steps"):
        StackedMNISTConfig(unroll_steps=-1)
    with pytest.raises(ValueError, match="lr_final_fraction"):
        StackedMNISTConfig(lr_final_fraction=0)


def test_learning_rate_decays_when_asked():
    gan = StackedMNISTGAN(_tiny(learning_rate=2e-4, lr_final_fraction=0.1, steps=100))
    gan.compile()
    schedule = gan.learning_rate_schedule()
    assert float(schedule(0)) == pytest.approx(2e-4) and float(schedule(100)) == pytest.approx(2e-5)
    assert StackedMNISTGAN(_tiny(learning_rate=2e-4)).learning_rate_schedule() == 2e-4


def test_unrolled_generator_gradient_flows_through_conv_discriminator():
    gan = StackedMNISTGAN(_tiny(unroll_steps=2))
    gan.compile()
    real = tf.constant(np.random.default_rng(1).uniform(-1, 1, (4, 28, 28, 3)).astype(np.float32))
    condition = tf.zeros((4, 0))
    grads = {}
    for k in (0, 2):
        gan.seed_generator = keras.random.SeedGenerator(7)  # the same z for both
        grads[k] = unrolled_generator_step(gan, condition, real, k, "sgd")["grads"]
    flat = {k: np.concatenate([np.ravel(g) for g in v]) for k, v in grads.items()}
    assert np.all(np.isfinite(flat[2])) and np.linalg.norm(flat[2]) > 0
    cosine = flat[0] @ flat[2] / (np.linalg.norm(flat[0]) * np.linalg.norm(flat[2]))
    assert cosine < 0.99999  # the unrolled D changes the generator's gradient


def test_dataset_yields_stacked_batches():
    images = (np.arange(10, dtype=np.uint8) * 20)[:, None, None] * np.ones((1, 28, 28), np.uint8)
    condition, batch = next(iter(make_dataset(images, steps=2, batch_size=5)))
    assert condition.shape == (5, 0) and batch.shape == (5, 28, 28, 3)
    assert float(tf.reduce_min(batch)) >= -1 and float(tf.reduce_max(batch)) <= 1


# -- scripts end to end ----------------------------------------------------------------------
def test_quick_benchmark_on_synthetic_mnist(tmp_path, load_script):
    mnist = tmp_path / "mnist"
    _synthetic_mnist(mnist, n=200)
    trainer = load_script("training/train_mnist_classifier.py")
    run = trainer.main(["--mnist-dir", str(mnist), "--out", str(tmp_path / "clf"), "--epochs", "2"])
    assert run["train"] == 100 and run["held_out"] == 100 and 0 <= run["held_out_accuracy"] <= 1
    assert (tmp_path / "clf" / "model.keras").stat().st_size < 1_000_000
    assert "held-out accuracy" in (tmp_path / "clf" / "README.md").read_text()

    bench = load_script("bench/stacked_mnist.py")
    out = tmp_path / "out"
    bench.main(["--quick", "--methods", "gan,unrolled5", "--mnist-dir", str(mnist), "--out", str(out),
                "--classifier", str(tmp_path / "clf" / "model.keras"), "--verbose", "0"])
    report = json.loads((out / "stacked_mnist.json").read_text())
    assert report["setting"]["steps"] == bench.QUICK["steps"] and report["runs_finished"] == 2
    assert report["classifier"]["held_out_accuracy"] == run["held_out_accuracy"]
    assert [row["method"] for row in report["summary"]] == ["gan", "unrolled5"]
    assert report["summary"][0]["relative_step_time"] == pytest.approx(1.0)
    for result in report["runs"] + [report["real_stacked"]]:
        assert result["num_samples"] == bench.QUICK["samples"] and len(result["counts"]) == 1000
        assert sum(result["counts"]) == result["num_samples"]
        assert 1 <= result["modes_captured"] <= 1000 and 0 <= result["reverse_kl"] <= math.log(1000) + 1e-9
    table = (out / "stacked_mnist.md").read_text()
    assert "| unrolled5 |" in table and "PacDCGAN2 (PacGAN paper) 1000 / 0.06" in table
    assert "real stacked digits" in table and "Machine:" in table and "--quick" in table
    for name in ("gan", "unrolled5", "real"):
        assert Image.open(out / f"stacked_mnist_{name}.png").size == (240, 240)


def test_benchmark_errors_are_one_line(tmp_path, capsys, load_script):
    bench = load_script("bench/stacked_mnist.py")
    classifier = tmp_path / "c.keras"
    classifier.write_bytes(b"")
    with pytest.raises(SystemExit) as exit_info:
        bench.main(["--quick", "--mnist-dir", str(tmp_path / "nowhere"), "--classifier", str(classifier)])
    assert exit_info.value.code == 2
    assert "MNIST not found" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        bench.parse_args(["--methods", "gan,wgan", "--classifier", str(classifier)])
    with pytest.raises(SystemExit):
        bench.parse_args(["--classifier", str(tmp_path / "none.keras")])
    assert "classifier not found" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        bench.parse_args(["--lr-final-fraction", "0", "--classifier", str(classifier)])
    assert "--lr-final-fraction must be in (0, 1]" in capsys.readouterr().err


def test_pacgan_setting_fills_defaults_and_explicit_flags_win(tmp_path, capsys, load_script):
    bench = load_script("bench/stacked_mnist.py")
    classifier = tmp_path / "c.keras"
    classifier.write_bytes(b"")
    args, _ = bench.parse_args(["--setting", "pacgan", "--steps", "30", "--classifier", str(classifier)])
    assert (args.architecture, args.g_width, args.d_width, args.batch_size, args.generator_steps) == ("pacgan", 64, 64, 64, 2)
    assert args.steps == 30 and args.learning_rate == 2e-4
    config = bench.method_config("pacgan2", 0, args)
    assert (config.architecture, config.generator_steps, config.pack, config.g_width) == ("pacgan", 2, 2, 64)
    small, _ = bench.parse_args(["--classifier", str(classifier)])
    assert (small.architecture, small.g_width, small.d_width, small.generator_steps) == ("small", 32, 8, 1)
    with pytest.raises(SystemExit):
        bench.parse_args(["--generator-steps", "0", "--classifier", str(classifier)])
    assert "--generator-steps, --g-width and --d-width must be >= 1" in capsys.readouterr().err


def test_a_bad_config_stops_before_any_training(tmp_path, load_script):
    bench = load_script("bench/stacked_mnist.py")
    classifier = tmp_path / "c.keras"
    classifier.write_bytes(b"")
    with pytest.raises(SystemExit, match="pacgan2: batch_size 33 is not a multiple of pack 2"):
        bench.main(["--methods", "gan,pacgan2", "--batch-size", "33", "--classifier", str(classifier),
                    "--mnist-dir", str(tmp_path / "nowhere")])
