"""Keras callbacks for GAN training: sample grids per epoch, resumable checkpoints, history, wall time."""
import json
import os
import sys
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from zoo.training.grids import save_grid
from zoo.training.numerics import NonFiniteTraining, non_finite_items
from zoo.sampling import to_uint8


class SampleGrid(keras.callbacks.Callback):
    """Write ``samples/epoch_NNN.png`` after every epoch: one row per condition, one column per z.

    The noise is fixed for the whole run, so the grids of successive epochs are comparable and
    a row whose columns look alike is mode collapse. Image conditions (Pix2Pix, BicycleGAN) are
    shown as the first column, so each row says what it was generated from.

    Args:
        conditions: generator conditions, ``(rows, ...)`` (one-hot labels or input images in
            [-1, 1]).
        out_dir: where the PNGs go.
        columns: noise vectors per condition.
        row_labels: a text per row in a left margin (``fit.py`` passes the class names).
    """

    def __init__(self, conditions, out_dir, columns=10, seed=1234, row_labels=None):
        super().__init__()
        self.conditions = np.asarray(conditions, np.float32)
        self.out_dir = Path(out_dir)
        self.columns = columns
        self.seed = seed
        self.row_labels = None if row_labels is None else [str(label) for label in row_labels]
        if self.row_labels is not None and len(self.row_labels) != len(self.conditions):
            raise ValueError(f"{len(self.row_labels)} row labels for {len(self.conditions)} conditions")
        self.last_path = None

    def on_epoch_end(self, epoch, logs=None):
        rows = len(self.conditions)
        z = np.random.default_rng(self.seed).standard_normal((rows * self.columns, self.model.nz)).astype(np.float32)
        condition = np.repeat(self.conditions, self.columns, axis=0)
        images = to_uint8(self.model.generator([condition, z], training=False))
        images = images.reshape(rows, self.columns, *images.shape[1:])
        inputs = self.input_column(images.shape[2:])
        if inputs is not None:
            images = np.concatenate([inputs[:, None], images], axis=1)
        self.last_path = save_grid(images, self.out_dir / f"epoch_{epoch + 1:03d}.png", row_labels=self.row_labels)

    def input_column(self, image_shape):
        """The image conditions as uint8 images of the outputs' shape, or None (labels, other sizes)."""
        if self.conditions.ndim != 4 or self.conditions.shape[1:3] != tuple(image_shape[:2]):
            return None
        inputs = to_uint8(self.conditions)
        if inputs.shape[-1] == image_shape[-1]:
            return inputs
        if inputs.shape[-1] == 1:  # a grayscale input beside colour outputs
            return np.repeat(inputs, image_shape[-1], axis=-1)
        return None


class StopOnNonFinite(keras.callbacks.Callback):
    """Raise :class:`zoo.training.numerics.NonFiniteTraining` on the first NaN/inf loss or weight.

    Losses: the logs after every batch (the epoch's running means, so the first non-finite one
    is the step whose loss was). Weights of G and D: at the end of every epoch, since a
    non-finite update on an epoch's last step leaves finite logs. Raising, not ``stop_training``
    (after which Keras still ends the epoch and runs every ``on_epoch_end``), keeps the callbacks
    after this one from checkpointing or publishing the broken state: put it first.
    """

    def __init__(self):
        super().__init__()
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch + 1

    def on_train_batch_end(self, batch, logs=None):
        bad = non_finite_items(logs)
        if bad:
            what = "loss (" + ", ".join(f"{k}={v}" for k, v in sorted(bad.items())) + ")"
            raise NonFiniteTraining(self.epoch, batch + 1, what)

    def on_epoch_end(self, epoch, logs=None):
        # Every network the GAN tracks (G and D; DRIT's encoders, generator and five discriminators).
        for variable in self.model.weights:
            if not np.all(np.isfinite(keras.ops.convert_to_numpy(variable.value))):
                raise NonFiniteTraining(self.epoch, None, f"weight {variable.path}")


class TrainingCheckpoint(keras.callbacks.Callback):
    """Checkpoint G, D, both optimizers, the noise RNG and the epoch after every epoch.

    Uses ``tf.train.Checkpoint`` (the training wrapper's two optimizers are not part of
    ``Model.save_weights``). :meth:`restore` returns the epoch to resume from.

    The object graph of ``tf.train.Checkpoint`` does not reach layers that a Keras 3 model keeps
    in Python lists, and trainable weights only reach it through the optimizers; so the
    non-trainable variables of both networks (batch-norm running statistics, frozen encoders,
    seed states) are listed explicitly as ``generator_state`` / ``discriminator_state``.
    Without them a resumed run restarted every listed batch norm's statistics at 0 / 1 (13 of the
    StackGAN++ generator's 14), and a finished run re-published with ``--resume`` wrote a
    generator with those reset statistics. Checkpoints written before this change still
    restore (their statistics restart, with a warning).
    """

    def __init__(self, gan, directory, max_to_keep=2):
        super().__init__()
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
        self.parts = dict(generator=gan.generator, discriminator=gan.discriminator,
                          g_optimizer=gan.g_optimizer, d_optimizer=gan.d_optimizer,
                          noise_state=gan.seed_generator.state.value, epoch=self.epoch)
        self.state = dict(generator_state=_state_variables(gan.generator),
                          discriminator_state=_state_variables(gan.discriminator))
        self.checkpoint = tf.train.Checkpoint(**self.parts, **self.state)
        self.manager = tf.train.CheckpointManager(self.checkpoint, str(directory), max_to_keep=max_to_keep)
        self.gan = gan

    def restore(self):
        """Restore the latest checkpoint if there is one; returns the number of finished epochs."""
        latest = self.manager.latest_checkpoint
        if latest is None:
            return 0
        self.gan.build_optimizers()
        saved = tf.train.load_checkpoint(latest).get_variable_to_shape_map()
        if not any(self.state.values()) or any(key.startswith(tuple(self.state)) for key in saved):
            self.checkpoint.restore(latest).assert_existing_objects_matched()
        else:  # written before the state lists existed: everything else, strictly
            tf.train.Checkpoint(**self.parts).restore(latest).assert_existing_objects_matched()
            print(f"TrainingCheckpoint: warning: {latest} holds no running statistics (written before they "
                  f"were checkpointed); batch norms restart theirs", file=sys.stderr)
        return int(self.epoch.numpy())

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.assign(epoch + 1)
        self.manager.save(checkpoint_number=epoch + 1)


def _state_variables(model):
    """The ``tf.Variable`` behind every non-trainable variable of a Keras model (deduplicated, in order);
    none for a plain ``tf.train.Checkpoint`` group (DRIT's discriminators), which tracks its own."""
    seen, variables = set(), []
    for variable in getattr(model, "non_trainable_variables", ()):
        value = getattr(variable, "value", variable)
        if isinstance(value, tf.Variable) and id(value) not in seen:
            seen.add(id(value))
            variables.append(value)
    return variables


class EpochGenerators(keras.callbacks.Callback):
    """Write the generator of every ``every``-th epoch to ``directory/epoch_NNN/``.

    Each is a saved-model directory (``generator.weights.h5`` + ``config.json`` with ``epochs``
    set to that epoch): ``zoo.load(path)`` samples from it and ``evaluate.py --model path``
    scores it, so a run's earlier epochs can be compared with its last one (``compare_reports.py``)
    without keeping whole training checkpoints (G, D and both optimizers: 74 MB against 14 MB for
    the CIFAR-10 DCGAN) per epoch. Written into a temporary directory first, then renamed, so a
    killed process leaves no half-written one.
    """

    def __init__(self, config, directory, every):
        super().__init__()
        if every < 1:
            raise ValueError(f"keep every N epochs needs N >= 1, got {every}")
        self.config, self.directory, self.every = config, Path(directory), every

    def on_epoch_end(self, epoch, logs=None):
        import shutil

        from zoo.model_dir import save_generator

        if (epoch + 1) % self.every:
            return
        target = self.directory / f"epoch_{epoch + 1:03d}"
        staging = self.directory / f".epoch_{epoch + 1:03d}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        save_generator(self.model.generator, self.config.replace(epochs=epoch + 1), staging)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)


class EpochWallTime(keras.callbacks.Callback):
    """Add every finished epoch's wall time to a one-number file, ``out/wall_time_s``.

    Written after each epoch (atomically), so the training time of a run resumed across killed
    processes adds up: only the unfinished epoch of a killed process is lost. :attr:`total` is the
    accumulated value.
    """

    def __init__(self, path):
        super().__init__()
        self.path = Path(path)
        self._start = None

    @property
    def total(self):
        if not self.path.is_file():
            return 0.0
        try:
            return float(self.path.read_text())
        except ValueError:
            raise ValueError(f"{self.path} does not hold a number of seconds (delete it to restart the count)") from None

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if self._start is None:
            return
        total = self.total + (time.perf_counter() - self._start)
        partial = self.path.with_name(self.path.name + ".tmp")
        partial.write_text(f"{total:.1f}\n")
        os.replace(partial, self.path)
        self._start = None


class History(keras.callbacks.Callback):
    """Append each epoch's logs to a JSON-lines file (survives resumes, unlike ``History``).

    ``fields``: facts of the run added to every record (``fit.py``: the training path).
    """

    def __init__(self, path, fields=None):
        super().__init__()
        self.path = Path(path)
        self.fields = dict(fields or {})

    def on_epoch_end(self, epoch, logs=None):
        record = {"epoch": epoch + 1, **{k: float(v) for k, v in (logs or {}).items()}, **self.fields}
        # A run killed mid-write leaves half a line: start this record on a line of its own.
        broken = self.path.is_file() and self.path.stat().st_size and not self.path.read_bytes().endswith(b"\n")
        with self.path.open("a") as f:
            f.write(("\n" if broken else "") + json.dumps(record) + "\n")


class ProgressLines(keras.callbacks.Callback):
    """One plain line every ``interval_s`` seconds within an epoch: step, speed, the epoch's ETA, losses.

    The speed (and so the ETA) is that of the steps since the previous line.

    Keras' ``verbose=2`` prints once per epoch, which on a CPU can mean no sign of life in a log for
    half an hour; ``verbose=1`` redraws a bar per step, which floods a log file. ``fit.py`` adds this
    callback with ``--verbose 2`` (``--progress-every``). ``clock`` and ``stream`` are for tests.
    """

    def __init__(self, interval_s=300.0, stream=None, clock=time.monotonic):
        super().__init__()
        if not interval_s >= 0:  # also refuses NaN
            raise ValueError(f"interval_s must be >= 0 seconds, got {interval_s}")
        self.interval_s = float(interval_s)
        self.stream = stream
        self.clock = clock
        self._epoch = 0
        self._epoch_start = None
        self._last = None
        self._last_done = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._epoch_start = self._last = self.clock()
        self._last_done = 0

    def on_train_batch_end(self, batch, logs=None):
        now = self.clock()
        if self._epoch_start is None or now - self._last < self.interval_s:
            return
        done = batch + 1
        # The speed since the last line: the first steps' tracing does not linger in later ETAs.
        per_step = (now - self._last) / max(done - self._last_done, 1)
        self._last, self._last_done = now, done
        steps = (self.params or {}).get("steps")
        epochs = (self.params or {}).get("epochs")
        where = f"epoch {self._epoch + 1}" + (f"/{epochs}" if epochs else "")
        where += f" step {done}" + (f"/{steps} ({100 * done / steps:.0f}%)" if steps else "")
        eta = f", epoch ends in {_duration((steps - done) * per_step)}" if steps else ""
        values = ", ".join(f"{k} {float(v):.4g}" for k, v in (logs or {}).items() if np.ndim(v) == 0)
        print(f"{where}: {per_step:.3g} s/step{eta}" + (f"; {values}" if values else ""),
              file=self.stream or sys.stdout, flush=True)


def _duration(seconds):
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"
