"""Sample grids: rows = conditions, columns = noise; class names on the left, image inputs first."""
import numpy as np
import pytest
from PIL import Image

from zoo.training.callbacks import SampleGrid
from zoo.training.grids import grid_image, save_grid


class ConstantGenerator:
    """``G([condition, z])``: every output is mid-gray (0 in [-1, 1]), shape (N, 8, 8, C)."""

    def __init__(self, channels=3):
        self.channels = channels

    def __call__(self, inputs, training=False):
        return np.zeros((len(inputs[0]), 8, 8, self.channels), np.float32)


class FakeModel:
    def __init__(self, channels=3):
        self.generator, self.nz = ConstantGenerator(channels), 4


def test_row_labels_add_a_left_margin_with_text(tmp_path):
    images = np.full((3, 2, 8, 8, 3), 128, np.uint8)
    plain = save_grid(images, tmp_path / "plain.png", scale=4)
    labelled = save_grid(images, tmp_path / "labelled.png", scale=4, row_labels=["airplane", "cat", "truck"])
    with Image.open(plain) as a, Image.open(labelled) as b:
        assert b.height == a.height and b.width > a.width + 30  # room for "airplane"
        margin = np.asarray(b.convert("L"))[:, :b.width - a.width]
        assert (margin < 100).sum() > 20  # dark text pixels in the margin
        np.testing.assert_array_equal(np.asarray(b)[:, b.width - a.width:], np.asarray(a))
    with pytest.raises(ValueError, match="2 row labels for a grid of 3 rows"):
        save_grid(images, tmp_path / "bad.png", row_labels=["a", "b"])


def test_image_conditions_are_shown_as_the_first_column(tmp_path):
    inputs = np.ones((2, 8, 8, 3), np.float32)  # white inputs; the generator returns gray
    grid = SampleGrid(inputs, tmp_path, columns=3)
    grid.set_model(FakeModel())
    grid.on_epoch_end(0)
    with Image.open(grid.last_path) as image:
        pixels = np.asarray(image)
    scale = 64 // 8
    cell = 9 * scale  # 8 px + 1 px padding, upscaled
    assert pixels.shape[1] == (4 * 9 + 1) * scale  # input + 3 samples
    assert pixels[scale + cell // 2, scale + cell // 2].tolist() == [255, 255, 255]  # the input
    assert pixels[scale + cell // 2, scale + cell + cell // 2].tolist() == [128, 128, 128]  # a sample
    # A grayscale input beside colour outputs is shown in colour; labels get no input column.
    gray = SampleGrid(-np.ones((2, 8, 8, 1), np.float32), tmp_path / "gray", columns=2)
    gray.set_model(FakeModel())
    assert gray.input_column((8, 8, 3)).shape == (2, 8, 8, 3)
    labels = SampleGrid(np.eye(2, dtype=np.float32), tmp_path / "labels", columns=2, row_labels=["a", "b"])
    labels.set_model(FakeModel())
    labels.on_epoch_end(0)
    assert labels.input_column((8, 8, 3)) is None
    with pytest.raises(ValueError, match="1 row labels for 2 conditions"):
        SampleGrid(np.eye(2), tmp_path, row_labels=["a"])


def test_grid_image_tiles_rows_and_columns():
    images = np.zeros((2, 3, 4, 4, 1), np.uint8)
    assert grid_image(images).shape == (2 * 5 + 1, 3 * 5 + 1, 1)
    with pytest.raises(ValueError, match="rows, cols"):
        grid_image(images[0])

