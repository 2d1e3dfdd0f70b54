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
