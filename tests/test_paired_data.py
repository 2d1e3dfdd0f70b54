"""Paired A|B data: layout checks, jitter alignment, directions, pipelines."""
import numpy as np
import tensorflow as tf
import pytest
from PIL import Image

from zoo.training.data import DataError
from zoo.training.paired_data import (jitter, list_pairs, load_pairs, load_size_for, paired_dataset,
                                  training_pairs)


def pattern(size, seed):
    """A non-symmetric RGB image, so any misaligned crop or flip shows."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (size, size, 3), dtype=np.uint8)


def write_pairs(folder, count, size=16, same=False, fmt="png"):
    """``count`` side-by-side pairs; ``same=True`` makes B a copy of A."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        a = pattern(size, i)
        b = a if same else 255 - a
        Image.fromarray(np.concatenate([a, b], axis=1)).save(folder / f"{i + 1}.{fmt}")
    return folder


def test_load_size_scales_pix2pix_286():
    assert load_size_for(256) == 286
    assert load_size_for(64) == 72


def test_jitter_applies_the_same_crop_and_flip_to_a_and_b(tmp_path):
    write_pairs(tmp_path / "train", 2, size=32, same=True, fmt="png")
    dataset, count = paired_dataset(tmp_path, 16, load_size=32, seed=0)  # seeded: must still vary per epoch
    seen = set()
    for _ in range(12):
        for a, b in dataset:
            np.testing.assert_array_equal(a.numpy(), b.numpy())
            seen.add(a.numpy().tobytes())
    assert count == 2
    assert len(seen) > 4, "jitter should draw different crops / flips"


def test_jitter_crops_a_and_b_at_the_same_place():
    a = np.arange(10 * 10 * 3, dtype=np.float32).reshape(10, 10, 3)
    for seed in range(5):
        ja, jb = jitter(a, a + 1000.0, 6, tf.constant([seed, 7]))
        np.testing.assert_array_equal(ja.numpy() + 1000.0, jb.numpy())


def test_directions_swap_input_and_target(tmp_path):
    write_pairs(tmp_path / "val", 3)
    a_to_b = load_pairs(tmp_path, 16, "val", "AtoB")
    b_to_a = load_pairs(tmp_path, 16, "val", "BtoA")
    np.testing.assert_allclose(a_to_b[0], b_to_a[1])
    np.testing.assert_allclose(a_to_b[1], b_to_a[0])
    expected_a = pattern(16, 0).astype(np.float32) / 127.5 - 1.0
    np.testing.assert_allclose(a_to_b[0][0], expected_a, atol=1e-5)
    assert a_to_b[0].min() >= -1.0 and a_to_b[0].max() <= 1.0


def test_pairs_are_listed_in_numeric_order(tmp_path):
    write_pairs(tmp_path / "train", 11)
    names = [p.rsplit("/", 1)[1] for p in list_pairs(tmp_path)]
    assert names[:3] == ["1.png", "2.png", "3.png"] and names[-1] == "11.png"


def test_training_pipeline_batches_jpegs(tmp_path):
    write_pairs(tmp_path / "train", 5, size=16, fmt="jpg")
    dataset, count = training_pairs(tmp_path, 16, batch_size=2)
    batches = list(dataset)
    assert count == 5 and len(batches) == 2
    a, b = batches[0]
    assert a.shape == (2, 16, 16, 3) and b.shape == (2, 16, 16, 3)
    assert a.dtype.name == "float32"


def test_missing_and_empty_folders(tmp_path):
    with pytest.raises(DataError, match="not found"):
        list_pairs(tmp_path / "nowhere")
    with pytest.raises(DataError, match="no 'train' folder"):
        list_pairs(tmp_path)
    (tmp_path / "train").mkdir()
    with pytest.raises(DataError, match="no .jpg/.png pair images"):
        list_pairs(tmp_path)


def test_width_must_be_twice_the_height(tmp_path):
    folder = write_pairs(tmp_path / "train", 1)
    Image.fromarray(pattern(16, 0)[:, :15]).save(folder / "2.png")
    with pytest.raises(DataError, match=r"2.png is 15x16: .*width = 2 x height"):
        list_pairs(tmp_path)


def test_grayscale_files_are_refused(tmp_path):
    folder = write_pairs(tmp_path / "train", 1)
    Image.fromarray(np.zeros((8, 16), np.uint8), mode="L").save(folder / "2.jpg")
    with pytest.raises(DataError, match="2.jpg is a L image; pairs must be RGB"):
        list_pairs(tmp_path)


def test_unreadable_file_and_bad_arguments(tmp_path):
    folder = write_pairs(tmp_path / "train", 2)
    with pytest.raises(DataError, match="larger than the dataset"):
        training_pairs(tmp_path, 16, batch_size=3)
    with pytest.raises(DataError, match="direction"):
        paired_dataset(tmp_path, 16, direction="AtoC")
    (folder / "3.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(DataError, match="cannot read image"):
        list_pairs(tmp_path)
