"""How fit.py feeds each model family: its data and the conditions of its sample grid."""
import numpy as np

from training.data import load_label_data, training_pipeline


class LabelTask:
    """Class-conditioned models (DCGAN): one-hot labels in, images out."""

    def training_data(self, config, data_dir=None, limit=None):
        """``(batched dataset of (condition, image), num_examples)`` for ``fit``.

        Raises :class:`training.data.DataError` for unusable data.
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
