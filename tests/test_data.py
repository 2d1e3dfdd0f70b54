import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from zoo.training.data import (DataError, digits_arrays, list_image_folder, load_label_data,
                           training_pipeline)
from zoo.dcgan import CIFAR10_CLASSES, DCGANConfig
from zoo.registry import get_config


def write_tree(root, classes, size=(8, 8), per_class=2, sizes=None):
    rng = np.random.default_rng(0)
    for c in classes:
        (root / c).mkdir(parents=True)
        for i in range(per_class):
            s = sizes.get((c, i), size) if sizes else size
            pixels = rng.integers(0, 255, (s[1], s[0], 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / c / f"{i:04d}.jpg")


def test_digits_are_real_scaled_and_labelled():
    images, labels = digits_arrays()
    assert images.shape == (1797, 8, 8, 1) and labels.shape == (1797,)
    assert images.min() == -1.0 and images.max() == 1.0
    assert set(labels) == set(range(10))


def test_digits_pipeline_batches_one_hot_and_images():
    config = get_config("msgan_dcgan_digits")
    dataset, count, names = load_label_data(config)
    batched = training_pipeline(dataset, count, 32)
    condition, image = next(iter(batched))
    assert count == 1797 and names == tuple(str(i) for i in range(10))
    assert condition.shape == (32, 10) and image.shape == (32, 8, 8, 1)
    np.testing.assert_array_equal(tf.reduce_sum(condition, axis=1), np.ones(32))
    assert sum(1 for _ in batched) == 1797 // 32  # full batches only


def test_batch_larger_than_dataset_is_a_clear_error():
    config = get_config("msgan_dcgan_digits")
    dataset, count, _ = load_label_data(config, limit=10)
    with pytest.raises(DataError, match="batch size 32 is larger than the dataset \\(10 examples\\)"):
        training_pipeline(dataset, count, 32)


def test_image_folder_tree_classes_in_sorted_order(tmp_path):
    write_tree(tmp_path / "train", ["truck", "airplane", "cat"])
    paths, labels, names = list_image_folder(tmp_path / "train")
    assert names == ("airplane", "cat", "truck")
    assert [p.split("/")[-2] for p in paths[::2]] == list(names)
    assert list(labels) == [0, 0, 1, 1, 2, 2]


def test_cifar10_folder_loader_reads_a_tree(tmp_path):
    write_tree(tmp_path / "train", CIFAR10_CLASSES, size=(32, 32), per_class=1)
    config = DCGANConfig()
    dataset, count, names = load_label_data(config, data_dir=tmp_path)
    condition, image = next(iter(dataset))
    assert count == 10 and names == CIFAR10_CLASSES
    assert image.shape == (32, 32, 3) and -1.0 <= float(tf.reduce_min(image)) <= float(tf.reduce_max(image)) <= 1.0


def test_cifar10_folder_with_other_class_names_is_an_error(tmp_path):
    names = list(CIFAR10_CLASSES)
    names[3] = "kitten"  # sorts elsewhere: every label after it would shift
    write_tree(tmp_path / "train", names, size=(32, 32), per_class=1)
    with pytest.raises(DataError, match="kitten.*expects airplane, automobile, bird, cat") as error:
        load_label_data(DCGANConfig(), data_dir=tmp_path)
    assert str(tmp_path / "train") in str(error.value) and "\n" not in str(error.value)


def test_cifar10_folder_with_too_few_classes_is_an_error(tmp_path):
    write_tree(tmp_path / "train", CIFAR10_CLASSES[:9], size=(32, 32), per_class=1)
    with pytest.raises(DataError, match="found 9 classes, the model expects 10"):
        load_label_data(DCGANConfig(), data_dir=tmp_path)


@pytest.mark.parametrize("case, message", [
    ("missing", "data directory not found"),
    ("no_classes", "no class folders"),
    ("empty_class", "class folder has no images"),
    ("mixed_sizes", "mixed image sizes"),
])
def test_bad_trees_are_one_line_errors_naming_the_path(tmp_path, case, message):
    root = tmp_path / "train"
    if case == "no_classes":
        root.mkdir()
    elif case == "empty_class":
        write_tree(root, ["a"])
        (root / "b").mkdir()
    elif case == "mixed_sizes":
        write_tree(root, ["a", "b"], sizes={("b", 1): (9, 8)})
    with pytest.raises(DataError, match=message) as error:
        from zoo.training.data import image_folder_dataset
        image_folder_dataset(root)
    assert "\n" not in str(error.value)
    if case != "missing":
        assert str(root) in str(error.value)


def test_cifar10_through_tfds_with_mock_data():
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=6):
        dataset, count, names = load_label_data(DCGANConfig())
        condition, image = next(iter(dataset))
    assert count == 6 and len(names) == 10  # mock metadata has no class names
    assert condition.shape == (10,) and image.shape == (32, 32, 3)
    assert float(tf.reduce_max(image)) <= 1.0 and float(tf.reduce_min(image)) >= -1.0
