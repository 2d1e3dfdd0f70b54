"""Stacked MNIST (1,000 modes): data, evaluation and an unconditional DCGAN with every remedy.

The benchmark of the unrolled-GAN (Metz et al. 2017, sec. 3.3), VEEGAN (Srivastava et al. 2017,
sec. 5.2) and PacGAN (Lin et al. 2018, sec. 4) papers: three MNIST digits drawn independently at
random become the R, G and B channels of one 28x28x3 image, so the data has 10^3 = 1,000 modes,
one per digit triple ``(a, b, c)``, labelled ``100 a + 10 b + c``. A pretrained digit classifier
labels each channel of a generated image; the number of modes hit by 26,000 samples and the
reverse KL of that mode histogram to uniform measure collapse.

Only the MNIST *test* set is available offline (``../shared/data/mnist/``, read by
:mod:`zoo.lab.mnist_files`); :func:`split_mnist` splits it with a fixed seed into a part for the
classifier and a disjoint part the GAN stacks. Training runs are :mod:`zoo.lab.harness`'s.

The GAN is a :class:`zoo.base.ConditionalGAN` with an *empty* condition ``(N, 0)``, like
:mod:`zoo.lab.gan2d`, so the remedies are the library's own pieces, switched by the config:
``lambda_ms`` (the shared :func:`zoo.losses.mode_seeking_loss` on pairs of z),
``minibatch_discrimination`` (:class:`zoo.layers.MinibatchDiscrimination` before D's logit),
``unroll_steps`` (:mod:`zoo.lab.unrolled`, the second-order term included) and ``pack`` (PacGAN:
D sees ``pack`` images of one kind concatenated along the channels, as PacDCGAN does).
"""
import dataclasses

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from zoo.layers import MinibatchDiscrimination
from zoo.lab.toy import reverse_kl_to_uniform
from zoo.lab.gan2d import RemedyConfig, UnrollableGAN, sample_unconditional

NUM_MODES = 1000
EVAL_SAMPLES = 26000


# -- data ---------------------------------------------------------------------------------
def split_mnist(images, labels, classifier_fraction=0.5, seed=0):
    """Disjoint fixed-seed split: ``{"classifier": (x, y), "gan": (x, y)}``.

    The classifier never sees the GAN part, so its accuracy on the GAN part is a held-out
    accuracy on exactly the digits the GAN learns from.
    """
    if not 0 < classifier_fraction < 1:
        raise ValueError(f"classifier_fraction must be in (0, 1), got {classifier_fraction}")
    order = np.random.default_rng(seed).permutation(len(images))
    cut = int(round(classifier_fraction * len(images)))
    return {"classifier": (images[order[:cut]], labels[order[:cut]]),
            "gan": (images[order[cut:]], labels[order[cut:]])}


def to_unit_range(images):
    """uint8 ``[0, 255]`` -> float32 ``[-1, 1]`` (the generator's tanh range)."""
    return np.asarray(images, np.float32) / 127.5 - 1.0


def stack_indices(num_digits, n, seed=None):
    """``(n, 3)`` int indices of three independent uniform digits per stacked image."""
    if num_digits < 1 or n < 1:
        raise ValueError(f"need >= 1 digit and >= 1 sample, got {num_digits} and {n}")
    return np.random.default_rng(seed).integers(0, num_digits, size=(n, 3))


def stack_digits(images, labels, n, seed=None):
    """``n`` stacked images and their mode labels.

    Args:
        images: ``(M, 28, 28)`` uint8 digits; labels: ``(M,)`` ints 0..9.

    Returns:
        ``(stacked (n, 28, 28, 3) float32 in [-1, 1], modes (n,) int in 0..999)``, channel k
        holding digit k of the triple and ``mode = 100 * label_R + 10 * label_G + label_B``.
    """
    index = stack_indices(len(images), n, seed)
    stacked = np.stack([images[index[:, k]] for k in range(3)], axis=-1)
    return to_unit_range(stacked), mode_ids(np.asarray(labels)[index])


def mode_ids(digits):
    """``(N, 3)`` digits (R, G, B) -> ``(N,)`` mode ids ``100 a + 10 b + c``."""
    digits = np.asarray(digits)
    if digits.ndim != 2 or digits.shape[1] != 3:
        raise ValueError(f"expected (N, 3) digits, got shape {digits.shape}")
    if digits.size and (digits.min() < 0 or digits.max() > 9):
        raise ValueError("digits must be in 0..9")
    return (100 * digits[:, 0] + 10 * digits[:, 1] + digits[:, 2]).astype(np.int64)


# -- evaluation --------------------------------------------------------------------------
def evaluate_stacked_modes(modes, num_modes=NUM_MODES):
    """Modes captured and ``KL(p || uniform)`` (nats) of the histogram of mode ids.

    Returns:
        dict with ``modes_captured`` (int), ``num_modes``, ``reverse_kl`` (0 for a uniform
        histogram, ``ln 1000`` = 6.91 for a single mode), ``counts`` (list of ``num_modes``
        ints) and ``num_samples``.
    """
    modes = np.asarray(modes)
    if modes.ndim != 1 or len(modes) == 0:
        raise ValueError(f"expected a non-empty (N,) array of mode ids, got shape {modes.shape}")
    if modes.min() < 0 or modes.max() >= num_modes:
        raise ValueError(f"mode ids must be in 0..{num_modes - 1}")
    counts = np.bincount(modes, minlength=num_modes)
    return {"modes_captured": int((counts > 0).sum()), "num_modes": num_modes,
            "reverse_kl": reverse_kl_to_uniform(counts), "counts": counts.astype(int).tolist(),
            "num_samples": int(len(modes))}


def classify_channels(classifier, images, batch_size=1000, verbose=0):
    """Digit of each channel: ``(N, 28, 28, 3)`` in [-1, 1] -> ``(N, 3)`` int in 0..9.

    Args:
        classifier: a Keras model ``(M, 28, 28, 1)`` in [-1, 1] -> ``(M, 10)`` scores.
    """
    images = np.asarray(images, np.float32)
    if images.ndim != 4 or images.shape[1:] != (28, 28, 3):
        raise ValueError(f"expected stacked images (N, 28, 28, 3), got {images.shape}")
    # (N, 28, 28, 3) -> (3N, 28, 28, 1), channel-major so the reshape back is (N, 3).
    channels = np.transpose(images, (0, 3, 1, 2)).reshape(-1, 28, 28, 1)
    scores = classifier.predict(channels, batch_size=batch_size, verbose=verbose)
    return np.asarray(scores).argmax(axis=-1).reshape(-1, 3)


# -- the GAN -------------------------------------------------------------------------------
ARCHITECTURES = ("small", "pacgan")


@dataclasses.dataclass
class StackedMNISTConfig(RemedyConfig):
    """An unconditional DCGAN for 28x28x3 stacked digits; ``architecture`` picks the networks.

    ``"small"`` (default), g = ``g_width``, d = ``d_width``:
    G: ``z -> Dense 7x7x(2g) -> ConvT 4x4/2 (g) -> ConvT 4x4/2 (3)``, batch norm + ReLU, tanh.
    D: ``Conv 4x4/2 (d) -> Conv 4x4/2 (2d) -> Dense 1``, LeakyReLU 0.2, no batch norm (so the
    unrolled updates need no moving statistics and minibatch discrimination is the only
    cross-sample path). ``d = g / 4`` is the small-discriminator setting of the unrolled-GAN
    and VEEGAN papers (D with 1/4 of G's width), which provokes collapse.

    ``"pacgan"``: the DCGAN of the PacGAN paper's Stacked MNIST runs (its
    ``stacked_MNIST_experiments/VEEGAN_experiment``, Kim's DCGAN-tensorflow; published
    PacDCGAN2: 1,000 modes, KL 0.06), with ``g_width = d_width = 64`` there:
    G: ``z -> Dense 2x2x(8g) -> ConvT 5x5/2 (4g, 4x4) -> (2g, 7x7) -> (g, 14x14) -> (3, 28x28)``,
    batch norm + ReLU, tanh; D: ``Conv 5x5/2 (d) -> (2d) -> (4d) -> (8d) -> Dense 1``, batch
    norm on all but the first, LeakyReLU 0.2. That code trains batch 64, Adam 2e-4 (beta_1 0.5),
    two G updates per D update (``generator_steps = 2``) for 50 epochs of 128,000 stacked
    images (100,000 steps); ``bench/stacked_mnist.py --setting pacgan`` selects all of it.
    """

    family: str = "stacked_mnist"
    dataset: str = "stacked_mnist"
    batch_size: int = 64
    steps: int = 3000
    nz: int = 100
    architecture: str = "small"
    g_width: int = 32
    d_width: int = 8
    mbd_kernels: int = 8
    mbd_kernel_dim: int = 4
    learning_rate: float = 2e-4

    def __post_init__(self):
        super().__post_init__()
        if self.architecture not in ARCHITECTURES:
            raise ValueError(f"unknown Stacked MNIST architecture {self.architecture!r}; known: {', '.join(ARCHITECTURES)}")
        if self.g_width < 1 or self.d_width < 1:
            raise ValueError(f"g_width and d_width must be >= 1, got {self.g_width} and {self.d_width}")


def _init(seed, k):
    return keras.initializers.RandomNormal(stddev=0.02, seed=None if seed is None else int(seed) * 1000 + k)


def _batch_norm(config, name):
    # The PacGAN code's batch norm (DCGAN-tensorflow): momentum 0.9, epsilon 1e-5.
    if config.architecture == "pacgan":
        return layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=name)
    return layers.BatchNormalization(name=name)


def build_generator(config, seed=None):
    """``[condition (N, 0), z (N, nz)] -> images (N, 28, 28, 3)`` in [-1, 1], float32."""
    condition = keras.Input((0,), name="condition")
    z = keras.Input((config.nz,), name="z")
    x = layers.Concatenate()([z, condition])
    g = config.g_width
    if config.architecture == "pacgan":
        start, widths, kernel = (2, 8 * g), (4 * g, 2 * g, g), 5
    else:
        start, widths, kernel = (7, 2 * g), (g,), 4
    x = layers.Dense(start[0] * start[0] * start[1], kernel_initializer=_init(seed, 1), name="project")(x)
    x = layers.Reshape((start[0], start[0], start[1]))(x)
    x = layers.ReLU()(_batch_norm(config, "project_bn")(x))
    size = start[0]
    for i, width in enumerate(widths + (3,)):
        # 4 -> 7 needs output_padding 0 (a "same" transposed conv would give 8); else 2x.
        output_padding = 0 if size == 4 else None
        x = layers.Conv2DTranspose(width, kernel, strides=2, padding="same", output_padding=output_padding,
                                   kernel_initializer=_init(seed, 2 + i), name=f"deconv{i + 1}")(x)
        size = 7 if size == 4 else 2 * size
        if width != 3:
            x = layers.ReLU()(_batch_norm(config, f"deconv{i + 1}_bn")(x))
    image = layers.Activation("tanh", dtype="float32", name="image")(x)
    return keras.Model([condition, z], image, name="stacked_mnist_generator")


@keras.saving.register_keras_serializable(package="msgan_zoo")
class PackChannels(keras.layers.Layer):
    """PacGAN packing for images: ``(N, H, W, C) -> (N / pack, H, W, pack * C)``.

    Consecutive samples are concatenated along the channels, as PacDCGAN does. N must be a
    multiple of ``pack`` (:class:`StackedMNISTConfig` checks the batch size).
    """

    def __init__(self, pack, **kwargs):
        super().__init__(**kwargs)
        self.pack = int(pack)

    def call(self, images):
        shape = ops.shape(images)
        grouped = ops.reshape(images, (-1, self.pack, shape[1], shape[2], shape[3]))
        grouped = ops.transpose(grouped, (0, 2, 3, 1, 4))
        return ops.reshape(grouped, (-1, shape[1], shape[2], self.pack * shape[3]))

    def compute_output_shape(self, input_shape):
        batch = None if input_shape[0] is None else input_shape[0] // self.pack
        return (batch, input_shape[1], input_shape[2], self.pack * input_shape[3])

    def get_config(self):
        return {**super().get_config(), "pack": self.pack}


def build_discriminator(config, seed=None):
    """``[images (N, 28, 28, 3), condition (N, 0)] -> logits (N / pack, 1)``."""
    images = keras.Input((28, 28, 3), name="image")
    condition = keras.Input((0,), name="condition")
    x = images
    if config.pack > 1:
        x = PackChannels(config.pack, name="pack")(x)
    d = config.d_width
    if config.architecture == "pacgan":
        widths, kernel = (d, 2 * d, 4 * d, 8 * d), 5
    else:
        widths, kernel = (d, 2 * d), 4
    for i, width in enumerate(widths):
        x = layers.Conv2D(width, kernel, strides=2, padding="same", kernel_initializer=_init(seed, 101 + i),
                          name=f"conv{i + 1}")(x)
        if config.architecture == "pacgan" and i > 0:
            x = _batch_norm(config, f"conv{i + 1}_bn")(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    # The empty condition joins here so D keeps the zoo's [image, condition] signature.
    x = layers.Concatenate()([x, PackedCondition(config.pack)(condition)])
    if config.minibatch_discrimination:
        x = MinibatchDiscrimination(config.mbd_kernels, config.mbd_kernel_dim, name="minibatch_discrimination")(x)
    logits = layers.Dense(1, kernel_initializer=_init(seed, 150), dtype="float32", name="logit")(x)
    return keras.Model([images, condition], logits, name="stacked_mnist_discriminator")


@keras.saving.register_keras_serializable(package="msgan_zoo")
class PackedCondition(keras.layers.Layer):
    """``(N, k) -> (N / pack, pack * k)``: the condition packed like the images (empty here)."""

    def __init__(self, pack, **kwargs):
        super().__init__(**kwargs)
        self.pack = int(pack)

    def call(self, condition):
        shape = ops.shape(condition)
        # An explicit batch: -1 cannot be inferred when the condition is empty (k = 0).
        return ops.reshape(condition, (shape[0] // self.pack, self.pack * shape[1]))

    def compute_output_shape(self, input_shape):
        batch = None if input_shape[0] is None else input_shape[0] // self.pack
        return (batch, self.pack * input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "pack": self.pack}


class StackedMNISTGAN(UnrollableGAN):
    """Unconditional DCGAN on Stacked MNIST; ``StackedMNISTGAN(config)`` builds G and D.

    Batches given to ``fit`` are ``(condition (N, 0), images (N, 28, 28, 3))``; see
    :func:`make_dataset`.
    """

    def __init__(self, config, **kwargs):
        super().__init__(build_generator(config, config.seed), build_discriminator(config, config.seed),
                         config, **kwargs)

    def sample(self, n, seed=0, batch_size=1000):
        """``(n, 28, 28, 3)`` float32 numpy images in [-1, 1] from fixed noise drawn with ``seed``."""
        return sample_unconditional(self, n, seed, batch_size)


def make_dataset(images, steps, batch_size, seed=0):
    """``tf.data`` of ``steps`` batches ``(condition (B, 0), stacked (B, 28, 28, 3))``.

    Each stacked image is three digits of ``images`` (``(M, 28, 28)`` uint8) drawn uniformly
    and independently with a fixed seed; only the indices are precomputed, the images are
    gathered per batch (steps x batch images would not fit in memory).
    """
    if steps < 1 or batch_size < 1:
        raise ValueError(f"steps and batch_size must be >= 1, got {steps} and {batch_size}")
    digits = tf.constant(np.asarray(images, np.uint8))
    index = stack_indices(len(images), steps * batch_size, seed).astype(np.int32)

    def gather(batch_index):
        stacked = tf.stack([tf.gather(digits, batch_index[:, k]) for k in range(3)], axis=-1)
        condition = tf.zeros((batch_size, 0), tf.float32)
        return condition, tf.cast(stacked, tf.float32) / 127.5 - 1.0

    return (tf.data.Dataset.from_tensor_slices(index).batch(batch_size, drop_remainder=True)
            .map(gather, num_parallel_calls=1).prefetch(2))
