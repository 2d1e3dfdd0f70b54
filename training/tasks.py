"""How fit.py feeds each model family: its data and the conditions of its sample grid."""
import numpy as np

from zoo.training.data import load_label_data, training_pipeline
from zoo.training.text_data import TextTask
from zoo.training.unpaired_data import UnpairedTask


class LabelTask:
    """Class-conditioned models (DCGAN): one-hot labels in, images out."""

    def training_data(self, config, data_dir=None, limit=None):
        """``(batched dataset of (condition, image), num_examples)`` for ``fit``.

        Raises :class:`zoo.training.data.DataError` for unusable data.
        """
        dataset, count, _ = load_label_data(config, data_dir, limit=limit)
        return training_pipeline(dataset, count, config.batch_size, seed=config.seed), count

    def grid_conditions(self, config, data_dir=None):
        """The conditions of the per-epoch sample grid: one row per class."""
        return np.eye(config.num_classes, dtype=np.float32)


TASKS = {"dcgan": LabelTask()}


def task_for(config):
    try:
        return TASKS[config.family]
    except KeyError:
        raise ValueError(f"fit.py has no task for model family {config.family!r}") from None


class PairedTask:
    """Image-conditioned models (Pix2Pix, BicycleGAN): an input image in, an output image out.

    Data: the standard paired layout (``train/``, ``val/``, ``test/`` of A|B side-by-side
    images, see :mod:`zoo.training.paired_data`); ``config.direction`` picks AtoB or BtoA.
    """

    grid_rows = 4

    def training_data(self, config, data_dir=None, limit=None):
        """``(batched dataset of (input image, target image), num_pairs)``; jittered, in [-1, 1]."""
        from zoo.training.data import DataError
        from zoo.training.paired_data import load_size_for, training_pairs

        if data_dir is None:
            raise DataError(f"{config.name} trains on paired images: pass --data-dir "
                            f"(a folder with train/ of A|B side-by-side images, e.g. pix2pix's {config.dataset})")
        load_size = load_size_for(config.image_size, config.load_size)
        return training_pairs(data_dir, config.image_size, config.batch_size, config.direction,
                              load_size=load_size, limit=limit, seed=config.seed)

    def grid_conditions(self, config, data_dir=None):
        """The first validation inputs (training inputs when there is no ``val/``), one grid row each."""
        from pathlib import Path

        from zoo.training.paired_data import load_pairs

        split = "val" if data_dir is not None and (Path(data_dir) / "val").is_dir() else "train"
        inputs, _ = load_pairs(data_dir, config.image_size, split, config.direction, limit=self.grid_rows)
        return inputs


TASKS.update({"pix2pix": PairedTask(), "bicyclegan": PairedTask()})

# Text -> image (StackGAN++): CUB with char-CNN-RNN embeddings, or the captioned shapes task.
TASKS["stackgan"] = TextTask()

# Unpaired image -> image (DRIT): trainA/ trainB/ folders, or tfds cycle_gan for Yosemite.
TASKS["drit"] = UnpairedTask()
