"""LPIPS v0.1 (Zhang et al., *The Unreasonable Effectiveness of Deep Features as a Perceptual
Metric*, CVPR 2018) in Keras: AlexNet or VGG16 features, linear heads, spatial average.

``d(x0, x1) = sum_l mean_hw( w_l . (f_l(x0) / |f_l(x0)| - f_l(x1) / |f_l(x1)|)^2 )`` where
``f_l`` are five ReLU taps of the backbone, normalized along channels, and ``w_l`` the trained
non-negative 1x1 linear heads. The MSGAN paper measures diversity as the LPIPS distance
between samples of one condition.

Weights come from one ``.npz`` whose keys and arrays are the official PyTorch ``state_dict``
(``net.slice1.0.weight`` ... in OIHW, ``lin0.model.1.weight`` ..., ``scaling_layer.shift/scale``);
``training/convert_lpips.py`` writes it from the official checkpoints. The real AlexNet metric
ships in ``saved_models/lpips_alex_v0.1/weights.npz`` and is the default for ``net="alex"``.

Keras and TensorFlow are imported where a network is built or run, so reading and checking a
weight file needs NumPy only.
"""
import os
from pathlib import Path

import numpy as np

from zoo.metrics.fid import KerasFeatures
from zoo.paths import PACKAGE_MODELS

DEFAULT_WEIGHTS = {"alex": PACKAGE_MODELS / "lpips_alex_v0.1" / "weights.npz"}
NORM_EPS = 1e-10

# The backbone as torchvision builds it, cut at the five taps of the official ``lpips`` package:
# a slice is a list of ("pool", size, stride) or ("conv", state_dict key, stride, padding);
# every conv is followed by a ReLU, and the tap is the last ReLU of the slice.
BACKBONES = {
    "alex": [
        [("conv", "net.slice1.0", 4, 2)],
        [("pool", 3, 2), ("conv", "net.slice2.3", 1, 2)],
        [("pool", 3, 2), ("conv", "net.slice3.6", 1, 1)],
        [("conv", "net.slice4.8", 1, 1)],
        [("conv", "net.slice5.10", 1, 1)],
    ],
    "vgg": [
        [("conv", "net.slice1.0", 1, 1), ("conv", "net.slice1.2", 1, 1)],
        [("pool", 2, 2), ("conv", "net.slice2.5", 1, 1), ("conv", "net.slice2.7", 1, 1)],
        [("pool", 2, 2)] + [("conv", f"net.slice3.{i}", 1, 1) for i in (10, 12, 14)],
        [("pool", 2, 2)] + [("conv", f"net.slice4.{i}", 1, 1) for i in (17, 19, 21)],
        [("pool", 2, 2)] + [("conv", f"net.slice5.{i}", 1, 1) for i in (24, 26, 28)],
    ],
}
# Smallest input side that leaves every tap at least 1x1 (PyTorch floor pooling).
MIN_SIZE = {"alex": 31, "vgg": 16}


def conv_keys(net):
    """The backbone's conv ``state_dict`` prefixes in forward order (the recipe's k = 0, 1, ...)."""
    return [op[1] for block in BACKBONES[net] for op in block if op[0] == "conv"]


def read_weights(weights):
    """``{state_dict key: float32 array}`` from an ``.npz`` path or a mapping."""
    if isinstance(weights, (str, os.PathLike)):
        path = Path(weights)
        if not path.is_file():
            raise FileNotFoundError(f"LPIPS weights not found: {path}")
        with np.load(path) as data:
            return {k: data[k].astype(np.float32) for k in data.files}
    return {k: np.asarray(v, np.float32) for k, v in dict(weights).items()}


def check_weights(net, weights):
    needed = ["scaling_layer.shift", "scaling_layer.scale"] + [f"lin{i}.model.1.weight" for i in range(5)]
    needed += [f"{key}.{part}" for key in conv_keys(net) for part in ("weight", "bias")]
    missing = [k for k in needed if k not in weights]
    if missing:
        raise ValueError(f"LPIPS {net} weights lack {len(missing)} key(s), e.g. {missing[:3]} "
                         f"(expected the official lpips state_dict keys)")


def build_backbone(net, weights):
    """Keras model ``(N, H, W, 3)`` scaled input -> the five ReLU taps, weights from ``weights``."""
    import keras
    from keras import layers

    inputs = keras.Input((None, None, 3), name="scaled_image")
    x, taps = inputs, []
    for block in BACKBONES[net]:
        for op in block:
            if op[0] == "pool":
                x = layers.MaxPooling2D(op[1], strides=op[2], padding="valid")(x)
                continue
            _, key, stride, pad = op
            kernel = weights[f"{key}.weight"].transpose(2, 3, 1, 0)  # OIHW -> HWIO
            # PyTorch pads both sides equally; Keras "same" with stride 4 would not.
            x = layers.ZeroPadding2D(pad)(x)
            conv = layers.Conv2D(kernel.shape[-1], kernel.shape[:2], strides=stride, padding="valid",
                                 name=key.replace(".", "_"))
            x = conv(x)
            conv.set_weights([kernel, weights[f"{key}.bias"]])
            x = layers.ReLU()(x)
        taps.append(x)
    return keras.Model(inputs, taps, name=f"lpips_{net}_backbone")


class LPIPS:
    """The LPIPS v0.1 distance, callable on two image batches.

    Args:
        net: ``"alex"`` (the default metric of the paper and of MSGAN) or ``"vgg"``.
        weights: an ``.npz`` path or a ``{state_dict key: array}`` mapping; default: the shipped
            real AlexNet weights (``net="alex"`` only).
        batch_size: pairs per backbone call.

    Call ``lpips(x0, x1)`` with ``(N, H, W, 3)`` batches in [-1, 1] (uint8 [0, 255] is rescaled,
    grayscale ``(..., 1)`` is tiled to RGB); returns ``(N,)`` float32 distances, 0 for identical
    images.
    """

    def __init__(self, net="alex", weights=None, batch_size=32):
        import tensorflow as tf

        if net not in BACKBONES:
            raise ValueError(f"unknown LPIPS net {net!r}; choose one of {', '.join(BACKBONES)}")
        if weights is None:
            if net not in DEFAULT_WEIGHTS or not DEFAULT_WEIGHTS[net].is_file():
                raise FileNotFoundError(
                    f"no default LPIPS weights for net={net!r}; make an .npz with "
                    f"`python training/convert_lpips.py --net {net} --out FILE` and pass weights=FILE")
            weights = DEFAULT_WEIGHTS[net]
        self.source = str(weights) if isinstance(weights, (str, os.PathLike)) else "in-memory weights"
        weights = read_weights(weights)
        check_weights(net, weights)
        self.net = net
        self.batch_size = batch_size
        self.shift = weights["scaling_layer.shift"].reshape(1, 1, 1, 3)
        self.scale = weights["scaling_layer.scale"].reshape(1, 1, 1, 3)
        self.heads = [weights[f"lin{i}.model.1.weight"].reshape(-1) for i in range(5)]
        self.backbone = build_backbone(net, weights)
        # One trace for every image size and batch: the taps are fully convolutional.
        spec = tf.TensorSpec([None, None, None, 3], tf.float32)
        self._distance = tf.function(self._pair_distance, input_signature=[spec, spec])

    @property
    def protocol(self):
        return f"LPIPS v0.1 {self.net} (linear heads, spatial average; weights {Path(self.source).name})"

    def _pair_distance(self, x0, x1):
        from keras import ops

        count = ops.shape(x0)[0]
        both = (ops.concatenate([x0, x1], axis=0) - self.shift) / self.scale
        total = 0.0
        for tap, head in zip(self.backbone(both, training=False), self.heads):
            unit = tap / (ops.sqrt(ops.sum(tap ** 2, axis=-1, keepdims=True)) + NORM_EPS)
            squared = (unit[:count] - unit[count:]) ** 2
            total = total + ops.mean(ops.sum(squared * head, axis=-1), axis=(1, 2))
        return total

    def prepare(self, images):
        images = np.asarray(images)
        if images.ndim != 4 or images.shape[-1] not in (1, 3):
            raise ValueError(f"LPIPS needs (N, H, W, 1 or 3) images, got shape {images.shape}")
        if min(images.shape[1:3]) < MIN_SIZE[self.net]:
            raise ValueError(f"LPIPS {self.net} needs images of at least {MIN_SIZE[self.net]}x{MIN_SIZE[self.net]}, "
                             f"got {images.shape[1]}x{images.shape[2]} (upsample small images first)")
        if images.dtype == np.uint8:
            images = images.astype(np.float32) / 127.5 - 1.0
        elif images.size and (images.min() < -1.001 or images.max() > 1.001):
            raise ValueError(f"LPIPS needs float images in [-1, 1] (or uint8), got values in "
                             f"[{images.min():.3g}, {images.max():.3g}]")
        if images.shape[-1] == 1:
            images = np.repeat(images, 3, axis=-1)
        return images.astype(np.float32)

    def __call__(self, x0, x1):
        """Distances ``(N,)`` between ``x0[i]`` and ``x1[i]``, both ``(N, H, W, C)``."""
        x0, x1 = self.prepare(x0), self.prepare(x1)
        if x0.shape != x1.shape:
            raise ValueError(f"LPIPS pairs must have the same shape, got {x0.shape} and {x1.shape}")
        distances = [np.asarray(self._distance(x0[i:i + self.batch_size], x1[i:i + self.batch_size]))
                     for i in range(0, len(x0), self.batch_size)]
        return np.concatenate(distances).astype(np.float32) if distances else np.zeros(0, np.float32)


def alexnet_features(weights=None, batch_size=64):
    """FID features from the LPIPS AlexNet: conv5 (ReLU) global-average-pooled, 256-d.

    The backbone is the ImageNet AlexNet that ships for LPIPS (``weights``: the same ``.npz``;
    default the shipped one), fed exactly as LPIPS feeds it (its scaling layer, any size of at
    least 31x31). An offline stand-in for Inception where no other features exist here (the
    maps photos are not CIFAR-10 or digits); a FID from it is **not** comparable to the
    literature's Inception FID, and its protocol name says so.

    Returns:
        A :class:`zoo.metrics.fid.KerasFeatures` (``images -> (N, 256)``).
    """
    import keras
    from keras import layers

    weights = read_weights(weights if weights is not None else DEFAULT_WEIGHTS["alex"])
    check_weights("alex", weights)
    backbone = build_backbone("alex", weights)
    image = keras.Input((None, None, 3), name="image")
    shift = weights["scaling_layer.shift"].reshape(1, 1, 1, 3).astype("float32")
    scale = weights["scaling_layer.scale"].reshape(1, 1, 1, 3).astype("float32")
    scaled = layers.Rescaling(1.0 / scale, offset=-shift / scale, name="lpips_scaling")(image)
    pooled = layers.GlobalAveragePooling2D(name="conv5_mean")(backbone(scaled)[-1])
    model = keras.Model(image, pooled, name="lpips_alexnet_conv5")
    return KerasFeatures(model, name="FID-AlexNet: LPIPS's ImageNet AlexNet conv5, average-pooled (not Inception)",
                         batch_size=batch_size, min_size=MIN_SIZE["alex"])
