"""Losses shared by every model of the zoo.

The mode seeking term lives here, once: every ``train_step`` of the zoo calls
:func:`mode_seeking_loss` and nothing else re-implements it.
"""
from keras import ops


def mode_seeking_ratio(fake1, fake2, z1, z2):
    """Mao et al. (CVPR 2019), eq. 3: ``mean|G(c,z1) - G(c,z2)| / mean|z1 - z2|``.

    Args:
        fake1, fake2: two generated batches for the same conditions, any shape
            ``(N, ...)``, raw generator outputs (images in [-1, 1]).
        z1, z2: the noise vectors that made them, shape ``(N, nz)`` (or any shape).

    Returns:
        A float32 scalar. The means run over the whole batch, as in the official code.
    """
    fake_distance = ops.mean(ops.abs(ops.cast(fake1, "float32") - ops.cast(fake2, "float32")))
    z_distance = ops.mean(ops.abs(ops.cast(z1, "float32") - ops.cast(z2, "float32")))
    return fake_distance / z_distance


def mode_seeking_loss(fake1, fake2, z1, z2, eps=1e-5):
    """The mode seeking regularizer as the official MSGAN code adds it to the G loss.

    ``1 / (ratio + eps)`` with ``ratio`` from :func:`mode_seeking_ratio`: minimizing it
    maximizes the distance between two outputs for one condition relative to the
    distance between their noise vectors (eq. 4, in the reciprocal form of the
    released code rather than the paper's max/min-with-margin form).

    Returns:
        A float32 scalar, > 0.
    """
    return 1.0 / (mode_seeking_ratio(fake1, fake2, z1, z2) + eps)


def bce_with_logits(logits, target):
    """Mean binary cross-entropy of raw logits against a constant target (0 or 1).

    Numerically the same as the official ``BCELoss(sigmoid(x))`` but stable in float16.
    """
    logits = ops.cast(logits, "float32")
    labels = ops.full_like(logits, float(target))
    return ops.mean(ops.binary_crossentropy(labels, logits, from_logits=True))


def lsgan_loss(predictions, target):
    """Least squares GAN loss (Mao et al. 2017): ``mean((D(x) - target)^2)``."""
    predictions = ops.cast(predictions, "float32")
    return ops.mean(ops.square(predictions - float(target)))


def l1_loss(x, y):
    """Mean absolute error, in float32."""
    return ops.mean(ops.abs(ops.cast(x, "float32") - ops.cast(y, "float32")))


ADVERSARIAL_LOSSES = {"bce": bce_with_logits, "lsgan": lsgan_loss}


def adversarial_loss(name):
    """Return the adversarial loss ``f(predictions, target)`` called ``name``."""
    try:
        return ADVERSARIAL_LOSSES[name]
    except KeyError:
        raise ValueError(
            f"unknown adversarial loss {name!r}; known: {sorted(ADVERSARIAL_LOSSES)}"
        ) from None
