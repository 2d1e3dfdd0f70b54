import numpy as np
import pytest

import zoo
from zoo.dcgan import DCGANConfig, build_generator
from zoo.dcgan import LabelSampler
from zoo.model_dir import load_sampler, save_generator
from zoo.sampling import to_uint8

CONFIG = DCGANConfig(name="tiny", dataset="digits", image_size=8, channels=1, d=8, nz=4,
                     class_names=tuple("0123456789"))


@pytest.fixture
def sampler():
    return LabelSampler(build_generator(CONFIG), CONFIG)


def test_sample_by_id_name_and_list(sampler):
    assert sampler.sample(3, 5, seed=0).shape == (5, 8, 8, 1)
    assert sampler.sample(3, 5, seed=0).dtype == np.uint8
    np.testing.assert_array_equal(sampler.sample("3", 5, seed=0), sampler.sample(3, 5, seed=0))
    assert sampler.sample([1, "2", 9], 2, seed=0).shape == (3, 2, 8, 8, 1)


@pytest.mark.parametrize("condition, num_samples, error, message", [
    (10, 2, ValueError, "class id 10 is out of range for tiny \\(10 classes: 0..9\\)"),
    (-1, 2, ValueError, "class id -1 is out of range"),
    ("cat", 2, ValueError, "unknown class name 'cat'"),
    (1.5, 2, TypeError, "a class must be an int id or a str name"),
    ([], 2, ValueError, "condition is empty"),
    (1, 0, ValueError, "num_samples must be an integer >= 1"),
])
def test_bad_conditions_are_clear_errors(sampler, condition, num_samples, error, message):
    with pytest.raises(error, match=message):
        sampler.sample(condition, num_samples)


def test_generate_checks_shapes(sampler):
    with pytest.raises(ValueError, match="condition must have shape \\(N, 10\\)"):
        sampler.generate(np.zeros((2, 9)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="z must have shape \\(N, 4\\)"):
        sampler.generate(np.zeros((2, 10)), np.zeros((2, 5)))
    with pytest.raises(ValueError, match="differ in batch size"):
        sampler.generate(np.zeros((2, 10)), np.zeros((3, 4)))


def test_to_uint8_range():
    np.testing.assert_array_equal(to_uint8(np.array([-1.0, 0.0, 1.0, 2.0])), [0, 128, 255, 255])


def test_save_and_load(tmp_path, sampler):
    save_generator(sampler.generator, CONFIG, tmp_path / "m")
    loaded = load_sampler(tmp_path / "m")
    np.testing.assert_array_equal(loaded.sample([0, 5], 3, seed=2), sampler.sample([0, 5], 3, seed=2))
    (tmp_path / "m" / "generator.weights.h5").write_bytes(b"not an h5 file")
    with pytest.raises(ValueError, match="cannot read generator weights"):
        load_sampler(tmp_path / "m")


def test_zoo_load_shipped_digits_models_differ_in_diversity_setting():
    ms, baseline = zoo.load("msgan_dcgan_digits"), zoo.load("dcgan_digits")
    assert ms.config.lambda_ms == 1.0 and baseline.config.lambda_ms == 0.0
    assert ms.sample("7", 8, seed=0).shape == (8, 8, 8, 1)
