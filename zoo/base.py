"""The conditional GAN training wrapper every model of the zoo builds on.

A :class:`ConditionalGAN` holds a generator ``G([condition, z]) -> image`` and a
discriminator ``D([image, condition]) -> logits`` (Keras models) and trains them with a
custom ``train_step`` that follows the MSGAN algorithm (Mao et al. 2019, Alg. 1 of the
released code):

1. draw two noise vectors per condition and generate both samples in one batched call;
2. update D on the real batch and on both fakes;
3. update G with the adversarial loss on both fakes (scored by the updated D), the task's
   own losses, and ``lambda_ms * mode_seeking_loss(...)``.

Mixed precision (``mixed_float16`` with per-optimizer loss scaling, ``mixed_bfloat16``) and
``tf.distribute`` strategies are handled here, so model families only write losses.
"""
import keras
import tensorflow as tf
from keras import ops

from zoo.losses import adversarial_loss, mode_seeking_loss

MS_EPS = 1e-5
# torch.optim.Adam's default epsilon, which every official MSGAN sub-project keeps (Keras: 1e-7).
# Keras adds it to sqrt(v) before the bias correction, PyTorch after it: the same value is the
# closest match (train-step parity with the official code: tests/test_convert.py).
TORCH_ADAM_EPSILON = 1e-8


def make_adam(learning_rate=2e-4, beta_1=0.5, beta_2=0.999):
    """Adam as the official MSGAN code configures it (weight decay is applied separately)."""
    return keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                                 epsilon=TORCH_ADAM_EPSILON)


class ConditionalGAN(keras.Model):
    """Two-network conditional GAN with the mode seeking term.

    Args:
        generator: Keras model ``[condition (N, ...), z (N, nz)] -> image (N, H, W, C)``
            with a float32 output in [-1, 1].
        discriminator: Keras model ``[image, condition] -> logits`` (any shape per sample).
        nz: length of the noise vector.
        loss: ``"bce"`` (logits) or ``"lsgan"``.
        seed: seed of the noise :class:`keras.random.SeedGenerator`.

    Batches given to ``fit`` are ``(condition, real_image)`` tuples.
    """

    def __init__(self, generator, discriminator, nz, loss="bce", seed=None, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.nz = int(nz)
        self.loss_name = loss
        self.adversarial = adversarial_loss(loss)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.lambda_ms = 1.0
        self.weight_decay = 0.0
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.ms_ratio_tracker = keras.metrics.Mean(name="ms_ratio")
        # G and D are built functional models: nothing is left for fit() to infer.
        self.built = True

    # -- Keras plumbing ---------------------------------------------------------------
    def compile(self, g_optimizer=None, d_optimizer=None, lambda_ms=1.0, weight_decay=0.0,
                jit_compile=False, **kwargs):
        """Configure training.

        Args:
            g_optimizer, d_optimizer: one optimizer per network (never shared: an optimizer
                binds to the variables of its first update). Default: Adam(2e-4, 0.5, 0.999).
            lambda_ms: weight of the mode seeking term; 0 trains the plain baseline.
            weight_decay: L2 penalty added to the gradients of both networks
                (``grad + wd * w``, PyTorch's Adam ``weight_decay``, not AdamW).
            jit_compile: XLA; set explicitly so CPU tests and GPU runs trace the same step.
        """
        super().compile(jit_compile=jit_compile, **kwargs)
        if lambda_ms < 0:
            raise ValueError(f"lambda_ms must be >= 0, got {lambda_ms}")
        g_optimizer = g_optimizer or make_adam()
        d_optimizer = d_optimizer or make_adam()
        if g_optimizer is d_optimizer:
            raise ValueError("g_optimizer and d_optimizer must be two different optimizer objects")
        if keras.config.dtype_policy().name == "mixed_float16":
            g_optimizer = _with_loss_scaling(g_optimizer)
            d_optimizer = _with_loss_scaling(d_optimizer)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        self.lambda_ms = float(lambda_ms)
        self.weight_decay = float(weight_decay)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.ms_ratio_tracker]

    def fit(self, x=None, *args, shuffle=None, **kwargs):
        """``keras.Model.fit``, with ``shuffle`` off by default for a ``tf.data.Dataset``.

        Our pipelines shuffle in tf.data; Keras ignores ``shuffle`` for a dataset and warns on
        every call when it is left at its default ``True``. Other inputs keep Keras' default.
        """
        if shuffle is None:
            shuffle = not isinstance(x, tf.data.Dataset)
        return super().fit(x, *args, shuffle=shuffle, **kwargs)

    def call(self, inputs, training=False):
        condition, z = inputs
        return self.generator([condition, z], training=training)

    def build_optimizers(self):
        """Create optimizer slots now (before restoring a checkpoint into them)."""
        self.g_optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)

    # -- pieces a train_step is made of ------------------------------------------------
    def draw_noise(self, batch_size):
        """``(batch_size, nz)`` standard normal noise from the model's seed generator.

        Every ``train_step`` takes its noise from here (``generate_pair`` draws ``z1`` and ``z2``
        as one ``2 * batch`` call): a subclass overriding it feeds fixed noise, which is how
        ``tests/test_convert.py`` replays the official code's ``z1``, ``z2``.
        """
        return keras.random.normal((batch_size, self.nz), seed=self.seed_generator)

    def generate_pair(self, condition, training=True):
        """Two samples per condition from one batched generator call.

        Returns ``(fake1, fake2, z1, z2)``, each with the batch size of ``condition``.
        """
        batch_size = ops.shape(condition)[0]
        z_pair = self.draw_noise(2 * batch_size)
        condition_pair = ops.concatenate([condition, condition], axis=0)
        fake_pair = self.generator([condition_pair, z_pair], training=training)
        fake1, fake2 = ops.split(fake_pair, 2, axis=0)
        z1, z2 = ops.split(z_pair, 2, axis=0)
        return fake1, fake2, z1, z2

    def apply_update(self, optimizer, tape, loss, variables):
        """Gradient step with loss scaling, L2 weight decay and cross-replica scaling.

        ``loss`` is the output of :meth:`scaled`. The decay term ``wd * w`` goes through the
        same scaling as the loss, so the optimizer's unscaling (``mixed_float16``) and the
        cross-replica sum leave exactly ``grad + wd * w``.
        """
        grads = tape.gradient(loss, variables)
        if self.weight_decay:
            grads = [g + ops.cast(self.scaled(optimizer, self.weight_decay * v), g.dtype)
                     for g, v in zip(grads, variables)]
        optimizer.apply(grads, variables)

    def scaled(self, optimizer, loss):
        """The loss to differentiate: divided over replicas, scaled for float16."""
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        return optimizer.scale_loss(loss / replicas)

    # -- the step ------------------------------------------------------------------------
    def discriminator_loss(self, condition, real, fake1, fake2):
        """Official DCGAN+MS D loss: ``sum_k [BCE(D(real), 1) + BCE(D(fake_k), 0)]``."""
        real_logits = self.discriminator([real, condition], training=True)
        loss = 0.0
        for fake in (fake1, fake2):
            fake_logits = self.discriminator([fake, condition], training=True)
            loss += self.adversarial(real_logits, 1.0) + self.adversarial(fake_logits, 0.0)
        return loss

    def generator_adversarial_loss(self, condition, fake1, fake2):
        """``sum_k BCE(D(fake_k), 1)``: both samples of the pair must fool D."""
        return sum(
            self.adversarial(self.discriminator([fake, condition], training=True), 1.0)
            for fake in (fake1, fake2)
        )

    def generator_loss(self, condition, fake1, fake2, ms_loss):
        """``adversarial + lambda_ms * ms_loss``; with ``lambda_ms = 0`` the plain GAN loss."""
        g_loss = self.generator_adversarial_loss(condition, fake1, fake2)
        if self.lambda_ms:
            g_loss += self.lambda_ms * ms_loss
        return g_loss

    def train_step(self, data):
        condition, real, _ = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as g_tape:
            fake1, fake2, z1, z2 = self.generate_pair(condition)
            # D is updated on the same two fakes, then G is scored by the updated D, as in
            # the official code (one generator forward per step).
            with tf.GradientTape() as d_tape:
                d_loss = self.discriminator_loss(
                    condition, real, ops.stop_gradient(fake1), ops.stop_gradient(fake2))
                scaled_d_loss = self.scaled(self.d_optimizer, d_loss)
            self.apply_update(self.d_optimizer, d_tape, scaled_d_loss,
                              self.discriminator.trainable_variables)
            ms_loss = mode_seeking_loss(fake1, fake2, z1, z2, eps=MS_EPS)
            g_loss = self.generator_loss(condition, fake1, fake2, ms_loss)
            scaled_g_loss = self.scaled(self.g_optimizer, g_loss)
        self.apply_update(self.g_optimizer, g_tape, scaled_g_loss, self.generator.trainable_variables)
        return self.record(d_loss, g_loss, ms_loss)

    def record(self, d_loss, g_loss, ms_loss):
        """Update the progress-bar metrics; ``ms_ratio`` is the paper's ratio itself."""
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.ms_ratio_tracker.update_state(1.0 / ms_loss - MS_EPS)
        return {m.name: m.result() for m in self.metrics}


def _with_loss_scaling(optimizer):
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer
    return keras.optimizers.LossScaleOptimizer(optimizer)
