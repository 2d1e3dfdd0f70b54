"""Numerics that fail loudly: meaningless numeric options and non-finite training.

* :func:`check_config_numbers` rejects a config whose numbers cannot train (NaN or infinite
  values, a learning rate <= 0, negative weights of loss terms or decay, betas outside [0, 1)),
  with a one-line message, before anything is built or written.
* :class:`NonFiniteTraining` is what ``zoo.training.callbacks.StopOnNonFinite`` raises as soon as a
  step's logged losses are NaN or infinite (after every batch) or a weight of G or D is (at the
  end of every epoch, before any later callback checkpoints or publishes it). Placed first in
  ``fit``'s callbacks, the epoch's checkpoint, sample grid and history line are never written,
  so the last checkpoint on disk is the last good one.

No TensorFlow here: ``fit.py`` checks its options before importing it.
"""
import dataclasses
import math


class NonFiniteTraining(RuntimeError):
    """Training produced NaN or infinity; ``epoch`` and ``step`` are 1-based (step None: the
    epoch's end)."""

    def __init__(self, epoch, step, what):
        where = f"epoch {epoch}, step {step}" if step is not None else f"the end of epoch {epoch}"
        super().__init__(f"non-finite {what} at {where}")
        self.epoch, self.step, self.what = epoch, step, what


def check_config_numbers(config):
    """Raise ``ValueError`` (one line) for a config field no training can use.

    Every float field must be finite; ``learning_rate*`` must be > 0, ``lambda_*`` and
    ``weight_decay`` >= 0, ``beta_1``/``beta_2`` in [0, 1).
    """
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        name = field.name
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value}")
        if name.startswith("learning_rate") and value <= 0:
            raise ValueError(f"{name} must be > 0, got {value}")
        if (name.startswith("lambda_") or name == "weight_decay") and value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
        if name in ("beta_1", "beta_2") and not 0 <= value < 1:
            raise ValueError(f"{name} must be in [0, 1), got {value}")


def non_finite_items(logs):
    """The entries of a logs dict (numbers or scalar tensors) that are NaN or infinite."""
    return {k: float(v) for k, v in (logs or {}).items() if not math.isfinite(float(v))}
