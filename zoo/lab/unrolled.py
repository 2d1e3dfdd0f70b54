"""Unrolled GANs (Metz et al., ICLR 2017) for any :class:`zoo.base.ConditionalGAN`.

The generator minimises the *surrogate* loss ``f(theta_G, theta_D^K)`` where ``theta_D^K`` is
the discriminator after ``K`` more optimisation steps from its current weights ``theta_D^0``:

    theta_D^{k+1} = theta_D^k - eta * update(d L_D(theta_G, theta_D^k) / d theta_D^k)   (eq. 5)

and its gradient ``dL/dtheta_G`` is taken *through* the K updates, i.e. it includes the
second-order term ``(df / dtheta_D^K) (dtheta_D^K / dtheta_G)`` of eq. 12. That term is what
makes the generator anticipate how D would react to it, and it is exactly what an
implementation that clones D and calls ``optimizer.apply`` drops (``apply`` assigns to
variables, which a gradient tape cannot see through). Here every unrolled update is plain
tensor arithmetic inside the generator's tape, and D is evaluated at those tensors with
:class:`keras.StatelessScope`, so the model's own loss methods (with minibatch discrimination,
PacGAN packing, whatever the discriminator has) are reused unchanged.

The discriminator itself is updated once per step from ``theta_D^0`` by its optimizer, which
is the first unrolled step (eq. 5 with k = 0); the unrolled copies are thrown away. With
``unroll_steps=0`` the generator is scored by ``theta_D^0``: a plain GAN with simultaneous
updates.
"""
import keras
import tensorflow as tf
from keras import ops

from zoo.base import MS_EPS, ConditionalGAN
from zoo.losses import mode_seeking_loss

INNER_OPTIMIZERS = ("adam", "sgd")
# sqrt(v) has an infinite derivative at v = 0, which turns a zero second-order contribution
# into 0 * inf = NaN; flooring v at a value far below Adam's epsilon^2 keeps the step's value
# identical to float32 precision and the gradient finite.
_V_FLOOR = 1e-30


def check_inner_optimizer(inner, optimizer):
    if inner not in INNER_OPTIMIZERS:
        raise ValueError(f"unknown inner optimizer {inner!r}; known: {', '.join(INNER_OPTIMIZERS)}")
    if inner == "adam" and not isinstance(optimizer, keras.optimizers.Adam):
        raise ValueError(
            f"inner='adam' unrolls the discriminator's own Adam, but d_optimizer is "
            f"{type(optimizer).__name__}; use inner='sgd' or an Adam d_optimizer")
    if keras.config.dtype_policy().name == "mixed_float16":
        raise ValueError("unrolled GAN steps support float32 and mixed_bfloat16, not mixed_float16")


def _adam_state(optimizer, variables):
    """Copies of Adam's first/second moments for ``variables`` (zeros if not built yet)."""
    built = getattr(optimizer, "built", False) and getattr(optimizer, "_momentums", None)
    momentums, velocities = [], []
    for variable in variables:
        if built:
            index = optimizer._get_variable_index(variable)
            momentums.append(tf.identity(optimizer._momentums[index].value))
            velocities.append(tf.identity(optimizer._velocities[index].value))
        else:
            momentums.append(ops.zeros(variable.shape, variable.dtype))
            velocities.append(ops.zeros(variable.shape, variable.dtype))
    return momentums, velocities


def _learning_rate(optimizer):
    # Keras 3 evaluates a LearningRateSchedule at the current iteration in this property.
    return ops.cast(optimizer.learning_rate, "float32")


def discriminator_loss_at(gan, weights, condition, real, fake1, fake2):
    """``gan.discriminator_loss`` with D's trainable variables replaced by the tensors ``weights``."""
    mapping = list(zip(gan.discriminator.trainable_variables, weights))
    with keras.StatelessScope(state_mapping=mapping):
        return gan.discriminator_loss(condition, real, fake1, fake2)


def generator_adversarial_loss_at(gan, weights, condition, fake1, fake2):
    """``gan.generator_adversarial_loss`` scored by a discriminator with weights ``weights``."""
    mapping = list(zip(gan.discriminator.trainable_variables, weights))
    with keras.StatelessScope(state_mapping=mapping):
        return gan.generator_adversarial_loss(condition, fake1, fake2)


def unroll_discriminator(gan, condition, real, fake1, fake2, steps, inner="adam"):
    """``theta_D^steps`` as differentiable tensors (Metz et al. eq. 5).

    Call it inside the generator's ``GradientTape`` with fakes that are *not* stop-gradiented:
    the returned weights are then functions of the generator's weights.

    Args:
        gan: a :class:`ConditionalGAN` (its ``d_optimizer`` gives the learning rate and, for
            Adam, ``beta_1``, ``beta_2``, ``epsilon``, the current moments and step count).
        condition, real: the batch, ``(N, ...)`` and ``(N, ...)``.
        fake1, fake2: the generator's pair of samples for ``condition``.
        steps: number of unrolled updates K >= 0 (the same batch for every update).
        inner: ``"adam"`` (the D optimizer's own update rule and state) or ``"sgd"``.

    Returns:
        A list of tensors, one per ``gan.discriminator.trainable_variables``.
    """
    if steps < 0:
        raise ValueError(f"unroll_steps must be >= 0, got {steps}")
    optimizer = gan.d_optimizer
    check_inner_optimizer(inner, optimizer)
    variables = gan.discriminator.trainable_variables
    weights = [tf.identity(v.value) for v in variables]
    if steps == 0:
        return weights
    learning_rate = _learning_rate(optimizer)
    if inner == "adam":
        momentums, velocities = _adam_state(optimizer, variables)
        iterations = ops.cast(optimizer.iterations, "float32")
        beta_1, beta_2 = float(optimizer.beta_1), float(optimizer.beta_2)
    for step in range(steps):
        with tf.GradientTape() as inner_tape:
            inner_tape.watch(weights)
            d_loss = discriminator_loss_at(gan, weights, condition, real, fake1, fake2)
        grads = inner_tape.gradient(d_loss, weights)
        if gan.weight_decay:
            grads = [g + gan.weight_decay * w for g, w in zip(grads, weights)]
        if inner == "sgd":
            weights = [w - learning_rate * g for w, g in zip(weights, grads)]
            continue
        # Keras' Adam.update_step, written without assignments.
        local_step = iterations + float(step + 1)
        alpha = learning_rate * ops.sqrt(1.0 - beta_2 ** local_step) / (1.0 - beta_1 ** local_step)
        momentums = [m + (g - m) * (1.0 - beta_1) for m, g in zip(momentums, grads)]
        velocities = [v + (ops.square(g) - v) * (1.0 - beta_2) for v, g in zip(velocities, grads)]
        weights = [w - m * alpha / (ops.sqrt(ops.maximum(v, _V_FLOOR)) + optimizer.epsilon)
                   for w, m, v in zip(weights, momentums, velocities)]
    return weights


def unrolled_generator_step(gan, condition, real, steps, inner="adam"):
    """Generator loss through ``steps`` unrolled D updates, and its gradient.

    Returns:
        dict with ``g_loss``, ``ms_loss`` (scalars), ``grads`` (one per generator trainable
        variable), ``fake1``, ``fake2`` (the samples, for the discriminator's own update).
    """
    with tf.GradientTape() as g_tape:
        fake1, fake2, z1, z2 = gan.generate_pair(condition)
        weights = unroll_discriminator(gan, condition, real, fake1, fake2, steps, inner)
        g_loss = generator_adversarial_loss_at(gan, weights, condition, fake1, fake2)
        ms_loss = mode_seeking_loss(fake1, fake2, z1, z2, eps=MS_EPS)
        if gan.lambda_ms:
            g_loss += gan.lambda_ms * ms_loss
        scaled_g_loss = gan.scaled(gan.g_optimizer, g_loss)
    variables = gan.generator.trainable_variables
    grads = g_tape.gradient(scaled_g_loss, variables)
    if gan.weight_decay:
        grads = [g + gan.weight_decay * ops.cast(v, g.dtype) for g, v in zip(grads, variables)]
    return {"g_loss": g_loss, "ms_loss": ms_loss, "grads": grads, "fake1": fake1, "fake2": fake2}


def unrolled_train_step(gan, data, steps, inner="adam"):
    """One unrolled-GAN step for ``gan``; use it as the body of a ``train_step``.

    G's gradient is computed through ``steps`` unrolled D updates from the current D; then D
    takes its ordinary step from the same weights (simultaneous updates, as in Metz et al.).
    """
    condition, real = data
    g_step = unrolled_generator_step(gan, condition, real, steps, inner)
    fake1, fake2 = ops.stop_gradient(g_step["fake1"]), ops.stop_gradient(g_step["fake2"])
    with tf.GradientTape() as d_tape:
        d_loss = gan.discriminator_loss(condition, real, fake1, fake2)
        scaled_d_loss = gan.scaled(gan.d_optimizer, d_loss)
    # The G update is applied first but was computed from theta_D^0 above; automatic control
    # dependencies in tf.function keep the reads of D before its update.
    gan.g_optimizer.apply(g_step["grads"], gan.generator.trainable_variables)
    gan.apply_update(gan.d_optimizer, d_tape, scaled_d_loss, gan.discriminator.trainable_variables)
    return gan.record(d_loss, g_step["g_loss"], g_step["ms_loss"])


class UnrolledGAN(ConditionalGAN):
    """A :class:`ConditionalGAN` whose generator is trained through K unrolled D steps.

    Args:
        unroll_steps: K (Metz et al. use 5 to 10 on the 2-D mixtures); 0 is a plain GAN.
        inner_optimizer: ``"adam"`` or ``"sgd"`` for the unrolled updates.
        Other arguments as :class:`ConditionalGAN`.
    """

    def __init__(self, generator, discriminator, nz, unroll_steps=5, inner_optimizer="adam", **kwargs):
        super().__init__(generator, discriminator, nz, **kwargs)
        if unroll_steps < 0:
            raise ValueError(f"unroll_steps must be >= 0, got {unroll_steps}")
        if inner_optimizer not in INNER_OPTIMIZERS:
            raise ValueError(f"unknown inner optimizer {inner_optimizer!r}; known: {', '.join(INNER_OPTIMIZERS)}")
        self.unroll_steps = int(unroll_steps)
        self.inner_optimizer = inner_optimizer

    def compile(self, *args, **kwargs):
        super().compile(*args, **kwargs)
        check_inner_optimizer(self.inner_optimizer, self.d_optimizer)
        # The unrolled Adam reads the optimizer's moments: create them before tracing.
        self.build_optimizers()

    def train_step(self, data):
        return unrolled_train_step(self, data, self.unroll_steps, self.inner_optimizer)
