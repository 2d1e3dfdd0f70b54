"""The trainable StackGAN++ with the mode seeking term: its ``train_step`` follows the official
StackGAN++-Mode-Seeking ``condGANTrainer`` (``trainer.py``).

One step, for a batch of ``B`` sentence embeddings (or token ids) and their real images:

1. both halves of a ``2B`` batch get the same sentences, each half its own CA noise and ``z``;
   one generator forward gives every branch's images, ``mu`` and ``logvar``;
2. every branch's discriminator is updated on the real images, the *wrong* images (real images
   of other sentences) and both halves of the fakes, all conditioned on ``mu`` (no gradient;
   with ``d_condition = "embedding"`` on the frozen sentence embedding instead);
3. G is updated with the updated discriminators' conditional and unconditional losses on both
   halves, the colour-consistency terms, the KL term of each half and
   ``lambda_ms * mode_seeking_loss`` on the last branch's two halves over the two ``z`` only.
"""
import keras
import numpy as np
import tensorflow as tf
from keras import ops

from zoo.base import MS_EPS, ConditionalGAN, make_adam
from zoo.losses import bce_with_logits, mode_seeking_loss
from zoo.stackgan.networks import build_discriminators, build_generator
from zoo.stackgan.text import caption_split, pretrain_caption_encoder, standardize_caption_encoder

# Training-mode generator passes that measure the running statistics of the averaged weights.
RECALIBRATION_BATCHES = 50


def kl_loss(mu, logvar):
    """``-0.5 * mean(1 + logvar - mu^2 - exp(logvar))`` over batch and code (official ``KL_loss``).

    Args: ``mu``, ``logvar`` ``(N, E)``. Returns a float32 scalar >= 0.
    """
    mu, logvar = ops.cast(mu, "float32"), ops.cast(logvar, "float32")
    return -0.5 * ops.mean(1.0 + logvar - ops.square(mu) - ops.exp(logvar))


def mean_covariance(images):
    """Per-image channel means ``(N, C)`` and covariances ``(N, C, C)`` over pixels (official
    ``compute_mean_covariance``, divided by the pixel count)."""
    images = ops.cast(images, "float32")
    pixels = ops.shape(images)[1] * ops.shape(images)[2]
    flat = ops.reshape(images, (ops.shape(images)[0], -1, ops.shape(images)[-1]))
    mean = ops.mean(flat, axis=1)
    centred = flat - mean[:, None, :]
    covariance = ops.einsum("npc,npd->ncd", centred, centred) / ops.cast(pixels, "float32")
    return mean, covariance


def colour_consistency_loss(images, coeff):
    """StackGAN++'s colour-consistency terms (paper eq. 6): each branch's image mean and covariance
    pulled towards the previous branch's (held fixed), ``coeff * (MSE(mean) + 5 * MSE(cov))`` for
    the last two branch pairs, as the official trainer sums them.

    Args: ``images`` a list of ``(N, S_i, S_i, 3)`` per branch; ``coeff`` ``COEFF.COLOR_LOSS``.
    """
    loss = 0.0
    for upper in range(len(images) - 1, max(len(images) - 3, 0), -1):
        mean1, cov1 = mean_covariance(images[upper])
        mean2, cov2 = mean_covariance(ops.stop_gradient(images[upper - 1]))
        loss += coeff * ops.mean(ops.square(mean1 - mean2)) + coeff * 5.0 * ops.mean(ops.square(cov1 - cov2))
    return loss


def triangle_downsample(images, factor):
    """``(N, S, S, C)`` -> ``(N, S/f, S/f, C)`` with the antialiased bilinear (triangle) filter of
    PIL's and torchvision's ``Resize`` for an integer factor ``f``, weights renormalized at the border
    as PIL does. A fixed depthwise convolution, so XLA compiles it (``tf.image.resize`` with
    ``antialias=True`` computes the same but has no XLA kernel)."""
    if factor == 1:
        return images
    taps = 1.0 - np.abs(np.arange(2 * factor) - (factor - 0.5)) / factor
    kernel2d = np.outer(taps, taps).astype(np.float32)
    channels = images.shape[-1]
    kernel = ops.convert_to_tensor(np.tile(kernel2d[:, :, None, None], (1, 1, channels, 1)))
    pad = [[0, 0], [factor // 2, factor // 2], [factor // 2, factor // 2], [0, 0]]
    x = ops.pad(ops.cast(images, "float32"), pad)
    ones = ops.pad(ops.ones_like(images[..., :1], dtype="float32"), pad)
    weighted = ops.depthwise_conv(x, kernel, strides=factor, padding="valid")
    norm = ops.depthwise_conv(ones, kernel[..., :1, :], strides=factor, padding="valid")
    return ops.cast(weighted / norm, images.dtype)


def image_pyramid(images, sizes):
    """The real images at every branch size, ``(N, s, s, C)`` each (:func:`triangle_downsample`
    of the largest, which is kept as it is)."""
    return [triangle_downsample(images, images.shape[1] // s) for s in sizes]


class StackGAN(ConditionalGAN):
    """StackGAN++ G, one D per branch, and the official MS training step.

    Batches given to ``fit`` are ``(condition, real_image)``: ``condition`` ``(B, text_dim)``
    sentence embeddings (or ``(B, L)`` token ids with a caption encoder), ``real_image``
    ``(B, S, S, 3)`` in [-1, 1] at the last branch's size; the smaller branches' real images are
    resized from it. The *wrong* images are the batch's real images rolled by one (each paired
    with another example's sentence); the official loader draws them at random from the dataset.
    ``B >= 2``.

    ``lambda_ms = 0`` (the ``stackgan_*`` twins) trains the same step without the MS term.
    """

    def __init__(self, config, **kwargs):
        generator = build_generator(config)
        if generator.text_encoder is not None and config.text_pretrain_steps:
            accuracy, held_out = pretrain_caption_encoder(
                generator.text_encoder, caption_split("train"), config.vocabulary, config.max_caption_words,
                steps=config.text_pretrain_steps, seed=config.seed, held_out=caption_split("test"))
            print(f"{config.name}: caption encoder pretrained: every attribute right for {accuracy:.1%} of "
                  f"the training captions, {held_out:.1%} of the held-out ones; frozen from here on")
        if generator.text_encoder is not None and config.text_standardize:
            _, std = standardize_caption_encoder(generator.text_encoder, caption_split("train"),
                                                 config.vocabulary, config.max_caption_words)
            print(f"{config.name}: caption encoder output standardized over the training captions "
                  f"(its raw per-dimension std was {std.min():.3f}..{std.max():.3f})")
        super().__init__(generator, build_discriminators(config), config.nz, loss="bce",
                         seed=config.seed, **kwargs)
        self.config = config
        self.lambda_ms = float(config.lambda_ms)
        self.kl_tracker = keras.metrics.Mean(name="kl_loss")

    def compile(self, g_optimizer=None, d_optimizer=None, lambda_ms=None, **kwargs):
        """Adam(``learning_rate_g``/``_d``, ``beta_1``, ``beta_2``; :func:`zoo.base.make_adam`) unless given; ``lambda_ms``
        defaults to the config's. One Adam over all discriminators is the official one Adam per
        discriminator: their losses share no variables. With ``ema_decay`` the G optimizer keeps
        the moving average of G's trainable weights (``avg = d * avg + (1 - d) * w`` after every
        step; Keras starts it at the first step's weights, the official code at the initial ones), which :meth:`fit` leaves in the generator at the end."""
        c = self.config
        if g_optimizer is None:
            g_optimizer = make_adam(c.learning_rate_g, c.beta_1, c.beta_2)
            if c.ema_decay:
                g_optimizer = type(g_optimizer).from_config(
                    {**g_optimizer.get_config(), "use_ema": True, "ema_momentum": c.ema_decay})
        d_optimizer = d_optimizer or make_adam(c.learning_rate_d, c.beta_1, c.beta_2)
        super().compile(g_optimizer, d_optimizer, lambda_ms=c.lambda_ms if lambda_ms is None else lambda_ms,
                        **kwargs)

    @property
    def metrics(self):
        return [*super().metrics, self.kl_tracker]

    def fit(self, x=None, *args, **kwargs):
        """``keras.Model.fit``; afterwards the generator holds the moving average of its weights
        (the official trainer saves ``avg_param_G``), when the G optimizer keeps one, and batch-norm
        running statistics measured with those averaged weights (:meth:`recalibrate_batch_norm` on
        the first :data:`RECALIBRATION_BATCHES` batches of ``x``).

        The official average covers ``parameters()`` only and keeps the raw weights' running
        statistics. Over a short run the two sets of weights differ enough that this pairing breaks
        the published generator: on the shapes task after 3,120 steps it put the object in the
        named half of the picture 0.4-19 % of the time, against 46-84 % for the raw weights and
        46-76 % for the averaged weights with their own statistics (issue 30).
        """
        history = super().fit(x, *args, **kwargs)
        if self.use_average_generator() and x is not None:
            self.recalibrate_batch_norm(x)
        return history

    def use_average_generator(self):
        """Copy the moving average of G's trainable weights into the generator; True when there is one."""
        optimizer = getattr(self.g_optimizer, "inner_optimizer", self.g_optimizer)
        if getattr(optimizer, "use_ema", False) and optimizer.built:
            optimizer.finalize_variable_values(self.generator.trainable_variables)
            return True
        return False

    def recalibrate_batch_norm(self, data, batches=None):
        """Set the running statistics of every batch norm in G to the mean of its batch statistics
        over ``batches`` training-mode forward passes (default :data:`RECALIBRATION_BATCHES`).

        Args:
            data: what ``fit`` takes: a ``tf.data.Dataset`` of ``(condition, image)`` batches, or a
                condition array ``(N, ...)`` (cut into ``batch_size`` batches).
        Each pass draws ``z`` and the CA noise standard normal, as the samplers do. Returns the
        number of passes made (0 when ``data`` holds no batch).
        """
        batches = RECALIBRATION_BATCHES if batches is None else int(batches)
        if isinstance(data, tf.data.Dataset):
            conditions = (keras.utils.unpack_x_y_sample_weight(b)[0] for b in data.take(batches))
        else:
            array = np.asarray(data[0] if isinstance(data, (tuple, list)) else data)
            size = self.config.batch_size
            conditions = (array[i:i + size] for i in range(0, min(len(array), batches * size), size))
        norms = [layer for layer in self.generator._flatten_layers(include_self=False)
                 if isinstance(layer, keras.layers.BatchNormalization)]
        momenta = [layer.momentum for layer in norms]
        rng = np.random.default_rng(self.config.seed)
        passes = 0
        try:
            for condition in conditions:
                for layer in norms:  # running mean of the batch statistics: the k-th pass weighs 1/(k+1)
                    layer.momentum = passes / (passes + 1)
                count = int(ops.shape(condition)[0])
                self.generator.branches(
                    condition, rng.standard_normal((count, self.config.nz)).astype(np.float32),
                    rng.standard_normal((count, self.config.embedding_dim)).astype(np.float32), training=True)
                passes += 1
        finally:
            for layer, momentum in zip(norms, momenta):
                layer.momentum = momentum
        return passes

    # -- losses ---------------------------------------------------------------------------
    def branch_discriminator_loss(self, d, real, wrong, fake1, fake2, mu1, mu2):
        """One branch's D loss (official ``train_Dnet``); every input already without gradient to G.
        ``mu1`` / ``mu2``: each half's D condition (``mu``, or the sentence embedding)."""
        real_cond, real_uncond = d([real, mu1], training=True)
        wrong_cond, wrong_uncond = d([wrong, mu1], training=True)
        fake1_cond, fake1_uncond = d([fake1, mu1], training=True)
        fake2_cond, fake2_uncond = d([fake2, mu2], training=True)
        real_loss = bce_with_logits(real_cond, 1.0)
        wrong_loss = bce_with_logits(wrong_cond, 0.0)
        fake_loss = bce_with_logits(fake1_cond, 0.0) + bce_with_logits(fake2_cond, 0.0)
        u = self.config.uncond_coeff
        if u <= 0:
            return real_loss + 0.5 * (wrong_loss + fake_loss)
        # A wrong image is still a real image: its unconditional target is 1.
        real_loss += u * bce_with_logits(real_uncond, 1.0)
        wrong_loss += u * bce_with_logits(wrong_uncond, 1.0)
        fake_loss += u * (bce_with_logits(fake1_uncond, 0.0) + bce_with_logits(fake2_uncond, 0.0))
        return real_loss + wrong_loss + fake_loss

    def branch_generator_loss(self, d, fake1, fake2, mu1, mu2):
        """One branch's adversarial G loss (official ``train_Gnet``); ``mu`` keeps its gradient to CA
        (the sentence embedding, with ``d_condition = "embedding"``, is frozen)."""
        loss = 0.0
        for fake, mu in ((fake1, mu1), (fake2, mu2)):
            cond, uncond = d([fake, mu], training=True)
            loss += bce_with_logits(cond, 1.0)
            if self.config.uncond_coeff > 0:
                loss += self.config.uncond_coeff * bce_with_logits(uncond, 1.0)
        return loss

    # -- the step -------------------------------------------------------------------------
    def train_step(self, data):
        condition, real, _ = keras.utils.unpack_x_y_sample_weight(data)
        batch = ops.shape(condition)[0]
        reals = image_pyramid(real, self.config.branch_sizes)
        wrongs = [ops.roll(r, 1, axis=0) for r in reals]
        z_pair = self.draw_noise(2 * batch)
        ca_eps = keras.random.normal((2 * batch, self.config.embedding_dim), seed=self.seed_generator)
        z1, z2 = ops.split(z_pair, 2, axis=0)
        discriminators = self.discriminator.branches
        with tf.GradientTape() as g_tape:
            fakes, mu, logvar = self.generator.branches(
                ops.concatenate([condition, condition], axis=0), z_pair, ca_eps, training=True)
            fake_halves = [ops.split(f, 2, axis=0) for f in fakes]
            mu1, mu2 = ops.split(mu, 2, axis=0)
            logvar1, logvar2 = ops.split(logvar, 2, axis=0)
            if self.config.d_condition == "mu":
                cond1, cond2 = mu1, mu2
            else:  # the frozen sentence embedding, the same for both halves
                cond1 = cond2 = ops.stop_gradient(self.generator.sentence_embedding(condition))
            with tf.GradientTape() as d_tape:
                d_loss = sum(
                    self.branch_discriminator_loss(
                        d, r, w, ops.stop_gradient(f1), ops.stop_gradient(f2),
                        ops.stop_gradient(cond1), ops.stop_gradient(cond2))
                    for d, r, w, (f1, f2) in zip(discriminators, reals, wrongs, fake_halves))
                scaled_d_loss = self.scaled(self.d_optimizer, d_loss)
            self.apply_update(self.d_optimizer, d_tape, scaled_d_loss, self.discriminator.trainable_variables)
            g_loss = sum(self.branch_generator_loss(d, f1, f2, cond1, cond2)
                         for d, (f1, f2) in zip(discriminators, fake_halves))
            if self.config.color_coeff > 0 and len(fakes) > 1:
                g_loss += colour_consistency_loss(fakes, self.config.color_coeff)
            kl = (kl_loss(mu1, logvar1) + kl_loss(mu2, logvar2)) * self.config.kl_coeff
            last1, last2 = fake_halves[-1]
            ms_loss = mode_seeking_loss(last1, last2, z1, z2, eps=MS_EPS)
            g_loss += kl + (self.lambda_ms * ms_loss if self.lambda_ms else 0.0)
            scaled_g_loss = self.scaled(self.g_optimizer, g_loss)
        self.apply_update(self.g_optimizer, g_tape, scaled_g_loss, self.generator.trainable_variables)
        self.kl_tracker.update_state(kl)
        return self.record(d_loss, g_loss, ms_loss)
