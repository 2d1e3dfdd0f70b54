"""Training runs of the lab's GANs: build, compile, fit for ``config.steps`` steps, time the steps.

The models (:mod:`zoo.lab.gan2d`, :mod:`zoo.lab.stacked_mnist`) say what a GAN *is*; this
module is how the benchmarks (``bench/mode_collapse.py``, ``bench/stacked_mnist.py``) and the
tests run one.
"""
import time

import keras

from zoo.lab import gan2d, stacked_mnist


class _StepTimer(keras.callbacks.Callback):
    """Wall time per step after the first ``warmup`` steps (excludes tracing)."""

    def __init__(self, warmup):
        super().__init__()
        self.warmup = warmup
        self.start = None
        self.start_step = 0
        self.end_step = 0

    def on_train_batch_end(self, batch, logs=None):
        if self.start is None and batch + 1 >= self.warmup:
            self.start, self.start_step = time.perf_counter(), batch + 1
        self.end_step = batch + 1
        self.end = time.perf_counter()

    def seconds_per_step(self):
        if self.start is None or self.end_step <= self.start_step:
            return float("nan")
        return (self.end - self.start) / (self.end_step - self.start_step)


def fit_timed(gan, data, verbose=0, callbacks=(), steps_per_execution=25, jit_compile=False):
    """Compile ``gan`` and fit it on ``data`` for one pass; returns the step-time record.

    Returns:
        ``{"seconds_per_step", "wall_seconds", "history"}``; the step time leaves out the first
        ``steps_per_execution`` steps (graph tracing).
    """
    gan.compile(jit_compile=jit_compile, steps_per_execution=steps_per_execution)
    timer = _StepTimer(warmup=steps_per_execution)
    start = time.perf_counter()
    # shuffle=False: the tf.data pipeline draws fresh samples; Keras would warn that it ignores shuffle=True.
    history = gan.fit(data, epochs=1, verbose=verbose, shuffle=False, callbacks=[timer, *callbacks])
    wall = time.perf_counter() - start
    return {"seconds_per_step": timer.seconds_per_step(), "wall_seconds": wall,
            "history": {k: [float(x) for x in v] for k, v in history.history.items()}}


def train_gan2d(config, mixture, verbose=0, callbacks=(), steps_per_execution=25, jit_compile=False):
    """Build, compile and train a :class:`zoo.lab.gan2d.GAN2D` on ``mixture`` for ``config.steps`` steps.

    Returns:
        ``(gan, info)`` with ``info`` from :func:`fit_timed`.
    """
    keras.utils.set_random_seed(config.seed)
    gan = gan2d.GAN2D(config)
    data = gan2d.make_dataset(mixture, config.steps, config.batch_size, seed=config.seed)
    return gan, fit_timed(gan, data, verbose, callbacks, steps_per_execution, jit_compile)


def train_stacked_mnist(config, images, verbose=0, callbacks=(), steps_per_execution=25, jit_compile=False):
    """Build, compile and train a :class:`zoo.lab.stacked_mnist.StackedMNISTGAN` for ``config.steps`` steps.

    ``images``: ``(M, 28, 28)`` uint8 digits, stacked three at a time into the training images.

    Returns:
        ``(gan, info)`` with ``info`` from :func:`fit_timed` (``seconds_per_step``,
        ``wall_seconds``, ``history``).
    """
    keras.utils.set_random_seed(config.seed)
    gan = stacked_mnist.StackedMNISTGAN(config)
    steps_per_execution = max(1, min(steps_per_execution, config.steps // 2))
    data = stacked_mnist.make_dataset(images, config.steps, config.batch_size, seed=config.seed)
    return gan, fit_timed(gan, data, verbose, callbacks, steps_per_execution, jit_compile)
