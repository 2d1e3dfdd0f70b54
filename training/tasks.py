"""How fit.py feeds each model family: its data and the conditions of its sample grid."""
import numpy as np

from training.data import load_label_data


class LabelTask:
    """Class-conditioned models (DCGAN): one-hot labels in, images out."""

    def load_data(self, config, data_dir=None, limit=None):
        """``(unbatched dataset of (condition, image), num_examples)``."""
        dataset, count, _ = load_label_data(config, data_dir, limit=limit)
        return dataset, count

    def grid_conditions(self, config, dataset):
        """One row per class."""
        return np.eye(config.num_classes, dtype=np.float32)


TASKS = {"dcgan": LabelTask()}


def task_for(config):
    try:
        return TASKS[config.family]
    except KeyError:
        raise ValueError(f"fit.py has no task for model family {config.family!r}") from None
