"""Reusable Keras layers: minibatch discrimination, noise injection, maxout."""
import keras
from keras import ops


@keras.saving.register_keras_serializable(package="msgan_zoo")
class MinibatchDiscrimination(keras.layers.Layer):
    """Minibatch discrimination (Salimans et al. 2016, sec. 3.2).

    For features ``f`` of shape ``(N, A)`` and a learned tensor ``T`` of shape
    ``(A, B, C)``: ``M_i = f_i T`` (``B x C``), ``c_b(i, j) = exp(-||M_{i,b} - M_{j,b}||_1)``
    and ``o(x_i)_b = sum_j c_b(i, j)`` over the *other* samples of the batch. The
    output is ``concat([f, o])`` of shape ``(N, A + B)``: each sample's output depends
    on every other sample in the batch, which lets D see a collapsed batch.

    The pairwise tensor is ``N x N x B x C``; keep ``B * C`` small for big batches.
    """

    def __init__(self, num_kernels=50, kernel_dim=5, **kwargs):
        super().__init__(**kwargs)
        self.num_kernels = int(num_kernels)
        self.kernel_dim = int(kernel_dim)

    def build(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(
                f"MinibatchDiscrimination expects flat features (N, A), got shape {input_shape}"
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_shape[-1], self.num_kernels * self.kernel_dim),
            initializer=keras.initializers.RandomNormal(stddev=0.02),
        )

    def call(self, features):
        rows = ops.matmul(features, ops.cast(self.kernel, features.dtype))
        rows = ops.reshape(rows, (-1, self.num_kernels, self.kernel_dim))
        # (N, 1, B, C) - (1, N, B, C): every sample against every sample.
        l1 = ops.sum(ops.abs(rows[:, None] - rows[None, :]), axis=-1)
        closeness = ops.sum(ops.exp(-l1), axis=1) - 1.0  # drop the sample itself (exp(0) = 1)
        return ops.concatenate([features, closeness], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1] + self.num_kernels)

    def get_config(self):
        return {**super().get_config(), "num_kernels": self.num_kernels, "kernel_dim": self.kernel_dim}


@keras.saving.register_keras_serializable(package="msgan_zoo")
class TileNoise(keras.layers.Layer):
    """Tile a vector ``(N, k)`` over the spatial grid of a feature map ``(N, H, W, C)``.

    Returns ``(N, H, W, C + k)``: the vector concatenated to every position, the way
    BicycleGAN and MSGAN feed ``z`` (or a one-hot label) to convolutional nets.
    """

    def call(self, feature_map, vector):
        vector = ops.cast(vector, feature_map.dtype)
        shape = ops.shape(feature_map)
        tiled = ops.broadcast_to(vector[:, None, None, :], (shape[0], shape[1], shape[2], ops.shape(vector)[-1]))
        return ops.concatenate([feature_map, tiled], axis=-1)

    def compute_output_shape(self, feature_map_shape, vector_shape):
        return (*feature_map_shape[:3], feature_map_shape[3] + vector_shape[-1])


@keras.saving.register_keras_serializable(package="msgan_zoo")
class Maxout(keras.layers.Layer):
    """Maxout (Goodfellow et al. 2013): ``units`` outputs, each the max of ``pieces`` affine maps.

    ``(N, A) -> (N, units)``; the discriminator unit of the VEEGAN and PacGAN 2-D experiments
    (Blocks' ``LinearMaxout``: 200 units x 5 pieces).
    """

    def __init__(self, units, pieces=5, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        if units < 1 or pieces < 1:
            raise ValueError(f"Maxout needs units >= 1 and pieces >= 1, got {units} and {pieces}")
        self.units = int(units)
        self.pieces = int(pieces)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units * self.pieces),
                                      initializer=self.kernel_initializer)
        self.bias = self.add_weight(name="bias", shape=(self.units * self.pieces,), initializer="zeros")

    def call(self, x):
        y = ops.matmul(x, self.kernel) + self.bias
        return ops.max(ops.reshape(y, (-1, self.units, self.pieces)), axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "pieces": self.pieces,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}


# Kernel rows (columns) of a 4x4 stride-2 "same" transposed convolution that feed output rows
# (columns) of parity 0 and 1, from input rows (i - 1, i) and (i, i + 1) of the 1-padded input.
_SUBPIXEL_TAPS = ((3, 1), (2, 0))


def subpixel_conv_transpose(x, kernel):
    """``conv_transpose(x, kernel, strides=2, padding="same")`` for a 4x4 ``kernel``
    ``(4, 4, out, in)``, NHWC, as four stride-1 2x2 convolutions interleaved by depth-to-space."""
    import tensorflow as tf

    height, width = tf.shape(x)[1], tf.shape(x)[2]
    padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])
    kernel = tf.transpose(kernel, (0, 1, 3, 2))  # (4, 4, in, out)
    parts = []
    for py in (0, 1):
        rows = tf.gather(kernel, _SUBPIXEL_TAPS[py], axis=0)
        for px in (0, 1):
            window = padded[:, py:py + height + 1, px:px + width + 1, :]
            parts.append(tf.nn.conv2d(window, tf.gather(rows, _SUBPIXEL_TAPS[px], axis=1), 1, "VALID"))
    return tf.nn.depth_to_space(tf.concat(parts, -1), 2)


def fast_conv_transpose(x, kernel):
    """:func:`subpixel_conv_transpose` forward, the standard op's gradients backward."""
    import tensorflow as tf

    def standard(x, kernel):
        shape = tf.shape(x)
        out_shape = tf.stack([shape[0], 2 * shape[1], 2 * shape[2], tf.shape(kernel)[2]])
        return tf.nn.conv2d_transpose(x, kernel, out_shape, 2, "SAME")

    @tf.custom_gradient
    def apply(x, kernel):
        def grad(dy):
            with tf.GradientTape() as tape:
                tape.watch([x, kernel])
                y = standard(x, kernel)
            return tape.gradient(y, [x, kernel], output_gradients=dy)
        return subpixel_conv_transpose(x, kernel), grad

    return apply(tf.convert_to_tensor(x), tf.convert_to_tensor(kernel))


@keras.saving.register_keras_serializable(package="msgan_zoo")
class Conv2DTranspose(keras.layers.Conv2DTranspose):
    """``keras.layers.Conv2DTranspose`` running :func:`fast_conv_transpose` in training calls of
    a 4x4/2 "same" channels-last layer; the Keras op otherwise. Same weights."""

    def _fast_path_applies(self):
        return (tuple(self.kernel_size) == (4, 4) and tuple(self.strides) == (2, 2)
                and self.padding == "same" and self.output_padding is None
                and tuple(self.dilation_rate) == (1, 1) and self.data_format == "channels_last")

    def call(self, inputs, training=None):
        if not training or not self._fast_path_applies():
            return super().call(inputs)
        outputs = fast_conv_transpose(inputs, self.kernel)
        if self.use_bias:
            outputs = ops.add(outputs, ops.reshape(self.bias, (1, 1, 1, self.filters)))
        return outputs if self.activation is None else self.activation(outputs)
