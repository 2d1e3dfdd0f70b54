"""Learning-rate schedules of the image-to-image families (Pix2Pix, BicycleGAN, DRIT)."""
import keras
import tensorflow as tf
from keras import ops

from zoo.base import make_adam


@keras.saving.register_keras_serializable(package="msgan_zoo")
class ConstantThenLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Pix2Pix's ``lr_policy='lambda'``: constant, then linear decay, changed once per epoch.

    ``lr(epoch) = base * (1 - max(0, epoch + 1 - decay_start) / (decay_epochs + 1))`` for
    0-based ``epoch = step // steps_per_epoch``: the base rate for ``decay_start`` epochs,
    then down to ``base / (decay_epochs + 1)`` in the last epoch. ``steps_per_epoch`` is a
    variable, set by :meth:`Pix2Pix.fit` once the dataset is known.
    """

    def __init__(self, base_rate, decay_start, decay_epochs, steps_per_epoch=1):
        self.base_rate = float(base_rate)
        self.decay_start = int(decay_start)
        self.decay_epochs = int(decay_epochs)
        self.steps_per_epoch = tf.Variable(max(int(steps_per_epoch), 1), dtype=tf.int64,
                                           trainable=False, name="steps_per_epoch")

    def __call__(self, step):
        epoch = ops.cast(ops.cast(step, "int64") // self.steps_per_epoch, "float32")
        decayed = ops.maximum(0.0, epoch + 1.0 - self.decay_start) / (self.decay_epochs + 1.0)
        return self.base_rate * ops.maximum(1.0 - decayed, 0.0)

    def get_config(self):
        return {"base_rate": self.base_rate, "decay_start": self.decay_start,
                "decay_epochs": self.decay_epochs, "steps_per_epoch": int(self.steps_per_epoch.numpy())}


def schedule_for(config):
    return ConstantThenLinearDecay(config.learning_rate, config.decay_start_epoch,
                                   config.epochs - config.decay_start_epoch)


def set_steps_per_epoch(optimizers, dataset, steps_per_epoch):
    """Tell the epoch-based schedules how many steps an epoch has (``fit``'s or the dataset's)."""
    if steps_per_epoch is None and isinstance(dataset, tf.data.Dataset):
        cardinality = int(dataset.cardinality())
        steps_per_epoch = cardinality if cardinality > 0 else None
    if steps_per_epoch is None:
        return
    for optimizer in optimizers:
        schedule = getattr(optimizer, "_learning_rate", None)
        if isinstance(schedule, ConstantThenLinearDecay):
            schedule.steps_per_epoch.assign(int(steps_per_epoch))


class LinearDecayTraining:
    """Mixin for image-task GANs: Adam(2e-4, 0.5) per network on the constant-then-linear-decay
    schedule of the config, told the epoch length by ``fit``."""

    def compile(self, lambda_ms=None, **kwargs):
        config = self.config
        for key in ("g_optimizer", "d_optimizer"):
            kwargs.setdefault(key, make_adam(schedule_for(config), config.beta_1, config.beta_2))
        super().compile(lambda_ms=config.lambda_ms if lambda_ms is None else lambda_ms, **kwargs)

    def fit(self, x=None, *args, steps_per_epoch=None, **kwargs):
        set_steps_per_epoch((self.g_optimizer, self.d_optimizer), x, steps_per_epoch)
        return super().fit(x, *args, steps_per_epoch=steps_per_epoch, **kwargs)
