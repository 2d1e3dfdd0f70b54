"""training/unpaired_data.py: trainA/trainB folders, tfds cycle_gan, the official unpaired sampling."""
import numpy as np
import pytest
from PIL import Image

from zoo.training.data import DataError
from zoo.training.unpaired_data import (YOSEMITE, center_crop, folder_domains, list_domain_images, load_domains,
                                    tfds_domains, training_batches)
from zoo.drit import DRITConfig


def write_tree(root, counts, size=(30, 40)):
    """``root/<split><domain>/NN.png``: solid images whose red channel is 10 * index (+100 for B)."""
    for (split, domain), count in counts.items():
        folder = root / f"{split}{domain}"
        folder.mkdir(parents=True)
        for k in range(count):
            value = 10 * k + (100 if domain == "B" else 0)
            pixels = np.full((*size, 3), (value, 50, 200), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / f"{k:02d}.png")
    return root


def test_folder_tree_reads_both_domains_at_load_size(tmp_path):
    root = write_tree(tmp_path, {("train", "A"): 6, ("train", "B"): 3, ("test", "A"): 2, ("test", "B"): 2})
    paths_a, paths_b = list_domain_images(root)
    assert [len(paths_a), len(paths_b)] == [6, 3]
    images_a, images_b = folder_domains(root, 24)
    assert images_a.shape == (6, 24, 24, 3) and images_b.shape == (3, 24, 24, 3) and images_a.dtype == np.uint8
    assert sorted(images_a[:, 0, 0, 0]) == [0, 10, 20, 30, 40, 50]
    test_a, _ = folder_domains(root, 24, split="test")
    assert len(test_a) == 2
    crop = center_crop(test_a, 20)
    assert crop.shape == (2, 20, 20, 3) and crop.min() >= -1 and crop.max() <= 1


def test_an_epoch_walks_the_larger_domain_once_and_draws_the_other(tmp_path):
    root = write_tree(tmp_path, {("train", "A"): 6, ("train", "B"): 3})
    images_a, images_b = folder_domains(root, 24)
    dataset = training_batches(images_a, images_b, 20, batch_size=2, seed=3)
    assert int(dataset.cardinality()) == 3  # max(6, 3) // 2

    def epoch_ids():
        a_ids, b_ids = [], []
        for batch_a, batch_b in dataset:
            assert batch_a.shape == (2, 20, 20, 3) and batch_b.shape == (2, 20, 20, 3)
            a_ids += list(np.rint((batch_a.numpy()[:, 0, 0, 0] + 1) * 127.5 / 10).astype(int))
            b_ids += list(np.rint(((batch_b.numpy()[:, 0, 0, 0] + 1) * 127.5 - 100) / 10).astype(int))
        return a_ids, b_ids

    first_a, first_b = epoch_ids()
    second_a, _ = epoch_ids()
    assert sorted(first_a) == sorted(second_a) == list(range(6))  # every A image exactly once
    assert first_a != second_a  # reshuffled each epoch
    assert set(first_b) <= {0, 1, 2}


def test_random_crops_and_flips_are_per_image(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (2, 24, 24, 3), dtype=np.uint8)
    dataset = training_batches(images, images.copy(), 16, batch_size=2, seed=0)
    batch_a, batch_b = next(iter(dataset))
    assert batch_a.shape == (2, 16, 16, 3)
    assert float(batch_a.numpy().min()) >= -1.0 and float(batch_a.numpy().max()) <= 1.0
    # the same source arrays, independent jitter: A and B crops differ
    assert not np.array_equal(batch_a.numpy(), batch_b.numpy())


@pytest.mark.parametrize("layout, message", [
    (None, "data directory not found"),
    ({("train", "A"): 2}, "no 'trainB' folder"),
    ({("train", "A"): 2, ("train", "B"): 0}, "no images"),
])
def test_bad_trees_are_one_line_errors(tmp_path, layout, message):
    root = tmp_path / "data"
    if layout is not None:
        write_tree(root, layout)
    with pytest.raises(DataError, match=message) as caught:
        folder_domains(root, 24)
    assert "\n" not in str(caught.value)


def test_an_unreadable_image_is_named(tmp_path):
    root = write_tree(tmp_path, {("train", "A"): 2, ("train", "B"): 2})
    (root / "trainB" / "broken.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(DataError, match="cannot read image .*broken.jpg") as caught:
        folder_domains(root, 24)
    assert "\n" not in str(caught.value)


def test_batch_larger_than_the_data_and_crop_larger_than_the_images(tmp_path):
    images = np.zeros((1, 24, 24, 3), np.uint8)
    with pytest.raises(DataError, match="do not fill one batch"):
        training_batches(images, images, 16, batch_size=2)
    with pytest.raises(DataError, match="cannot be cropped to 32"):
        training_batches(np.zeros((4, 24, 24, 3), np.uint8), images, 32, batch_size=2)


def test_tfds_yosemite_through_mock_data():
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=3):
        images_a, images_b = tfds_domains(YOSEMITE, 24, "train")
        test_a, _ = load_domains(DRITConfig(name="msgan_drit_yosemite", dataset="yosemite", load_size=24,
                                            image_size=120), split="test")
    assert images_a.shape == (3, 24, 24, 3) and images_b.shape == (3, 24, 24, 3) and images_a.dtype == np.uint8
    assert test_a.shape == (3, 24, 24, 3)


def test_cat2dog_without_a_folder_says_what_to_pass():
    with pytest.raises(DataError, match="pass --data-dir, a folder with trainA/ and trainB/"):
        load_domains(DRITConfig(name="msgan_drit_cat2dog"))
