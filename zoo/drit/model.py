"""DRIT + MS training (Lee et al. ECCV 2018; Mao et al. CVPR 2019), as the official
``DRIT-Mode-Seeking`` code trains it.

One training step takes a batch ``(images_a, images_b)``, each ``(2h, S, S, C)`` in [-1, 1]; the
first ``h`` images of each domain are "encoded" (their attributes are encoded), the last ``h``
"random" (real images for the second discriminator pair). Every step updates the content
discriminator; on ``d_iter - 1`` of every ``d_iter`` steps (and not on the last two of an epoch)
that is all (``update_D_content``). The other steps (``update_D`` + ``update_EG``):

1. forward: content and attribute codes, the cross translations, self reconstructions,
   translations with two random attribute codes ``z1``, ``z2``, the second cross translation,
   and the attribute codes of the ``z1`` translations (latent regression);
2. update ``disA``, ``disB`` (encoded translations), ``disA2``, ``disB2`` (both random
   translations) and ``disContent`` on the detached outputs of 1;
3. update encoders and generator with ``backward_EG``: adversarial losses against the updated
   ``disA``, ``disB``, content adversarial loss (target 0.5), KL of the attribute and content
   codes, cross-cycle and self reconstruction L1;
4. update content encoder and generator again with ``backward_G_alone``: adversarial losses of
   both random translations against ``disA2``, ``disB2``, latent regression L1 and the mode
   seeking term in both directions. Its gradient is taken at the same forward as step 3, and
   the attribute encoder gets none of it (the official code zeroes and steps ``enc_a`` only
   around step 3).
"""
import keras
import tensorflow as tf
from keras import ops

from zoo.base import MS_EPS, TORCH_ADAM_EPSILON
from zoo.drit.networks import BUILD_SIZE, ContentDiscriminator, MultiScaleDiscriminator, build_generator, translator_of
from zoo.losses import bce_with_logits, l1_loss, mode_seeking_loss, mode_seeking_ratio

DISCRIMINATOR_NETWORKS = ("disA", "disA2", "disB", "disB2", "disContent")


def multiscale_bce(logits_per_scale, target):
    """Sum over scales of the mean BCE of each scale's logits against ``target`` (0, 0.5 or 1)."""
    return sum(bce_with_logits(logits, target) for logits in logits_per_scale)


def discriminate(discriminator, *batches):
    """One discriminator call on several batches of equal size (DRIT's discriminators have no
    normalization, so samples are independent); per batch, its list of per-scale logits."""
    outputs = discriminator(ops.concatenate(batches, axis=0))
    split = [ops.split(logits, len(batches), axis=0) for logits in outputs]
    return [[scale[k] for scale in split] for k in range(len(batches))]


def discriminator_loss(discriminator, real, *fakes):
    """Official ``backward_D``, summed over ``fakes`` (``disA2`` sees both random translations):
    ``sum_fakes sum_scales BCE(D(real), 1) + BCE(D(fake), 0)``."""
    real_logits, *fake_logits = discriminate(discriminator, real, *fakes)
    return sum(multiscale_bce(real_logits, 1.0) + multiscale_bce(logits, 0.0) for logits in fake_logits)


def gaussian_kl(mu, logvar):
    """``KL(N(mu, exp(logvar)) || N(0, 1))`` summed over batch and code (as the official code)."""
    mu, logvar = ops.cast(mu, "float32"), ops.cast(logvar, "float32")
    return -0.5 * ops.sum(1.0 + logvar - ops.square(mu) - ops.exp(logvar))


def mean_square(code):
    """The official ``_compute_kl``: ``mean(code^2)``, an L2 pull of a plain code towards 0."""
    return ops.mean(ops.square(ops.cast(code, "float32")))


class EpochDecay(keras.optimizers.schedules.LearningRateSchedule):
    """The official ``lambda_rule`` per epoch, read from the model's own step counter.

    Every optimizer of DRIT steps a different number of times per batch (the content
    discriminator every batch, the generator twice per full step), so the epoch comes from the
    model's batch counter, not from the optimizer's ``iterations``.
    """

    def __init__(self, base_rate, epochs, n_ep_decay, step_counter, steps_per_epoch):
        self.base_rate = float(base_rate)
        self.epochs, self.n_ep_decay = int(epochs), int(n_ep_decay)
        self.step_counter, self.steps_per_epoch = step_counter, steps_per_epoch

    def __call__(self, step):
        if self.n_ep_decay < 0:
            return ops.convert_to_tensor(self.base_rate)
        epoch = ops.cast(self.step_counter // self.steps_per_epoch, "float32")
        decayed = ops.maximum(0.0, epoch - self.n_ep_decay) / float(self.epochs - self.n_ep_decay + 1)
        return self.base_rate * (1.0 - decayed)

    def get_config(self):
        return {"base_rate": self.base_rate, "epochs": self.epochs, "n_ep_decay": self.n_ep_decay}


class DRIT(keras.Model):
    """DRIT (+ MS when ``lambda_ms > 0``): translator, two pairs of domain discriminators and the
    content discriminator. ``fit`` takes batches ``(images_a, images_b)``.

    Attributes:
        generator: :func:`zoo.drit.networks.build_generator`'s model (what the zoo saves and samples);
            ``translator`` is the :class:`zoo.drit.networks.Translator` inside it.
        dis_a, dis_a2, dis_b, dis_b2: :class:`MultiScaleDiscriminator` (official ``disA`` ...).
        dis_content: :class:`ContentDiscriminator`.
    """

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.generator = build_generator(config)
        self.translator = translator_of(self.generator)
        for name, channels in (("dis_a", config.input_dim_a), ("dis_a2", config.input_dim_a),
                               ("dis_b", config.input_dim_b), ("dis_b2", config.input_dim_b)):
            discriminator = MultiScaleDiscriminator(config.dis_width, config.dis_scale, name=name)
            discriminator(ops.zeros((1, BUILD_SIZE, BUILD_SIZE, channels)))
            setattr(self, name, discriminator)
        self.dis_content = ContentDiscriminator(config.content_channels, config.content_size, name="dis_content")
        self.dis_content(ops.zeros((1, config.content_size, config.content_size, config.content_channels)))
        self.seed_generator = keras.random.SeedGenerator(config.seed)
        self.step_counter = tf.Variable(0, dtype=tf.int64, trainable=False, name="step_counter")
        self.steps_per_epoch = tf.Variable(1 << 62, dtype=tf.int64, trainable=False, name="steps_per_epoch")
        self.lambda_ms = float(config.lambda_ms)
        names = ("d_loss", "d_content", "g_loss", "g_rec", "g_latent", "g_kl", "ms_ratio")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}
        self.built = True

    # -- Keras plumbing ---------------------------------------------------------------------
    @property
    def content_encoder(self):
        return self.translator.content_encoder

    @property
    def attribute_encoder(self):
        return self.translator.attribute_encoder

    @property
    def decoder(self):
        return self.translator.generator

    @property
    def metrics(self):
        return list(self.trackers.values())

    # fit.py's callbacks (sample grid, collapse monitor, TrainingCheckpoint) address a GAN by
    # these names: the attribute-code length, and the networks and optimizers grouped in two.
    @property
    def nz(self):
        return self.config.nz

    @property
    def discriminator(self):
        """The five discriminators as one checkpointable group."""
        return tf.train.Checkpoint(dis_a=self.dis_a, dis_a2=self.dis_a2, dis_b=self.dis_b, dis_b2=self.dis_b2,
                                   dis_content=self.dis_content)

    @property
    def g_optimizer(self):
        """The encoders' and generator's optimizers and the batch counter (the schedules' clock)."""
        return tf.train.Checkpoint(step_counter=self.step_counter,
                                   **{name: self.optimizers[name] for name in ("enc_c", "enc_a", "gen")})

    @property
    def d_optimizer(self):
        return tf.train.Checkpoint(**{name: self.optimizers[name] for name in DISCRIMINATOR_NETWORKS})

    def build_optimizers(self):
        """Optimizer slots exist from :meth:`compile` on (built before any ``tf.cond``)."""

    def network_variables(self):
        """Trainable variables per official network name (``enc_c``, ``enc_a``, ``gen``, ``disA`` ...)."""
        return {"enc_c": self.content_encoder.trainable_variables, "enc_a": self.attribute_encoder.trainable_variables,
                "gen": self.decoder.trainable_variables, "disA": self.dis_a.trainable_variables,
                "disA2": self.dis_a2.trainable_variables, "disB": self.dis_b.trainable_variables,
                "disB2": self.dis_b2.trainable_variables, "disContent": self.dis_content.trainable_variables}

    def compile(self, lambda_ms=None, jit_compile=False, **kwargs):
        """One Adam per network (official lr 1e-4, content D lr / 2.5, betas (0.5, 0.999)) on the
        per-epoch linear decay; ``lambda_ms=0`` trains the DRIT baseline.

        ``mixed_bfloat16`` works as is; ``mixed_float16`` (loss scaling) is not supported.
        """
        if keras.config.dtype_policy().name == "mixed_float16":
            raise ValueError("DRIT does not support mixed_float16 (use float32 or mixed_bfloat16)")
        super().compile(jit_compile=jit_compile, **kwargs)
        config = self.config
        if lambda_ms is not None:
            if lambda_ms < 0:
                raise ValueError(f"lambda_ms must be >= 0, got {lambda_ms}")
            self.lambda_ms = float(lambda_ms)
        self.optimizers = {}
        for name, variables in self.network_variables().items():
            rate = config.learning_rate * (config.content_lr_ratio if name == "disContent" else 1.0)
            schedule = EpochDecay(rate, config.epochs, config.n_ep_decay, self.step_counter, self.steps_per_epoch)
            optimizer = keras.optimizers.Adam(schedule, beta_1=config.beta_1, beta_2=config.beta_2,
                                              epsilon=TORCH_ADAM_EPSILON, name=f"{name}_adam")
            optimizer.build(variables)  # before tf.cond: no slot may be created inside a branch
            self.optimizers[name] = optimizer

    def fit(self, x=None, *args, steps_per_epoch=None, **kwargs):
        """``keras.Model.fit``; tells the schedules and the ``d_iter`` rule how long an epoch is."""
        if steps_per_epoch is None and isinstance(x, tf.data.Dataset) and int(x.cardinality()) > 0:
            self.steps_per_epoch.assign(int(x.cardinality()))
        elif steps_per_epoch is not None:
            self.steps_per_epoch.assign(int(steps_per_epoch))
        kwargs.setdefault("shuffle", not isinstance(x, tf.data.Dataset))
        return super().fit(x, *args, steps_per_epoch=steps_per_epoch, **kwargs)

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    # -- the forward pass of a full step --------------------------------------------------------
    def draw_codes(self, count):
        """``count`` attribute codes ``(count, nz)`` from N(0, 1) (the official ``get_z_random``)."""
        return keras.random.normal((count, self.config.nz), seed=self.seed_generator)

    def encode_attributes(self, images_a, images_b):
        """Attribute codes of both domains; concat 1 samples ``mu + eps * std`` and also returns
        ``(mu, logvar)`` per domain (None for concat 0)."""
        if not self.config.concat:
            code_a, code_b = self.attribute_encoder(images_a, images_b)
            return code_a, code_b, None
        mu_a, logvar_a, mu_b, logvar_b = self.attribute_encoder(images_a, images_b)
        sample = lambda mu, logvar: mu + self.draw_codes(ops.shape(mu)[0]) * ops.exp(0.5 * logvar)  # noqa: E731
        return sample(mu_a, logvar_a), sample(mu_b, logvar_b), (mu_a, logvar_a, mu_b, logvar_b)

    def latent_codes(self, images_a, images_b):
        """Codes recovered from the ``z1`` translations: plain codes, or the means (concat 1)."""
        codes = self.attribute_encoder(images_a, images_b)
        return (codes[0], codes[2]) if self.config.concat else codes

    def forward(self, images_a, images_b):
        """The official ``forward()`` in training mode; a dict of every tensor the losses use."""
        half = ops.shape(images_a)[0] // 2
        real_a, real_a_random = images_a[:half], images_a[half:]
        real_b, real_b_random = images_b[:half], images_b[half:]
        content_a, content_b = self.content_encoder(real_a, real_b, training=True)
        attr_a, attr_b, gaussians = self.encode_attributes(real_a, real_b)
        z1, z2 = self.draw_codes(half), self.draw_codes(half)

        # One batched decoder call per domain: [cross, self, z1, z2] translations.
        fakes_a = self.decoder.decode(ops.concatenate([content_b, content_a, content_b, content_b], 0),
                                      ops.concatenate([attr_a, attr_a, z1, z2], 0), "a")
        fakes_b = self.decoder.decode(ops.concatenate([content_a, content_b, content_a, content_a], 0),
                                      ops.concatenate([attr_b, attr_b, z1, z2], 0), "b")
        fake_a, fake_aa, fake_a_z1, fake_a_z2 = ops.split(fakes_a, 4, axis=0)
        fake_b, fake_bb, fake_b_z1, fake_b_z2 = ops.split(fakes_b, 4, axis=0)

        # Second cross translation: back to each domain from the translations' own codes.
        content_recon_b, content_recon_a = self.content_encoder(fake_a, fake_b, training=True)
        attr_recon_a, attr_recon_b, _ = self.encode_attributes(fake_a, fake_b)
        recon_a = self.decoder.decode(content_recon_a, attr_recon_a, "a")
        recon_b = self.decoder.decode(content_recon_b, attr_recon_b, "b")
        latent_a, latent_b = self.latent_codes(fake_a_z1, fake_b_z1)
        return dict(real_a=real_a, real_b=real_b, real_a_random=real_a_random, real_b_random=real_b_random,
                    content_a=content_a, content_b=content_b, attr_a=attr_a, attr_b=attr_b, gaussians=gaussians,
                    z1=z1, z2=z2, fake_a=fake_a, fake_b=fake_b, fake_aa=fake_aa, fake_bb=fake_bb,
                    fake_a_z1=fake_a_z1, fake_a_z2=fake_a_z2, fake_b_z1=fake_b_z1, fake_b_z2=fake_b_z2,
                    recon_a=recon_a, recon_b=recon_b, latent_a=latent_a, latent_b=latent_b)

    # -- losses -------------------------------------------------------------------------------
    def content_discriminator_loss(self, content_a, content_b):
        """Official ``backward_contentD``: A's content is labelled 0, B's 1 (codes detached)."""
        return (bce_with_logits(self.dis_content(ops.stop_gradient(content_b)), 1.0)
                + bce_with_logits(self.dis_content(ops.stop_gradient(content_a)), 0.0))

    def discriminator_losses(self, f):
        """The four domain discriminator losses of ``update_D`` (translations detached)."""
        fake = {key: ops.stop_gradient(f[key]) for key in ("fake_a", "fake_b", "fake_a_z1", "fake_a_z2",
                                                            "fake_b_z1", "fake_b_z2")}
        return {
            "disA": discriminator_loss(self.dis_a, f["real_a"], fake["fake_a"]),
            "disA2": discriminator_loss(self.dis_a2, f["real_a_random"], fake["fake_a_z1"], fake["fake_a_z2"]),
            "disB": discriminator_loss(self.dis_b, f["real_b"], fake["fake_b"]),
            "disB2": discriminator_loss(self.dis_b2, f["real_b_random"], fake["fake_b_z1"], fake["fake_b_z2"]),
        }

    def encoder_generator_losses(self, f):
        """The terms of the official ``backward_EG`` (weights applied), by name."""
        config = self.config
        if config.concat:
            mu_a, logvar_a, mu_b, logvar_b = f["gaussians"]
            kl_attr_a, kl_attr_b = gaussian_kl(mu_a, logvar_a), gaussian_kl(mu_b, logvar_b)
        else:
            kl_attr_a, kl_attr_b = mean_square(f["attr_a"]), mean_square(f["attr_b"])
        return {
            "gan_a": multiscale_bce(self.dis_a(f["fake_a"]), 1.0),
            "gan_b": multiscale_bce(self.dis_b(f["fake_b"]), 1.0),
            "gan_content_a": bce_with_logits(self.dis_content(f["content_a"]), 0.5),
            "gan_content_b": bce_with_logits(self.dis_content(f["content_b"]), 0.5),
            "kl_attr_a": config.lambda_kl * kl_attr_a,
            "kl_attr_b": config.lambda_kl * kl_attr_b,
            "kl_content_a": config.lambda_kl * mean_square(f["content_a"]),
            "kl_content_b": config.lambda_kl * mean_square(f["content_b"]),
            "cross_cycle_a": config.lambda_rec * l1_loss(f["recon_a"], f["real_a"]),
            "cross_cycle_b": config.lambda_rec * l1_loss(f["recon_b"], f["real_b"]),
            "self_recon_a": config.lambda_rec * l1_loss(f["fake_aa"], f["real_a"]),
            "self_recon_b": config.lambda_rec * l1_loss(f["fake_bb"], f["real_b"]),
        }

    def generator_alone_losses(self, f):
        """The terms of the official ``backward_G_alone`` (weights applied), by name; the mode
        seeking terms are unweighted here (``lambda_ms`` is applied in :meth:`train_step`)."""
        config = self.config
        return {
            "gan2_a": sum(multiscale_bce(logits, 1.0)
                          for logits in discriminate(self.dis_a2, f["fake_a_z1"], f["fake_a_z2"])),
            "gan2_b": sum(multiscale_bce(logits, 1.0)
                          for logits in discriminate(self.dis_b2, f["fake_b_z1"], f["fake_b_z2"])),
            "latent_a": config.lambda_latent * l1_loss(f["latent_a"], f["z1"]),
            "latent_b": config.lambda_latent * l1_loss(f["latent_b"], f["z1"]),
            "ms_ab": mode_seeking_loss(f["fake_b_z1"], f["fake_b_z2"], f["z1"], f["z2"], eps=MS_EPS),
            "ms_ba": mode_seeking_loss(f["fake_a_z1"], f["fake_a_z2"], f["z1"], f["z2"], eps=MS_EPS),
        }

    # -- updates ------------------------------------------------------------------------------
    def apply_gradients(self, name, grads, clip_norm=None):
        """One Adam step of network ``name``: optional global-norm clipping, then L2 weight decay
        added to the gradient (PyTorch Adam's ``weight_decay``, applied after the clipping)."""
        variables = self.network_variables()[name]
        if all(g is None for g in grads):  # a loss with no recorded path: never a silent no-op update
            raise ValueError(f"no gradient reaches network {name!r}: its loss was not recorded by the tape")
        grads = [ops.zeros_like(v) if g is None else g for g, v in zip(grads, variables)]
        if clip_norm:
            grads, _ = tf.clip_by_global_norm(grads, clip_norm)
        if self.config.weight_decay:
            grads = [g + self.config.weight_decay * ops.cast(v, g.dtype) for g, v in zip(grads, variables)]
        self.optimizers[name].apply(grads, variables)

    def variables_of(self, names):
        """The trainable variables of the networks ``names``, concatenated in that order."""
        variables = self.network_variables()
        return [v for name in names for v in variables[name]]

    def apply_per_network(self, grads, names):
        """Split ``grads`` (for :meth:`variables_of` ``names``) and step each network's optimizer."""
        variables = self.network_variables()
        start = 0
        for name in names:
            count = len(variables[name])
            self.apply_gradients(name, grads[start:start + count])
            start += count

    def update_content_discriminator(self, content_a, content_b):
        with tf.GradientTape() as tape:
            loss = self.content_discriminator_loss(content_a, content_b)
        grads = tape.gradient(loss, self.network_variables()["disContent"])
        self.apply_gradients("disContent", grads, clip_norm=self.config.content_clip_norm)
        self.trackers["d_content"].update_state(loss)
        return loss

    def update_discriminators(self, f):
        """``update_D``: the four domain discriminators, then the content discriminator."""
        with tf.GradientTape() as tape:
            losses = self.discriminator_losses(f)
            # Summed inside the tape: a sum taken after it has no recorded path to D, so every
            # gradient was None and D moved by its weight decay alone.
            total = sum(losses.values())
        # The four networks are disjoint: the gradient of the sum is each loss's own gradient.
        self.apply_per_network(tape.gradient(total, self.variables_of(losses)), losses)
        self.trackers["d_loss"].update_state(total)
        self.update_content_discriminator(f["content_a"], f["content_b"])

    def content_step(self, images_a, images_b):
        """``update_D_content``: a fresh content encoding of the encoded halves, one D update."""
        half = ops.shape(images_a)[0] // 2
        content_a, content_b = self.content_encoder(images_a[:half], images_b[:half], training=True)
        self.update_content_discriminator(content_a, content_b)
        return self.logs()

    def full_step(self, images_a, images_b):
        """``update_D`` then ``update_EG`` on one forward pass."""
        with tf.GradientTape(persistent=True) as tape:
            f = self.forward(images_a, images_b)
            with tape.stop_recording():
                self.update_discriminators(f)
            eg_terms = self.encoder_generator_losses(f)
            alone_terms = self.generator_alone_losses(f)
            ms_terms = alone_terms.pop("ms_ab") + alone_terms.pop("ms_ba")
            eg_loss = sum(eg_terms.values())
            alone_loss = sum(alone_terms.values())
            if self.lambda_ms:
                alone_loss += self.lambda_ms * ms_terms  # the mode seeking term, both directions
        eg_networks, alone_networks = ("enc_c", "enc_a", "gen"), ("enc_c", "gen")
        eg_grads = tape.gradient(eg_loss, self.variables_of(eg_networks))
        alone_grads = tape.gradient(alone_loss, self.variables_of(alone_networks))
        del tape
        self.apply_per_network(eg_grads, eg_networks)
        self.apply_per_network(alone_grads, alone_networks)
        self.record(eg_terms, alone_terms, eg_loss + alone_loss, f)
        return self.logs()

    def record(self, eg_terms, alone_terms, g_loss, f):
        self.trackers["g_loss"].update_state(g_loss)
        self.trackers["g_rec"].update_state(sum(v for k, v in eg_terms.items() if "recon" in k or "cycle" in k))
        self.trackers["g_kl"].update_state(sum(v for k, v in eg_terms.items() if k.startswith("kl")))
        self.trackers["g_latent"].update_state(alone_terms["latent_a"] + alone_terms["latent_b"])
        # The paper's ratio (eq. 3), averaged over both directions, for the progress bar.
        ratio_ab = mode_seeking_ratio(f["fake_b_z1"], f["fake_b_z2"], f["z1"], f["z2"])
        ratio_ba = mode_seeking_ratio(f["fake_a_z1"], f["fake_a_z2"], f["z1"], f["z2"])
        self.trackers["ms_ratio"].update_state(0.5 * (ratio_ab + ratio_ba))

    def logs(self):
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def is_full_step(self, step):
        """The official ``train.py`` rule: a full update when ``(it + 1) % d_iter == 0`` or in the
        last two batches of an epoch; otherwise the content discriminator alone."""
        it = step % self.steps_per_epoch
        return ops.logical_or(ops.equal((it + 1) % self.config.d_iter, 0), it >= self.steps_per_epoch - 2)

    def train_step(self, data):
        images_a, images_b, _ = keras.utils.unpack_x_y_sample_weight(data)
        if images_b is None:  # (images_a, images_b) passed as x alone
            images_a, images_b = images_a
        logs = tf.cond(self.is_full_step(self.step_counter),
                       lambda: self.full_step(images_a, images_b),
                       lambda: self.content_step(images_a, images_b))
        self.step_counter.assign_add(1)
        return logs
