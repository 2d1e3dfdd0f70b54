"""zoo.load: lookup order, explicit paths, random init, clear errors, no unsafe files."""
import numpy as np
import pytest

import zoo
from zoo.dcgan import DCGANConfig, build_generator
from zoo.model_dir import save_generator
from zoo.paths import GENERATOR_WEIGHTS

TINY = DCGANConfig(name="msgan_dcgan_digits", dataset="digits", image_size=8, channels=1, d=8,
                   class_names=tuple(str(i) for i in range(10)))


def tiny_generator(seed):
    import keras

    keras.utils.set_random_seed(seed)
    return build_generator(TINY)


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    home, package = tmp_path / "home", tmp_path / "package"
    monkeypatch.setenv("MSGAN_ZOO_HOME", str(home))
    monkeypatch.setattr("zoo.paths.PACKAGE_MODELS", package)
    return home, package


def weights_of(sampler):
    return sampler.generator.get_layer("deconv1").get_weights()[0]


def test_lookup_order_home_before_package(dirs):
    home, package = dirs
    save_generator(tiny_generator(1), TINY, package / "msgan_dcgan_digits")
    from_package = zoo.load("msgan_dcgan_digits")
    save_generator(tiny_generator(2), TINY, home / "msgan_dcgan_digits")
    from_home = zoo.load("msgan_dcgan_digits")
    assert not np.array_equal(weights_of(from_package), weights_of(from_home))
    reference = zoo.load(str(home / "msgan_dcgan_digits"))
    np.testing.assert_array_equal(weights_of(from_home), weights_of(reference))


def test_explicit_directory_and_weights_file(dirs, tmp_path, recwarn):
    generator = tiny_generator(3)
    save_generator(generator, TINY, tmp_path / "run")
    by_dir = zoo.load("msgan_dcgan_digits", weights=tmp_path / "run")
    by_file = zoo.load("msgan_dcgan_digits", weights=str(tmp_path / "run" / GENERATOR_WEIGHTS))
    np.testing.assert_array_equal(weights_of(by_dir), generator.get_layer("deconv1").get_weights()[0])
    np.testing.assert_array_equal(by_dir.sample(4, 6, seed=9), by_file.sample(4, 6, seed=9))
    # A lone weights file is read with the registry's config (d = 64): shapes must match.
    lone = tmp_path / "lone" / GENERATOR_WEIGHTS
    lone.parent.mkdir()
    lone.write_bytes((tmp_path / "run" / GENERATOR_WEIGHTS).read_bytes())
    with pytest.raises(ValueError, match="cannot read generator weights") as error:
        zoo.load("msgan_dcgan_digits", weights=lone)
    assert "\n" not in str(error.value)
    # Only our line: not Keras' warnings about each layer group it could not match first.
    assert not [w for w in recwarn if "Skipping" in str(w.message)]


def test_same_seed_same_samples_after_round_trip(dirs, tmp_path):
    save_generator(tiny_generator(4), TINY, tmp_path / "run")
    a, b = zoo.load(str(tmp_path / "run")), zoo.load(str(tmp_path / "run"))
    np.testing.assert_array_equal(a.sample([1, "7"], 5, seed=3), b.sample([1, "7"], 5, seed=3))
    samples = a.sample(2, 5, seed=3)
    assert samples.shape == (5, 8, 8, 1) and samples.dtype == np.uint8
    assert len({s.tobytes() for s in samples}) == 5  # different noise, different samples


def test_random_init_needs_no_weights(dirs):
    sampler = zoo.load("msgan_dcgan_cifar10", weights=None)
    assert sampler.generator.output_shape == (None, 32, 32, 3)
    assert sampler.sample("cat", 2, seed=0).shape == (2, 32, 32, 3)


def test_missing_weights_say_how_to_train_them(dirs):
    with pytest.raises(FileNotFoundError, match=r"python training/fit.py --model dcgan_cifar10") as error:
        zoo.load("dcgan_cifar10")
    assert "weights=None" in str(error.value) and "\n" not in str(error.value)


def test_names_are_validated_before_touching_the_disk(dirs):
    with pytest.raises(ValueError, match="invalid model name"):
        zoo.load("..")
    with pytest.raises(KeyError, match="did you mean msgan_dcgan_digits"):
        zoo.load("msgan_dcgan_digit")
    with pytest.raises(FileNotFoundError, match="model directory not found"):
        zoo.load("../nowhere/msgan_dcgan_digits")


def test_corrupted_or_unsafe_weights_give_one_line_errors(dirs, tmp_path):
    directory = tmp_path / "run"
    save_generator(tiny_generator(5), TINY, directory)
    weights = directory / GENERATOR_WEIGHTS
    original = weights.read_bytes()
    weights.write_bytes(b"not an hdf5 file at all")
    with pytest.raises(ValueError, match="corrupted: not an HDF5 file"):
        zoo.load(str(directory))
    weights.write_bytes(original[: len(original) // 2])  # truncated: valid signature, broken body
    with pytest.raises(ValueError, match="cannot read generator weights") as error:
        zoo.load(str(directory))
    assert "\n" not in str(error.value)
    pickled = tmp_path / "model.pkl"
    pickled.write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(ValueError, match="no pickle"):
        zoo.load("msgan_dcgan_digits", weights=str(pickled))


def test_weights_of_another_family_are_refused(dirs, tmp_path):
    save_generator(tiny_generator(6), TINY, tmp_path / "run")
    with pytest.raises(ValueError, match="holds a 'dcgan' model, not a 'pix2pix' one"):
        zoo.load("msgan_pix2pix_maps", weights=tmp_path / "run")


def test_bad_conditions_are_one_line_errors(dirs):
    sampler = zoo.load("msgan_dcgan_digits", weights=None)
    z = np.zeros((2, sampler.config.nz), np.float32)
    cases = [
        (lambda: sampler.sample(10, 2), ValueError, "out of range"),
        (lambda: sampler.sample("x", 2), ValueError, "unknown class name"),
        (lambda: sampler.sample(3.0, 2), TypeError, "int id or a str name"),
        (lambda: sampler.sample(3, 0), ValueError, "num_samples must be an integer >= 1"),
        (lambda: sampler.generate(np.zeros((2, 9)), z), ValueError, r"shape \(N, 10\)"),
        (lambda: sampler.generate(np.full((2, 10), 3.0), z), ValueError, r"values in \[0, 1\]"),
    ]
    for call, error_type, message in cases:
        with pytest.raises(error_type, match=message) as error:
            call()
        assert "\n" not in str(error.value)


def test_import_zoo_is_lazy_and_attributes_still_resolve(tmp_path):
    """``import zoo`` loads no Keras/TensorFlow; ``zoo.load`` & co. import on first use."""
    import subprocess
    import sys

    code = """
import sys, zoo
from zoo.conditions import class_ids
before = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras"))
print(before == [], class_ids(["cat", 1], ("dog", "cat"), 2, "m").tolist())
print(callable(zoo.load), zoo.mode_seeking_loss.__module__, "msgan_dcgan_digits" in zoo.model_names())
try:
    zoo.no_such_thing
except AttributeError as error:
    print(error)
"""
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.splitlines() == ["True [1, 1]", "True zoo.losses True",
                                       "module 'zoo' has no attribute 'no_such_thing'"]
    assert {"load", "list_models", "mode_seeking_loss"} <= set(dir(zoo))


def test_bare_name_of_a_run_directory_loads_it_but_zoo_names_win(dirs, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    generator = tiny_generator(5)
    save_generator(generator, TINY, tmp_path / "check_abc")
    sampler = zoo.load("check_abc")  # fit.py --out check_abc, then load it by its bare name
    np.testing.assert_array_equal(weights_of(sampler), generator.get_layer("deconv1").get_weights()[0])
    # A directory named like a zoo model does not shadow the zoo's model.
    home, _ = dirs
    save_generator(tiny_generator(6), TINY, home / "msgan_dcgan_digits")
    save_generator(tiny_generator(7), TINY, tmp_path / "msgan_dcgan_digits")
    np.testing.assert_array_equal(weights_of(zoo.load("msgan_dcgan_digits")),
                                  weights_of(zoo.load(str(home / "msgan_dcgan_digits"))))
    # A bare name that is neither stays the unknown-name error.
    with pytest.raises(KeyError, match="unknown model 'check_abd'"):
        zoo.load("check_abd")
