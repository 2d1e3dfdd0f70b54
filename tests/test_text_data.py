"""CUB text data (tfds mock images + a small embeddings file written here) and the fit task of StackGAN++."""
import os
import pickle

import numpy as np
import pytest
import tensorflow as tf

from zoo.training.data import DataError
from zoo.training.text_data import (EMBEDDINGS_FILE, FILENAMES_FILE, TextTask, crop_box, cub_dataset, file_key,
                                grid_captions, read_embeddings)
from zoo.stackgan import SHAPES, StackGANConfig
from zoo.stackgan.text import CaptionTokenizer


def write_embeddings(folder, keys, per_image=10, dim=6, as_list=True, seed=0):
    vectors = np.random.default_rng(seed).standard_normal((len(keys), per_image, dim)).astype(np.float32)
    with open(folder / EMBEDDINGS_FILE, "wb") as f:
        pickle.dump(list(vectors) if as_list else vectors, f, protocol=2)
    with open(folder / FILENAMES_FILE, "wb") as f:
        pickle.dump([k.encode() for k in keys], f, protocol=2)  # Python 2's str, as StackGAN's files
    return vectors


@pytest.mark.parametrize("as_list", [True, False])
def test_read_embeddings(tmp_path, as_list):
    vectors = write_embeddings(tmp_path, ["001.A/a_1", "002.B/b_2"], as_list=as_list)
    keys, embeddings = read_embeddings(tmp_path)
    assert keys == ["001.A/a_1", "002.B/b_2"]
    np.testing.assert_array_equal(embeddings, vectors)


class _Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_pickle_with_code_is_refused(tmp_path):
    write_embeddings(tmp_path, ["k"])
    (tmp_path / EMBEDDINGS_FILE).write_bytes(pickle.dumps([_Exploit()]))
    with pytest.raises(DataError, match="refused global") as error:
        read_embeddings(tmp_path)
    assert "\n" not in str(error.value)


def test_mismatched_files_are_one_line_errors(tmp_path):
    write_embeddings(tmp_path, ["a", "b"])
    with open(tmp_path / FILENAMES_FILE, "wb") as f:
        pickle.dump(["a"], f)
    with pytest.raises(DataError, match="1 file names but 2"):
        read_embeddings(tmp_path)
    with pytest.raises(DataError, match="not found"):
        read_embeddings(tmp_path / "missing")


def test_file_key():
    key = file_key(tf.constant("CUB_200_2011/images/001.Black_footed_Albatross/Black_Footed_Albatross_0001_796111.jpg"))
    assert key.numpy().decode() == "001.Black_footed_Albatross/Black_Footed_Albatross_0001_796111"


def official_crop(bbox, height, width):
    """The official get_imgs crop, from the pixel box of bounding_boxes.txt."""
    x, y, w, h = bbox
    r = int(np.maximum(w, h) * 0.75)
    cx, cy = int((2 * x + w) / 2), int((2 * y + h) / 2)
    return max(0, cy - r), max(0, cx - r), min(height, cy + r), min(width, cx + r)


@pytest.mark.parametrize("bbox, height, width", [
    ((60, 27, 325, 304), 375, 500), ((10, 200, 40, 30), 300, 300), ((0, 0, 500, 333), 333, 500),
])
def test_crop_box_matches_the_official_crop(bbox, height, width):
    x, y, w, h = bbox
    normalized = tf.constant([y / height, x / width, (y + h) / height, (x + w) / width], tf.float32)
    got = tuple(int(v) for v in crop_box(normalized, height, width))
    assert got == official_crop(bbox, height, width)


def test_cub_dataset_with_tfds_mock_data(tmp_path):
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=6):
        names = [ex["image/filename"].numpy().decode()
                 for ex in tfds.load("caltech_birds2011", split="train+test").take(12)]
        chosen = sorted(set(names))[:3]
        vectors = write_embeddings(tmp_path, [file_key(tf.constant(n)).numpy().decode() for n in chosen])
        dataset, count = cub_dataset(tmp_path, image_size=16, seed=0)
        examples = list(dataset.as_numpy_iterator())
    assert count == len(examples) == names.count(chosen[0]) + names.count(chosen[1]) + names.count(chosen[2])
    for embedding, image in examples:
        assert embedding.shape == (6,) and image.shape == (16, 16, 3)
        assert -1.0 <= image.min() and image.max() <= 1.0
        assert np.any(np.all(np.isclose(vectors.reshape(-1, 6), embedding), axis=1))  # one of the 10 of an image


def test_fit_task_for_shapes_gives_token_ids_and_images():
    config = StackGANConfig(name="t", **dict(SHAPES, batch_size=4))
    task = TextTask()
    dataset, count = task.training_data(config, limit=8)
    ids, images = next(iter(dataset))
    assert count == 8 and ids.shape == (4, config.max_caption_words) and ids.dtype == tf.int32
    assert images.shape == (4, 32, 32, 3) and -1.0 <= float(tf.reduce_min(images)) and float(tf.reduce_max(images)) <= 1.0
    grid = task.grid_conditions(config)
    texts, _ = grid_captions(config)
    assert grid.shape == (8, config.max_caption_words) and len(set(texts)) == 8
    labels = task.grid_labels(config)  # fit.py writes each row's caption beside the grid
    assert labels == texts
    np.testing.assert_array_equal(CaptionTokenizer(config.vocabulary, config.max_caption_words)(labels), grid)
    assert task.grid_labels(StackGANConfig(name="c")) is None


def test_fit_task_for_cub_needs_the_embeddings_folder():
    with pytest.raises(DataError, match="--data-dir"):
        TextTask().training_data(StackGANConfig(name="c"))
