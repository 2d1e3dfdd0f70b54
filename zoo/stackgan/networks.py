"""StackGAN++ networks (Zhang et al., TPAMI 2018) as the official StackGAN++-Mode-Seeking code builds them.

Generator (a tree): conditioning augmentation turns a sentence embedding into ``mu``, ``logvar`` and
a sampled code ``c``; the first stage maps ``[c, z]`` through a linear layer to 4x4 features and
nearest-neighbour upsampling blocks to ``base_size``; every further stage joins ``c`` to the
features again, runs ``r_num`` residual blocks and doubles the size. Every stage has its own
image head (3x3 conv + tanh), so one forward pass gives one image per branch (64, 128, 256 px).

Discriminators: one per branch, each with a conditional output (image features joined to the
condition ``mu``) and an unconditional one (image features alone). They return logits; the
official nets end in a sigmoid and train with ``BCELoss``, which is the same loss in a form that
does not saturate (see :func:`zoo.losses.bce_with_logits`).

All tensors are NHWC; images are float32 in [-1, 1]. Gated linear units (``GLU``) split the
channel axis in two and gate the first half with the sigmoid of the second, as the official
``GLU`` does on NCHW channels.
"""
import math

import keras
from keras import ops

from zoo.stackgan.text import CaptionEncoder

BN_MOMENTUM = 0.9  # PyTorch momentum 0.1
BN_EPSILON = 1e-5


def glu(x):
    """Gated linear unit over the last axis: ``x[..., :C/2] * sigmoid(x[..., C/2:])``."""
    first, gate = ops.split(x, 2, axis=-1)
    return first * ops.sigmoid(gate)


def _orthogonal():
    # The official weights_init: orthogonal (gain 1) for every conv and linear weight.
    return keras.initializers.Orthogonal(gain=1.0)


def conv3x3(filters, name=None):
    """3x3, stride 1, zero padding 1, no bias (the official ``conv3x3``)."""
    return keras.layers.Conv2D(filters, 3, padding="same", use_bias=False,
                               kernel_initializer=_orthogonal(), name=name)


def batch_norm(name=None):
    """Batch norm with PyTorch's defaults and the official init (gamma ~ N(1, 0.02), beta 0)."""
    return keras.layers.BatchNormalization(
        momentum=BN_MOMENTUM, epsilon=BN_EPSILON, name=name,
        gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02))


def tile_code(code, size):
    """``(N, E)`` -> ``(N, size, size, E)``: a code repeated at every position."""
    return ops.tile(code[:, None, None, :], (1, size, size, 1))


class GLUConvBlock(keras.layers.Layer):
    """conv3x3 to ``2 * filters``, batch norm, GLU (``Block3x3_relu``); ``upsample`` first doubles
    the size with nearest-neighbour upsampling (``upBlock``)."""

    def __init__(self, filters, upsample=False, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.upsample = keras.layers.UpSampling2D(2, interpolation="nearest") if upsample else None
        self.conv = conv3x3(2 * self.filters)
        self.bn = batch_norm()

    def call(self, x, training=False):
        if self.upsample is not None:
            x = self.upsample(x)
        return glu(self.bn(self.conv(x), training=training))


class ResBlock(keras.layers.Layer):
    """``x + BN(conv3x3(GLU(BN(conv3x3(x)))))``, no activation after the sum (official ``ResBlock``)."""

    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        self.conv1 = conv3x3(2 * channels)
        self.bn1 = batch_norm()
        self.conv2 = conv3x3(channels)
        self.bn2 = batch_norm()

    def call(self, x, training=False):
        out = glu(self.bn1(self.conv1(x), training=training))
        return x + self.bn2(self.conv2(out), training=training)


class ConditioningAugmentation(keras.layers.Layer):
    """Sentence embedding ``(N, text_dim)`` -> ``mu``, ``logvar`` ``(N, E)`` and ``c = mu + eps * exp(logvar / 2)``.

    One linear layer to ``4E`` features and a GLU (the official ``CA_NET``), then the two halves.
    """

    def __init__(self, embedding_dim, **kwargs):
        super().__init__(**kwargs)
        self.embedding_dim = int(embedding_dim)
        self.fc = keras.layers.Dense(4 * self.embedding_dim, kernel_initializer=_orthogonal())

    def encode(self, text_embedding):
        """``(mu, logvar)``, each ``(N, E)``."""
        features = glu(self.fc(text_embedding))
        return features[:, :self.embedding_dim], features[:, self.embedding_dim:]

    def call(self, text_embedding, eps):
        """``(c, mu, logvar)`` with ``eps (N, E)`` standard normal noise (the reparameterization)."""
        mu, logvar = self.encode(text_embedding)
        return mu + eps * ops.exp(0.5 * logvar), mu, logvar


class InitStage(keras.layers.Layer):
    """``[c, z]`` -> ``(N, base, base, gf_dim)``: linear to 4x4 features (+ BN + GLU), then upsampling blocks.

    Starts at ``gf_dim * 2^k`` channels for ``k`` upsamplings (``gf_dim * 16`` at 64 px, the official
    ``INIT_STAGE_G(ngf * 16)``) and halves the channels at every doubling.
    """

    def __init__(self, gf_dim, upsamplings, **kwargs):
        super().__init__(**kwargs)
        self.start_channels = int(gf_dim) * 2 ** int(upsamplings)
        self.fc = keras.layers.Dense(4 * 4 * self.start_channels * 2, use_bias=False,
                                     kernel_initializer=_orthogonal())
        self.fc_bn = batch_norm()
        self.ups = [GLUConvBlock(self.start_channels // 2 ** (i + 1), upsample=True, name=f"up{i + 1}")
                    for i in range(int(upsamplings))]

    def call(self, code, training=False):
        # Feature j of the linear layer is position (j // C) // 4, (j // C) % 4, channel j % C:
        # NHWC order; the converter permutes PyTorch's (C, 4, 4) order into it.
        h = glu(self.fc_bn(self.fc(code), training=training))
        h = ops.reshape(h, (-1, 4, 4, self.start_channels))
        for block in self.ups:
            h = block(h, training=training)
        return h


class NextStage(keras.layers.Layer):
    """``(N, S, S, C)`` features and ``c`` -> ``(N, 2S, 2S, C/2)`` (the official ``NEXT_STAGE_G``)."""

    def __init__(self, channels, residuals, **kwargs):
        super().__init__(**kwargs)
        self.joint = GLUConvBlock(channels, name="joint")
        self.residuals = [ResBlock(channels, name=f"res{i}") for i in range(int(residuals))]
        self.up = GLUConvBlock(channels // 2, upsample=True, name="up")

    def call(self, h, code, training=False):
        h = self.joint(ops.concatenate([tile_code(code, ops.shape(h)[1]), h], axis=-1), training=training)
        for block in self.residuals:
            h = block(h, training=training)
        return self.up(h, training=training)


class StackGenerator(keras.Model):
    """The StackGAN++ tree generator.

    ``generator([condition, z])`` or ``generator([condition, z, ca_eps])`` returns the last branch's
    images ``(N, S, S, 3)`` in [-1, 1]; :meth:`branches` returns every branch with ``mu`` and
    ``logvar``. ``condition`` is a sentence embedding ``(N, text_dim)``, or token ids
    ``(N, max_caption_words)`` when the config has a caption encoder (frozen, inside this model).
    ``z`` is ``(N, nz)`` standard normal; ``ca_eps`` ``(N, embedding_dim)`` standard normal is drawn
    from the model's own seed generator when not given.
    """

    def __init__(self, config, **kwargs):
        super().__init__(name=kwargs.pop("name", "stackgan_generator"), **kwargs)
        self.config = config
        self.text_encoder = None
        if config.text_encoder:
            self.text_encoder = CaptionEncoder(config, name="caption_encoder")
        self.ca = ConditioningAugmentation(config.embedding_dim, name="ca")
        self.init_stage = InitStage(config.gf_dim, config.init_upsamplings, name="stage1")
        widths = config.branch_widths
        # The official 4th branch uses one residual block ("mainly limited by GPU memory").
        self.next_stages = [NextStage(widths[i - 1], config.r_num if i < 3 else 1, name=f"stage{i + 1}")
                            for i in range(1, config.branch_num)]
        self.image_heads = [keras.layers.Conv2D(config.channels, 3, padding="same", use_bias=False,
                                                activation="tanh", kernel_initializer=_orthogonal(),
                                                dtype="float32", name=f"image{i + 1}")
                            for i in range(config.branch_num)]
        self.noise_seed = keras.random.SeedGenerator(config.seed, name="ca_noise")
        self._build_now()
        if self.text_encoder is not None:
            # Frozen only once built: variables created under trainable=False never get gradients,
            # even after unfreezing (pretrain_caption_encoder unfreezes it for a while).
            self.text_encoder.trainable = False

    def _build_now(self):
        condition = (ops.ones((1, self.config.max_caption_words), "int32") if self.text_encoder is not None
                     else ops.zeros((1, self.config.text_dim)))
        # Through __call__, so Keras marks the model built (save_weights/load_weights need it).
        self([condition, ops.zeros((1, self.config.nz)), ops.zeros((1, self.config.embedding_dim))])

    def sentence_embedding(self, condition):
        """The CA input ``(N, text_dim)``: the condition itself, or the frozen encoder's output."""
        if self.text_encoder is None:
            return ops.cast(condition, "float32")
        return self.text_encoder(condition, training=False)

    def branches(self, condition, z, ca_eps=None, training=False):
        """``(images, mu, logvar)``: images a list, one ``(N, s, s, 3)`` per branch in [-1, 1]."""
        embedding = self.sentence_embedding(condition)
        if ca_eps is None:
            ca_eps = keras.random.normal((ops.shape(embedding)[0], self.config.embedding_dim),
                                         seed=self.noise_seed)
        code, mu, logvar = self.ca(embedding, ca_eps)
        h = self.init_stage(ops.concatenate([code, ops.cast(z, code.dtype)], axis=-1), training=training)
        images = [self.image_heads[0](h)]
        for stage, head in zip(self.next_stages, self.image_heads[1:]):
            h = stage(h, code, training=training)
            images.append(head(h))
        return images, mu, logvar

    def call(self, inputs, training=False):
        condition, z, *rest = inputs
        images, _, _ = self.branches(condition, z, rest[0] if rest else None, training=training)
        return images[-1]


class BranchDiscriminator(keras.Model):
    """The discriminator of one branch: ``[image (N, S, S, 3), mu (N, E)]`` -> ``(cond, uncond)`` logits ``(N,)``.

    Image path (the official ``D_NET64/128/256``): 4x4 stride-2 convs from ``df_dim`` channels,
    doubling, down to 4x4 (the first without batch norm), then 3x3 blocks halving the channels
    back to ``8 * df_dim`` when the image is larger than 64 px. The conditional head joins the
    tiled ``mu`` (first) to those features with a 3x3 block; both heads end in a 4x4 stride-4 conv.
    With ``config.d_condition = "embedding"`` the condition is the sentence embedding
    ``(N, text_dim)`` instead of ``mu`` (``config.d_condition_dim`` wide).
    """

    def __init__(self, config, size, **kwargs):
        super().__init__(**kwargs)
        downs = int(math.log2(size // 4))
        widths = [config.df_dim * 2 ** k for k in range(downs)]
        self.size = int(size)
        self.condition_dim = config.d_condition_dim
        self.down_convs = [keras.layers.Conv2D(width, 4, strides=2, padding="same", use_bias=False,
                                               kernel_initializer=_orthogonal(), name=f"down{k}")
                           for k, width in enumerate(widths)]
        self.down_bns = [batch_norm(name=f"down{k}_bn") for k in range(1, downs)]
        narrow_widths = []
        width = widths[-1]
        while width > 8 * config.df_dim:
            width //= 2
            narrow_widths.append(width)
        self.narrow_convs = [conv3x3(w, name=f"narrow{k}") for k, w in enumerate(narrow_widths)]
        self.narrow_bns = [batch_norm(name=f"narrow{k}_bn") for k in range(len(narrow_widths))]
        self.joint_conv = conv3x3(width, name="joint")
        self.joint_bn = batch_norm(name="joint_bn")
        self.cond_logits = keras.layers.Conv2D(1, 4, strides=4, kernel_initializer=_orthogonal(),
                                               dtype="float32", name="cond_logits")
        self.uncond_logits = keras.layers.Conv2D(1, 4, strides=4, kernel_initializer=_orthogonal(),
                                                 dtype="float32", name="uncond_logits")
        self([ops.zeros((1, size, size, config.channels)), ops.zeros((1, self.condition_dim))])

    def image_features(self, image, training=False):
        """``(N, 4, 4, min(8 df, df 2^(k-1)))`` features of ``image``."""
        x = ops.leaky_relu(self.down_convs[0](image), 0.2)
        for conv, bn in zip(self.down_convs[1:] + self.narrow_convs, self.down_bns + self.narrow_bns):
            x = ops.leaky_relu(bn(conv(x), training=training), 0.2)
        return x

    def call(self, inputs, training=False):
        image, mu = inputs  # mu: the condition, (N, condition_dim)
        features = self.image_features(image, training=training)
        joint = ops.concatenate([tile_code(ops.cast(mu, features.dtype), 4), features], axis=-1)
        joint = ops.leaky_relu(self.joint_bn(self.joint_conv(joint), training=training), 0.2)
        return (ops.reshape(self.cond_logits(joint), (-1,)),
                ops.reshape(self.uncond_logits(features), (-1,)))


class StackDiscriminators(keras.Model):
    """One :class:`BranchDiscriminator` per branch (``.branches``), kept together for optimizers and checkpoints."""

    def __init__(self, config, **kwargs):
        super().__init__(name=kwargs.pop("name", "stackgan_discriminators"), **kwargs)
        self.branches = [BranchDiscriminator(config, size, name=f"d{size}") for size in config.branch_sizes]
        self.built = True

    def call(self, inputs, training=False):
        """``[images (list, one per branch), mu]`` -> a list of ``(cond, uncond)`` logit pairs."""
        images, mu = inputs
        return [d([image, mu], training=training) for d, image in zip(self.branches, images)]


def build_generator(config):
    """The family's generator for ``config`` (built, random weights)."""
    return StackGenerator(config)


def build_discriminators(config):
    """The per-branch discriminators for ``config`` (built, random weights)."""
    return StackDiscriminators(config)
