"""A Keras callback that watches any zoo model for mode collapse while it trains.

Mode collapse shows up in three ways a callback can see cheaply:

* the samples of one condition stop differing (*within-condition diversity* falls, to 0 for a
  generator that ignores z);
* diversity falls a lot relative to its value early in training (collapse that sets in);
* the losses swing up and down epoch after epoch while the fixed-noise samples jump around:
  the generator hops from mode to mode and the discriminator chases it (Metz et al. 2017,
  fig. 1; Goodfellow 2016, sec. 5.1.1).
"""
import math
import sys
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from zoo.metrics import mean_pairwise_l1


def oscillation(values):
    """How much a series zig-zags: ``(sign_change_fraction, relative_amplitude)``.

    Args:
        values: 1-D sequence of at least 3 numbers (e.g. one loss per epoch).

    Returns:
        The fraction of consecutive differences that change sign (1.0 = up, down, up, ...) and
        ``mean|diff| / mean|value|``. A loss that decreases smoothly scores ``(0, small)``.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or len(values) < 3:
        raise ValueError(f"oscillation needs a 1-D series of >= 3 values, got shape {values.shape}")
    diffs = np.diff(values)
    signs = np.sign(diffs)
    changes = np.mean(signs[1:] * signs[:-1] < 0)
    amplitude = np.mean(np.abs(diffs)) / (np.mean(np.abs(values)) + 1e-12)
    return float(changes), float(amplitude)


class ModeCollapseMonitor(keras.callbacks.Callback):
    """Track within-condition diversity on fixed conditions and noise; warn on collapse.

    Works with every model that has ``.generator`` (``[condition, z] -> sample``) and ``.nz``:
    every :class:`zoo.base.ConditionalGAN` of the zoo, including the 2-D GANs (condition of
    shape ``(rows, 0)``).

    After each epoch it generates ``samples_per_condition`` samples for each condition from
    noise fixed for the whole run and adds to the epoch's logs (so they reach the progress bar,
    ``History`` and the TensorBoard callback if it comes after this one):

    * ``diversity``: mean over conditions of ``distance(samples of one condition)``;
    * ``diversity_min``: the least diverse condition's value;
    * ``sample_drift``: mean ``|x_epoch - x_previous_epoch|`` of the samples for the same
      noise (large drift with low diversity = mode hopping); the first epoch of a process is
      measured against the generator as training began (its initialisation, or the restored
      checkpoint);
    * ``collapse_alerts``: the number of warnings raised this epoch.

    Warnings are printed in the progress output and kept in :attr:`alerts` as
    ``(epoch, kind, message)`` with ``kind`` in ``{"low_diversity", "collapse", "oscillation"}``.

    Args:
        conditions: ``(rows, ...)`` generator conditions (one-hot labels, input images, or
            ``np.zeros((rows, 0))`` for an unconditional model).
        samples_per_condition: noise vectors per condition (>= 2).
        seed: seed of the fixed noise.
        distance: ``f(samples (n, ...)) -> float``, the within-condition diversity of ``n``
            samples of one condition; default :func:`zoo.metrics.mean_pairwise_l1` (images in
            [-1, 1] give values in [0, 2]). Pass an LPIPS-based function for perceptual
            diversity.
        min_diversity: warn when ``diversity`` is below this (None: no absolute threshold).
        collapse_ratio: warn when ``diversity`` < ``collapse_ratio`` x its early value (the
            mean of the first ``reference_epochs`` epochs).
        oscillation_window: number of recent epochs in which the losses are checked for
            zig-zags (needs at least this many epochs).
        oscillation_changes, oscillation_amplitude: warn when a loss's sign-change fraction
            is >= ``oscillation_changes`` and its relative amplitude >= ``oscillation_amplitude``.
        loss_keys: the logs keys checked for oscillation.
        log_dir: if given, write ``diversity``/``diversity_min``/``sample_drift`` scalars, the
            per-condition histogram and (for image models) the fixed-noise sample grid to
            TensorBoard under ``log_dir``.
        verbose: print warnings (1) or only record them (0).
    """

    def __init__(self, conditions, samples_per_condition=8, seed=1234, distance=mean_pairwise_l1,
                 min_diversity=None, collapse_ratio=0.25, reference_epochs=1,
                 oscillation_window=6, oscillation_changes=0.75, oscillation_amplitude=0.3,
                 loss_keys=("d_loss", "g_loss"), log_dir=None, verbose=1):
        super().__init__()
        self.conditions = np.asarray(conditions, np.float32)
        if self.conditions.ndim < 2 or len(self.conditions) < 1:
            raise ValueError(f"conditions must be (rows, ...) with rows >= 1, got shape {self.conditions.shape}")
        if samples_per_condition < 2:
            raise ValueError(f"samples_per_condition must be >= 2, got {samples_per_condition}")
        if not 0 < collapse_ratio < 1:
            raise ValueError(f"collapse_ratio must be in (0, 1), got {collapse_ratio}")
        if reference_epochs < 1 or oscillation_window < 3:
            raise ValueError("reference_epochs must be >= 1 and oscillation_window >= 3")
        self.samples_per_condition = int(samples_per_condition)
        self.seed = seed
        self.distance = distance
        self.min_diversity = min_diversity
        self.collapse_ratio = collapse_ratio
        self.reference_epochs = int(reference_epochs)
        self.oscillation_window = int(oscillation_window)
        self.oscillation_changes = oscillation_changes
        self.oscillation_amplitude = oscillation_amplitude
        self.loss_keys = tuple(loss_keys)
        self.log_dir = None if log_dir is None else Path(log_dir)
        self.verbose = verbose
        self.history = {"diversity": [], "diversity_min": [], "sample_drift": []}
        self.loss_history = {k: [] for k in self.loss_keys}
        self.alerts = []
        self._previous = None
        self._writer = None

    def resume_from(self, records):
        """Continue the run an earlier process logged: ``records`` are its epochs' logs.

        ``records``: dicts with ``epoch`` (1-based) and this callback's keys, e.g. the lines of
        ``fit.py``'s ``history.jsonl`` up to the checkpoint being resumed. The diversity and loss
        histories are restored, so the early value a collapse is measured against stays the
        run's first epochs and the oscillation window spans the restart; and at the start of
        training the restored generator's samples become the previous epoch's, so the first
        resumed epoch gets a real ``sample_drift`` instead of none.
        """
        by_epoch = {}
        for record in records:
            if "epoch" in record and "diversity" in record:
                by_epoch[int(record["epoch"])] = record
        for epoch in sorted(by_epoch):
            record = by_epoch[epoch]
            self.history["diversity"].append(float(record["diversity"]))
            self.history["diversity_min"].append(float(record.get("diversity_min", record["diversity"])))
            self.history["sample_drift"].append(float(record.get("sample_drift", math.nan)))
            for key in self.loss_keys:
                if key in record:
                    self.loss_history[key].append(float(record[key]))
        return len(by_epoch)

    def on_train_begin(self, logs=None):
        # The generator as training begins is what the first epoch's drift is measured from.
        if self._previous is None:
            self._previous = self.fixed_samples()

    # -- measuring -----------------------------------------------------------------------
    def fixed_samples(self):
        """``(rows, samples_per_condition, ...)`` numpy samples from the fixed noise."""
        generator, nz = self.model.generator, int(self.model.nz)
        rows, n = len(self.conditions), self.samples_per_condition
        z = np.random.default_rng(self.seed).standard_normal((rows * n, nz)).astype(np.float32)
        condition = np.repeat(self.conditions, n, axis=0)
        samples = np.asarray(generator([condition, z], training=False), np.float32)
        return samples.reshape(rows, n, *samples.shape[1:])

    def measure(self, samples):
        """Per-condition diversity ``(rows,)`` of ``(rows, n, ...)`` samples."""
        return np.array([float(self.distance(s)) for s in samples])

    # -- the callback --------------------------------------------------------------------
    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        samples = self.fixed_samples()
        per_condition = self.measure(samples)
        diversity = float(per_condition.mean())
        drift = math.nan if self._previous is None else float(np.mean(np.abs(samples - self._previous)))
        self._previous = samples
        for key, value in (("diversity", diversity), ("diversity_min", float(per_condition.min())),
                           ("sample_drift", drift)):
            self.history[key].append(value)
        for key in self.loss_keys:
            if key in logs:
                self.loss_history[key].append(float(logs[key]))
        new_alerts = self.check(epoch)
        logs.update(diversity=diversity, diversity_min=float(per_condition.min()),
                    sample_drift=0.0 if math.isnan(drift) else drift, collapse_alerts=float(len(new_alerts)))
        self.write_tensorboard(epoch, samples, per_condition, drift)

    def check(self, epoch):
        """Compare the latest values with the thresholds; record and print the alerts."""
        found = []
        diversity = self.history["diversity"][-1]
        if self.min_diversity is not None and diversity < self.min_diversity:
            found.append(("low_diversity",
                          f"within-condition diversity {diversity:.4g} is below {self.min_diversity:.4g}: "
                          "samples of one condition look alike (mode collapse?)"))
        if len(self.history["diversity"]) > self.reference_epochs:
            reference = float(np.mean(self.history["diversity"][:self.reference_epochs]))
            if reference > 0 and diversity < self.collapse_ratio * reference:
                found.append(("collapse",
                              f"within-condition diversity fell to {diversity:.4g}, "
                              f"{diversity / reference:.0%} of its early value {reference:.4g}: mode collapse"))
        for key, values in self.loss_history.items():
            if len(values) >= self.oscillation_window:
                changes, amplitude = oscillation(values[-self.oscillation_window:])
                if changes >= self.oscillation_changes and amplitude >= self.oscillation_amplitude:
                    found.append(("oscillation",
                                  f"{key} zig-zags over the last {self.oscillation_window} epochs "
                                  f"({changes:.0%} direction changes, amplitude {amplitude:.0%}): "
                                  "the generator may be hopping between modes"))
        for kind, message in found:
            self.alerts.append((epoch + 1, kind, message))
            if self.verbose:
                # A line of its own after the progress bar, on the stream Keras writes it to.
                print(f"\nModeCollapseMonitor epoch {epoch + 1}: WARNING {message}", file=sys.stdout, flush=True)
        return found

    def write_tensorboard(self, epoch, samples, per_condition, drift):
        if self.log_dir is None:
            return
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(str(self.log_dir))
        with self._writer.as_default(step=epoch + 1):
            tf.summary.scalar("mode_collapse/diversity", self.history["diversity"][-1])
            tf.summary.scalar("mode_collapse/diversity_min", self.history["diversity_min"][-1])
            if not math.isnan(drift):
                tf.summary.scalar("mode_collapse/sample_drift", drift)
            tf.summary.histogram("mode_collapse/per_condition_diversity", per_condition)
            if samples.ndim == 5:  # (rows, n, H, W, C) images: the fixed-noise grid
                from zoo.training.grids import grid_image
                from zoo.sampling import to_uint8

                grid = grid_image(to_uint8(samples))
                tf.summary.image("mode_collapse/fixed_noise_samples", grid[None])
        self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None
