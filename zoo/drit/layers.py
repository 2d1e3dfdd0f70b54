"""PyTorch-exact building layers of DRIT in NHWC: padding, transposed convolution, norms, pooling.

Each layer computes what the named PyTorch module computes (same padding positions, same
statistics), so that official weights give official outputs.
"""
import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="msgan_zoo")
class ReflectionPad(layers.Layer):
    """``nn.ReflectionPad2d(pad)``: ``(N, H, W, C) -> (N, H + 2 pad, W + 2 pad, C)``."""

    def __init__(self, pad, **kwargs):
        super().__init__(**kwargs)
        self.pad = int(pad)

    def call(self, x):
        if not self.pad:
            return x
        p = self.pad
        return ops.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def compute_output_shape(self, shape):
        grow = lambda n: None if n is None else n + 2 * self.pad  # noqa: E731
        return (shape[0], grow(shape[1]), grow(shape[2]), shape[3])

    def get_config(self):
        return {**super().get_config(), "pad": self.pad}


@keras.saving.register_keras_serializable(package="msgan_zoo")
class ReflectConv(layers.Layer):
    """Reflection padding then a bias-carrying ``valid`` convolution (DRIT's conv unit).

    ``(N, H, W, Cin) -> (N, (H + 2 pad - k) // stride + 1, ..., filters)``.
    """

    def __init__(self, filters, kernel_size, stride=1, pad=0, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.stride, self.pad = int(filters), int(kernel_size), int(stride), int(pad)
        self.padding = ReflectionPad(self.pad)
        self.conv = layers.Conv2D(self.filters, self.kernel_size, strides=self.stride, padding="valid",
                                  kernel_initializer=keras.initializers.RandomNormal(stddev=0.02))

    def build(self, input_shape):
        self.conv.build(self.padding.compute_output_shape(input_shape))

    def call(self, x):
        return self.conv(self.padding(x))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "stride": self.stride, "pad": self.pad}


@keras.saving.register_keras_serializable(package="msgan_zoo")
class TorchConvTranspose(layers.Layer):
    """``nn.ConvTranspose2d(k, stride, padding, output_padding)`` with PyTorch's output alignment.

    TensorFlow's ``same`` transposed convolution keeps the first ``2H`` rows of the full
    ``(H - 1) * stride + k`` output; PyTorch drops ``padding`` rows at the start and keeps
    ``output_padding`` extra rows at the end. With k 3, stride 2, padding 1, output padding 1 the
    two differ by one row, so the full output is computed and cropped the PyTorch way:
    ``(N, H, W, Cin) -> (N, (H - 1) stride - 2 padding + k + output_padding, ..., filters)``.
    """

    def __init__(self, filters, kernel_size, stride=1, padding=0, output_padding=0, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.stride = int(filters), int(kernel_size), int(stride)
        self.padding, self.output_padding = int(padding), int(output_padding)
        self.conv = layers.Conv2DTranspose(self.filters, self.kernel_size, strides=self.stride, padding="valid",
                                           kernel_initializer=keras.initializers.RandomNormal(stddev=0.02))

    def build(self, input_shape):
        self.conv.build(input_shape)

    def call(self, x):
        full = self.conv(x)
        start = self.padding
        end = self.padding - self.output_padding  # rows dropped at the end of the full output
        if end < 0:
            raise ValueError("output_padding larger than padding needs zero rows appended; not used by DRIT")
        height, width = ops.shape(full)[1], ops.shape(full)[2]
        return full[:, start:height - end, start:width - end, :]

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "stride": self.stride, "padding": self.padding, "output_padding": self.output_padding}


@keras.saving.register_keras_serializable(package="msgan_zoo")
class ChannelAffineLayerNorm(layers.Layer):
    """DRIT's (MUNIT's) ``LayerNorm``: per-sample statistics over ``H, W, C``, per-channel affine.

    ``(N, H, W, C) -> (N, H, W, C)``; ``gamma``, ``beta`` of shape ``(C,)`` (PyTorch stores
    ``(C, 1, 1)``); eps 1e-5, biased variance (``F.layer_norm``); statistics in float32.
    """

    def __init__(self, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        channels = input_shape[-1]
        self.gamma = self.add_weight(name="gamma", shape=(channels,), initializer="ones")
        self.beta = self.add_weight(name="beta", shape=(channels,), initializer="zeros")

    def call(self, x):
        x32 = ops.cast(x, "float32")
        mean, variance = ops.moments(x32, axes=(1, 2, 3), keepdims=True)
        normalized = (x32 - mean) * ops.rsqrt(variance + self.epsilon)
        out = normalized * ops.cast(self.gamma, "float32") + ops.cast(self.beta, "float32")
        return ops.cast(out, x.dtype)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="msgan_zoo")
class AvgPoolExcludePad(layers.Layer):
    """``nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)``, the multi-scale
    discriminator's downsampling.

    TensorFlow's ``same`` pooling pads only after the last row for even sizes; PyTorch pads one
    row on both sides, so the windows differ: the sum over zero-padded windows is divided by the
    number of real pixels in each window. ``(N, H, W, C) -> (N, (H - 1) // 2 + 1, ..., C)``.
    """

    def call(self, x):
        padded = ops.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])
        ones = ops.pad(ops.ones_like(x[:1, :, :, :1]), [[0, 0], [1, 1], [1, 1], [0, 0]])
        total = ops.average_pool(padded, 3, strides=2, padding="valid")
        count = ops.average_pool(ones, 3, strides=2, padding="valid")
        return total / count
