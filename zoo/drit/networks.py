"""DRIT's networks (Lee et al., ECCV 2018) as the official DRIT-Mode-Seeking code builds them, NHWC.

Every network mirrors one official module, with the same sub-module order so a checkpoint maps
one to one (:mod:`zoo.drit.convert`):

* :class:`ContentEncoder` (``E_content``): a branch per domain, then one shared residual block
  and a Gaussian noise layer (std 1, training only); ``(N, S, S, 3) -> (N, S/4, S/4, 4w)``.
* :class:`AttributeEncoder` (``E_attr``, concat 0): plain codes ``(N, nz)``.
* :class:`AttributeEncoderConcat` (``E_attr_concat``, concat 1): ``(mu, logvar)``, each ``(N, nz)``.
* :class:`Generator` (``G``, concat 0): an MLP maps the code to four ``MisINSResBlock``s.
* :class:`GeneratorConcat` (``G_concat``, concat 1): the code tiled and concatenated at every stage.
* :class:`MultiScaleDiscriminator` (``MultiScaleDis``): patch logits at ``dis_scale`` scales.
* :class:`ContentDiscriminator` (``Dis_content``): logits saying which domain a content code is from.

Images are in [-1, 1]; generator outputs are float32 (``tanh``) in [-1, 1].
"""
import keras
from keras import layers, ops

from zoo.drit.layers import AvgPoolExcludePad, ChannelAffineLayerNorm, ReflectConv, TorchConvTranspose
from zoo.unet import InstanceNormalization

# PyTorch's default nn.Linear init (kaiming_uniform with a = sqrt(5)): U(+-1/sqrt(fan_in)).
LINEAR_INIT = keras.initializers.VarianceScaling(1.0 / 3.0, mode="fan_in", distribution="uniform")
# nn.LeakyReLU()'s default slope: the official LeakyReLUConv2d never passes one.
LEAKY_SLOPE = 0.01


def _run(sequence, x):
    for layer in sequence:
        x = layer(x)
    return x


class LeakyReLUConv(layers.Layer):
    """``LeakyReLUConv2d``: reflection pad, conv, LeakyReLU(0.01).

    The official module tests ``'norm' == 'Instance'`` (a string literal, always false), so no
    normalization is ever applied, whatever ``dis_norm`` says; this port does the same.
    """

    def __init__(self, filters, kernel_size, stride, pad, **kwargs):
        super().__init__(**kwargs)
        self.conv = ReflectConv(filters, kernel_size, stride, pad)

    def call(self, x):
        return ops.leaky_relu(self.conv(x), LEAKY_SLOPE)


class ReLUINSConv(layers.Layer):
    """``ReLUINSConv2d``: reflection pad, conv, instance norm, ReLU."""

    def __init__(self, filters, kernel_size, stride, pad, **kwargs):
        super().__init__(**kwargs)
        self.conv = ReflectConv(filters, kernel_size, stride, pad)
        self.norm = InstanceNormalization()

    def call(self, x):
        return ops.relu(self.norm(self.conv(x)))


class INSResBlock(layers.Layer):
    """``INSResBlock``: ``x + IN(conv3(ReLU(IN(conv3(x)))))`` with reflection padding."""

    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.conv1 = ReflectConv(filters, 3, 1, 1)
        self.norm1 = InstanceNormalization()
        self.conv2 = ReflectConv(filters, 3, 1, 1)
        self.norm2 = InstanceNormalization()

    def call(self, x):
        out = ops.relu(self.norm1(self.conv1(x)))
        return x + self.norm2(self.conv2(out))


def _tile(code, feature_map):
    """``code (N, k)`` broadcast over the grid of ``feature_map (N, H, W, C)``: ``(N, H, W, k)``."""
    code = ops.cast(code, feature_map.dtype)
    shape = ops.shape(feature_map)
    return ops.broadcast_to(code[:, None, None, :], (shape[0], shape[1], shape[2], ops.shape(code)[-1]))


class MisINSResBlock(layers.Layer):
    """``MisINSResBlock``: a residual block whose two convolutions are each followed by a 1x1
    MLP over ``[features, tiled code]`` (``code`` has ``extra`` channels)."""

    def __init__(self, filters, extra, **kwargs):
        super().__init__(**kwargs)
        init = keras.initializers.RandomNormal(stddev=0.02)
        self.conv1 = ReflectConv(filters, 3, 1, 1)
        self.norm1 = InstanceNormalization()
        self.conv2 = ReflectConv(filters, 3, 1, 1)
        self.norm2 = InstanceNormalization()
        self.blk1 = [layers.Conv2D(filters + extra, 1, kernel_initializer=init),
                     layers.Conv2D(filters, 1, kernel_initializer=init)]
        self.blk2 = [layers.Conv2D(filters + extra, 1, kernel_initializer=init),
                     layers.Conv2D(filters, 1, kernel_initializer=init)]

    @staticmethod
    def _mlp(block, x, code):
        x = ops.concatenate([x, _tile(code, x)], axis=-1)
        return ops.relu(block[1](ops.relu(block[0](x))))

    def call(self, x, code):
        out = self._mlp(self.blk1, self.norm1(self.conv1(x)), code)
        out = self._mlp(self.blk2, self.norm2(self.conv2(out)), code)
        return x + out


class ReLUINSConvTranspose(layers.Layer):
    """``ReLUINSConvTranspose2d``: transposed conv (k3, s2: doubles H, W), layer norm, ReLU."""

    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.conv = TorchConvTranspose(filters, 3, stride=2, padding=1, output_padding=1)
        self.norm = ChannelAffineLayerNorm()

    def call(self, x):
        return ops.relu(self.norm(self.conv(x)))


class BasicBlock(layers.Layer):
    """``BasicBlock`` of ``E_attr_concat`` (no norm, LeakyReLU 0.2): a conv path
    (act, conv3, act, conv3, avgpool 2) plus a shortcut (avgpool 2, conv1); halves H, W."""

    def __init__(self, in_filters, out_filters, **kwargs):
        super().__init__(**kwargs)
        self.conv1 = ReflectConv(in_filters, 3, 1, 1)
        self.conv2 = ReflectConv(out_filters, 3, 1, 1)
        self.pool = layers.AveragePooling2D(2)
        self.shortcut = layers.Conv2D(out_filters, 1, kernel_initializer=keras.initializers.RandomNormal(stddev=0.02))

    def call(self, x):
        out = self.conv1(ops.leaky_relu(x, 0.2))
        out = self.pool(self.conv2(ops.leaky_relu(out, 0.2)))
        return out + self.shortcut(self.pool(x))


# -- encoders -------------------------------------------------------------------------------

class ContentEncoder(layers.Layer):
    """``E_content``: per-domain branch (conv7 + LeakyReLU, two stride-2 ReLU-IN convs, three
    residual blocks), then the shared residual block and Gaussian noise (std 1, training only).

    ``(N, S, S, C) -> (N, S/4, S/4, 4 * width)``.
    """

    def __init__(self, width=64, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.branch_a = self._branch(width)
        self.branch_b = self._branch(width)
        self.share = INSResBlock(4 * width)
        self.noise = layers.GaussianNoise(1.0, seed=seed)

    @staticmethod
    def _branch(width):
        return [LeakyReLUConv(width, 7, 1, 3), ReLUINSConv(2 * width, 3, 2, 1), ReLUINSConv(4 * width, 3, 2, 1),
                INSResBlock(4 * width), INSResBlock(4 * width), INSResBlock(4 * width)]

    def encode(self, x, domain, training=None):
        branch = self.branch_a if domain == "a" else self.branch_b
        return self.noise(self.share(_run(branch, x)), training=training)

    def call(self, xa, xb, training=None):
        return self.encode(xa, "a", training), self.encode(xb, "b", training)


class AttributeEncoder(layers.Layer):
    """``E_attr`` (concat 0): per domain conv7, four stride-2 conv4 (reflection pad 1), each with
    ReLU, global average pool, conv1 to ``nz``. ``(N, S, S, C) -> (N, nz)``."""

    def __init__(self, width=64, nz=8, **kwargs):
        super().__init__(**kwargs)
        self.branch_a = self._branch(width, nz)
        self.branch_b = self._branch(width, nz)

    @staticmethod
    def _branch(width, nz):
        convs = [ReflectConv(width, 7, 1, 3), ReflectConv(2 * width, 4, 2, 1), ReflectConv(4 * width, 4, 2, 1),
                 ReflectConv(4 * width, 4, 2, 1), ReflectConv(4 * width, 4, 2, 1)]
        head = layers.Conv2D(nz, 1, kernel_initializer=keras.initializers.RandomNormal(stddev=0.02))
        return convs, head

    def encode(self, x, domain):
        convs, head = self.branch_a if domain == "a" else self.branch_b
        for conv in convs:
            x = ops.relu(conv(x))
        return head(ops.mean(x, axis=(1, 2), keepdims=True))[:, 0, 0, :]

    def call(self, xa, xb):
        return self.encode(xa, "a"), self.encode(xb, "b")


class AttributeEncoderConcat(layers.Layer):
    """``E_attr_concat`` (concat 1): per domain a stride-2 conv4, three ``BasicBlock``s (widths
    ``w, 2w, 3w, 4w``), LeakyReLU(0.2), global average pool, two linear heads.

    ``(N, S, S, C) -> (mu (N, nz), logvar (N, nz))``.
    """

    def __init__(self, width=64, nz=8, n_blocks=4, max_mult=4, **kwargs):
        super().__init__(**kwargs)
        self.branch_a = self._branch(width, nz, n_blocks, max_mult)
        self.branch_b = self._branch(width, nz, n_blocks, max_mult)

    @staticmethod
    def _branch(width, nz, n_blocks, max_mult):
        stem = ReflectConv(width, 4, 2, 1)
        blocks = [BasicBlock(width * min(max_mult, n), width * min(max_mult, n + 1)) for n in range(1, n_blocks)]
        fc_mu = layers.Dense(nz, kernel_initializer=LINEAR_INIT)
        fc_logvar = layers.Dense(nz, kernel_initializer=LINEAR_INIT)
        return stem, blocks, fc_mu, fc_logvar

    def encode(self, x, domain):
        stem, blocks, fc_mu, fc_logvar = self.branch_a if domain == "a" else self.branch_b
        x = stem(x)
        for block in blocks:
            x = block(x)
        features = ops.mean(ops.leaky_relu(x, 0.2), axis=(1, 2))
        return fc_mu(features), fc_logvar(features)

    def call(self, xa, xb):
        return (*self.encode(xa, "a"), *self.encode(xb, "b"))


# -- generators -----------------------------------------------------------------------------

def _output_head(channels):
    # ConvTranspose2d(k=1, s=1) is a 1x1 convolution; float32 so mixed precision keeps tanh exact.
    return layers.Conv2D(channels, 1, kernel_initializer=keras.initializers.RandomNormal(stddev=0.02), dtype="float32")


class Generator(layers.Layer):
    """``G`` (concat 0): per domain an MLP ``nz -> mlp_width -> mlp_width -> 4 * channels``, split
    into four codes for four ``MisINSResBlock``s, then two upsampling ``ReLUINSConvTranspose``
    and a 1x1 conv with tanh. ``content (N, s, s, channels), code (N, nz) -> (N, 4s, 4s, C)``."""

    def __init__(self, channels=256, nz=8, mlp_width=256, out_a=3, out_b=3, **kwargs):
        super().__init__(**kwargs)
        self.channels = int(channels)
        self.decoder_a = self._decoder(channels, mlp_width, out_a)
        self.decoder_b = self._decoder(channels, mlp_width, out_b)

    @staticmethod
    def _decoder(channels, mlp_width, out_channels):
        mlp = [layers.Dense(mlp_width, kernel_initializer=LINEAR_INIT), layers.Dense(mlp_width, kernel_initializer=LINEAR_INIT),
               layers.Dense(4 * channels, kernel_initializer=LINEAR_INIT)]
        blocks = [MisINSResBlock(channels, channels) for _ in range(4)]
        up = [ReLUINSConvTranspose(channels // 2), ReLUINSConvTranspose(channels // 4)]
        return mlp, blocks, up, _output_head(out_channels)

    def decode(self, content, code, domain):
        """The image of ``domain`` (``"a"`` or ``"b"``) with ``content`` and attribute ``code``."""
        mlp, blocks, up, head = self.decoder_a if domain == "a" else self.decoder_b
        code = ops.cast(code, content.dtype)
        code = ops.relu(mlp[1](ops.relu(mlp[0](code))))
        codes = ops.split(mlp[2](code), 4, axis=-1)
        x = content
        for block, block_code in zip(blocks, codes):
            x = block(x, block_code)
        for layer in up:
            x = layer(x)
        return ops.tanh(head(x))


class GeneratorConcat(layers.Layer):
    """``G_concat`` (concat 1): a shared residual block, then per domain the code tiled and
    concatenated before three residual blocks, two upsampling stages and the 1x1 output conv.
    ``content (N, s, s, channels), code (N, nz) -> (N, 4s, 4s, C)``."""

    def __init__(self, channels=256, nz=8, out_a=3, out_b=3, **kwargs):
        super().__init__(**kwargs)
        self.share = INSResBlock(channels)
        self.decoder_a = self._decoder(channels, nz, out_a)
        self.decoder_b = self._decoder(channels, nz, out_b)

    @staticmethod
    def _decoder(channels, nz, out_channels):
        width = channels + nz
        blocks = [INSResBlock(width) for _ in range(3)]
        up1 = ReLUINSConvTranspose((width + nz) // 2)
        up2 = ReLUINSConvTranspose(((width + nz) // 2 + nz) // 2)
        return blocks, [up1, up2], _output_head(out_channels)

    def decode(self, content, code, domain):
        """The image of ``domain`` (``"a"`` or ``"b"``) with ``content`` and attribute ``code``."""
        blocks, up, head = self.decoder_a if domain == "a" else self.decoder_b
        x = self.share(content)
        x = ops.concatenate([x, _tile(code, x)], axis=-1)
        for block in blocks:
            x = block(x)
        for layer in up:
            x = layer(ops.concatenate([x, _tile(code, x)], axis=-1))
        return ops.tanh(head(ops.concatenate([x, _tile(code, x)], axis=-1)))


# -- discriminators -------------------------------------------------------------------------

class MultiScaleDiscriminator(layers.Layer):
    """``MultiScaleDis``: ``n_scale`` PatchGANs (four stride-2 LeakyReLU convs, widths
    ``w, 2w, 4w, 8w``, then a 1x1 conv), each on the image average-pooled once more.

    ``(N, S, S, C) -> [logits (N, S/16, S/16, 1), (N, S/32, ...), ...]``.
    """

    def __init__(self, width=64, n_scale=3, n_layer=4, **kwargs):
        super().__init__(**kwargs)
        self.scales = [self._net(width, n_layer) for _ in range(n_scale)]
        self.downsample = AvgPoolExcludePad()

    @staticmethod
    def _net(width, n_layer):
        convs = [LeakyReLUConv(width * 2 ** k, 4, 2, 1) for k in range(n_layer)]
        return convs + [layers.Conv2D(1, 1, kernel_initializer=keras.initializers.RandomNormal(stddev=0.02), dtype="float32")]

    def call(self, x):
        outputs = []
        for k, net in enumerate(self.scales):
            if k:
                x = self.downsample(x)
            outputs.append(_run(net, x))
        return outputs


def content_discriminator_kernel(content_size):
    """The last kernel of ``Dis_content``: 4 (official, content >= 53 px, images >= 212 px), or the
    whole remaining map for smaller content codes, where a 4x4 kernel would not fit."""
    size = content_size
    for _ in range(3):
        size = (size + 2 - 7) // 2 + 1
    if size < 1:
        raise ValueError(f"content code of {content_size} px is too small for the content discriminator "
                         "(DRIT needs image_size >= 116)")
    return min(4, size)


class ContentDiscriminator(layers.Layer):
    """``Dis_content``: three LeakyReLU conv7/2 (reflection pad 1), a LeakyReLU conv4, a 1x1 conv.

    ``(N, s, s, channels) -> logits (N, h, w, 1)`` (1x1 at the official 54 px code).
    """

    def __init__(self, channels=256, content_size=54, **kwargs):
        super().__init__(**kwargs)
        self.convs = [LeakyReLUConv(channels, 7, 2, 1) for _ in range(3)]
        self.convs.append(LeakyReLUConv(channels, content_discriminator_kernel(content_size), 1, 0))
        self.head = layers.Conv2D(1, 1, kernel_initializer=keras.initializers.RandomNormal(stddev=0.02), dtype="float32")

    def call(self, x):
        return self.head(_run(self.convs, x))


# -- the translator: what a trained DRIT is for users ---------------------------------------

BUILD_SIZE = 64  # >= 64: the third discriminator scale still has a 2 px map for its reflection pad


def other(domain):
    return "b" if domain == "a" else "a"


@keras.saving.register_keras_serializable(package="msgan_zoo")
class Translator(keras.Model):
    """The inference half of DRIT: content encoder, attribute encoder and generator.

    ``Translator([image (N, S, S, C) in [-1, 1], code (N, nz)])`` is the translation in
    ``config.direction`` (official ``test_forward``: the input's content, the given attribute
    code), float32 in [-1, 1], ``(N, S, S, C)``. :meth:`translate`, :meth:`attributes` and
    :meth:`transfer` give both directions and the reference-guided translation.

    Attributes:
        content_encoder, attribute_encoder, generator: the official ``enc_c``, ``enc_a``, ``gen``.
    """

    def __init__(self, config, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        width = config.content_width
        self.content_encoder = ContentEncoder(width, seed=seed)
        if config.concat:
            self.attribute_encoder = AttributeEncoderConcat(config.attr_width, config.nz)
            self.generator = GeneratorConcat(config.content_channels, config.nz, config.input_dim_a, config.input_dim_b)
        else:
            self.attribute_encoder = AttributeEncoder(config.attr_width, config.nz)
            self.generator = Generator(config.content_channels, config.nz, config.mlp_width,
                                       config.input_dim_a, config.input_dim_b)
        self._build_all()

    def _build_all(self):
        # Weight shapes do not depend on the image size: build on small images (fast, eager).
        size, nz = BUILD_SIZE, self.config.nz
        images = {d: ops.zeros((1, size, size, c)) for d, c in self.config.input_dims.items()}
        code = ops.zeros((1, nz))
        for domain in "ab":
            content = self.content_encoder.encode(images[domain], domain)
            self.attribute_encoder.encode(images[domain], domain)
            self.generator.decode(content, code, domain)
        self.built = True

    def translate(self, image, code, direction="a2b", training=False):
        """``image`` of the source domain with ``code`` as the target domain's attribute."""
        source = direction[0]
        content = self.content_encoder.encode(image, source, training=training)
        return self.generator.decode(content, code, other(source))

    def attributes(self, image, domain):
        """The attribute of ``image`` in ``domain``: the code ``(N, nz)`` (concat 0) or
        ``(mu, logvar)`` (concat 1)."""
        return self.attribute_encoder.encode(image, domain)

    def attribute_code(self, image, domain):
        """A deterministic attribute code: the code itself (concat 0) or its mean (concat 1)."""
        attributes = self.attributes(image, domain)
        return attributes[0] if self.config.concat else attributes

    def transfer(self, image, reference, direction="a2b"):
        """``image``'s content with the attribute of ``reference`` (a target-domain image)."""
        return self.translate(image, self.attribute_code(reference, direction[-1]), direction)

    def call(self, inputs, training=False):
        image, code = inputs
        return self.translate(image, code, self.config.direction, training=training)


def build_generator(config, translator=None):
    """The zoo's generator of a DRIT config: a functional model
    ``[condition (N, S, S, C) in [-1, 1], z (N, nz)] -> (N, S, S, C)`` in [-1, 1], the translation
    in ``config.direction``, around one :class:`Translator` (its layer ``"translator"``, which
    :func:`translator_of` returns for the other direction and the attribute encoders)."""
    translator = translator or Translator(config, seed=config.seed, name="translator")
    channels = config.in_channels
    image = keras.Input((config.image_size, config.image_size, channels), name="condition")
    code = keras.Input((config.nz,), name="z")
    return keras.Model([image, code], translator([image, code]), name="generator")


def translator_of(generator):
    """The :class:`Translator` inside a :func:`build_generator` model."""
    return generator.get_layer("translator")
