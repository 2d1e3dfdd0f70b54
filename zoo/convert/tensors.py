"""Moving torch tensors into Keras layers: layout changes and shape checks with one-line errors.

Torch layouts (what :func:`zoo.convert.torch_checkpoint.load` returns) and the Keras ones:

==================  =========================  ==============================================
layer               torch weight               Keras kernel
==================  =========================  ==============================================
Conv2d              ``(out, in, kh, kw)``      ``Conv2D`` ``(kh, kw, in, out)``
ConvTranspose2d     ``(in, out, kh, kw)``      ``Conv2DTranspose`` ``(kh, kw, out, in)``
Linear              ``(out, in)``              ``Dense`` ``(in, out)``
==================  =========================  ==============================================

No kernel is flipped: ``Conv2DTranspose`` and ``ConvTranspose2d`` are both the gradient of the
matching convolution, so the same taps line up (checked numerically against the official
outputs in ``tests/test_convert.py``).
"""
import numpy as np


def conv_kernel(weight):
    """Conv2d ``(out, in, kh, kw)`` -> Conv2D ``(kh, kw, in, out)``."""
    return np.transpose(weight, (2, 3, 1, 0))


def conv_transpose_kernel(weight):
    """ConvTranspose2d ``(in, out, kh, kw)`` -> Conv2DTranspose ``(kh, kw, out, in)``."""
    return np.transpose(weight, (2, 3, 1, 0))


def dense_kernel(weight):
    """Linear ``(out, in)`` -> Dense ``(in, out)``."""
    return np.transpose(weight)


class StateDict:
    """A torch state_dict read key by key: a missing key or a non-tensor is a one-line error
    naming it, and :meth:`unused` lists what no layer took (a checkpoint of another model).

    Args:
        tensors: ``{key: numpy array}`` as loaded (a ``module.`` prefix on every key, what
            ``nn.DataParallel`` adds, is dropped).
        source: how errors name the checkpoint (``"00199.pth['gen']"``).
    """

    def __init__(self, tensors, source):
        if not isinstance(tensors, dict):
            raise ValueError(f"{source} is not a state_dict (found {type(tensors).__name__})")
        if tensors and all(isinstance(k, str) and k.startswith("module.") for k in tensors):
            tensors = {k[len("module."):]: v for k, v in tensors.items()}  # saved from nn.DataParallel
        self.tensors = tensors
        self.source = source
        self.taken = set()
        # torch parameter key -> (Keras variable, torch-to-Keras layout function), filled by the
        # loaders below; optimizer states follow the same map (see training_state.load_adam_state).
        self.destinations = {}

    def __contains__(self, key):
        return key in self.tensors

    def __getitem__(self, key):
        if key not in self.tensors:
            raise ValueError(f"{self.source} has no tensor '{key}'")
        value = self.tensors[key]
        if not isinstance(value, np.ndarray):
            raise ValueError(f"{self.source}['{key}'] is a {type(value).__name__}, not a tensor")
        self.taken.add(key)
        return value

    def shape(self, key):
        """The shape of ``key`` without marking it as used."""
        if key not in self.tensors or not isinstance(self.tensors[key], np.ndarray):
            raise ValueError(f"{self.source} has no tensor '{key}'")
        return self.tensors[key].shape

    def unused(self, ignore_suffixes=(".num_batches_tracked",)):
        return sorted(k for k in self.tensors if k not in self.taken and not k.endswith(ignore_suffixes))

    def check_all_used(self, what, ignore_suffixes=(".num_batches_tracked",)):
        leftover = self.unused(ignore_suffixes)
        if leftover:
            more = f" and {len(leftover) - 3} more" if len(leftover) > 3 else ""
            raise ValueError(f"{self.source} has tensors with no place in the {what}: "
                             f"{', '.join(leftover[:3])}{more}")


def set_layer_weights(layer, arrays, keys, source):
    """``layer.set_weights(arrays)`` after checking every shape; the error names the torch key.

    Args:
        layer: a built Keras layer.
        arrays: its weights in Keras order and layout (float32 arrays).
        keys: the torch key each array came from (for the message).
        source: the checkpoint's name for the message.
    """
    expected = [tuple(w.shape) for w in layer.weights]
    if len(expected) != len(arrays):
        raise ValueError(f"layer '{layer.name}' has {len(expected)} weights, {source} gives {len(arrays)} "
                         f"({', '.join(keys)})")
    for array, shape, key in zip(arrays, expected, keys):
        if tuple(array.shape) != shape:
            raise ValueError(f"{source}['{key}'] has a shape that fits no layer here: layer '{layer.name}' "
                             f"needs {shape} (Keras layout), the tensor gives {tuple(array.shape)}")
    layer.set_weights([np.asarray(a, dtype=np.float32) for a in arrays])


def _same_layout(array):
    return array


def load_conv(layer, state, prefix, transpose=False):
    """``prefix.weight`` / ``prefix.bias`` of a (transposed) torch conv into a Keras conv layer."""
    layout = conv_transpose_kernel if transpose else conv_kernel
    keys = [f"{prefix}.weight", f"{prefix}.bias"]
    set_layer_weights(layer, [layout(state[keys[0]]), state[keys[1]]], keys, state.source)
    state.destinations[keys[0]] = (layer.weights[0], layout)
    state.destinations[keys[1]] = (layer.weights[1], _same_layout)


def load_batch_norm(layer, state, prefix):
    """A torch BatchNorm2d (affine + running statistics) into ``keras.layers.BatchNormalization``."""
    keys = [f"{prefix}.{name}" for name in ("weight", "bias", "running_mean", "running_var")]
    set_layer_weights(layer, [state[key] for key in keys], keys, state.source)
    for key, variable in zip(keys[:2], layer.weights[:2]):  # gamma, beta; the statistics are no parameters
        state.destinations[key] = (variable, _same_layout)
