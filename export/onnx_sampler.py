"""Diverse sampling with NumPy and ONNX Runtime only (no TensorFlow at run time).

    from zoo.export.onnx_sampler import OnnxSampler
    sampler = OnnxSampler("exported/msgan_dcgan_digits.onnx")
    images = sampler.sample(3, num_samples=8, seed=0)     # (8, 8, 8, 1) uint8

The API and the noise are those of ``zoo.load(name)``: the noise is
``np.random.default_rng(seed).standard_normal((count, nz))`` in float32, one row per
(condition, sample) in condition-major order, so one seed gives the same samples here and
through ``zoo.load(name).sample`` (to float32 rounding of the two runtimes). The export's
metadata says where a family differs, and this sampler follows it:

* ``noise_inputs``: further noise inputs after ``z`` (StackGAN++'s ``ca_eps``), drawn from the
  same generator after ``z``;
* ``noise_per_condition = "shared"`` (DRIT): ``num_samples`` codes drawn once and used for
  every input image;
* ``image_transform = "resize_center_crop"`` (DRIT): inputs resized to ``load_size`` (bicubic)
  and centre-cropped to the model's size, outputs at that size;
* ``condition_kind = "tokens"`` (StackGAN++ shapes): raw captions tokenized with NumPy over
  the ``vocabulary`` in the metadata (:func:`zoo.captions.caption_token_ids`, the checks and
  one-line errors of the Keras sampler); ``"embedding"`` (CUB): sentence embeddings as given.

onnxruntime and PIL are imported where used: reading this module (e.g. for ``to_uint8``) needs
neither.
"""
import json
import os

import numpy as np

from zoo.captions import caption_list, caption_token_ids  # NumPy only, like zoo.conditions (zoo's __init__ is lazy)
from zoo.conditions import class_ids  # noqa: F401  (NumPy only: zoo's __init__ is lazy)


def to_uint8(images):
    """[-1, 1] floats to uint8 [0, 255] (the zoo's rounding)."""
    return np.clip(np.rint((np.asarray(images) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def session_options(threads=None):
    """ONNX Runtime options that were fastest for these generators on CPU.

    All graph optimizations (constant folding, node fusions, layout transforms) and one
    intra-op thread per available core; sequential execution, since a generator is a chain.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    if threads is None:
        threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    options.intra_op_num_threads = int(threads)
    options.inter_op_num_threads = 1
    return options


class OnnxSampler:
    """Samples of an exported generator (``python -m zoo.export NAME --format onnx``).

    Args:
        path: the ``.onnx`` file.
        threads: intra-op threads (default: the available cores).

    Attributes:
        metadata: the model's metadata props (``model_name``, ``nz``, ``config`` JSON, ...).
        config: the zoo config as a dict; ``nz``, ``class_names``, ``condition_kind``.
    """

    def __init__(self, path, threads=None):
        import onnxruntime as ort

        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"ONNX model not found: {path}")
        try:
            self.session = ort.InferenceSession(path, session_options(threads), providers=["CPUExecutionProvider"])
        except Exception as error:  # ORT raises its own Fail/InvalidProtobuf types
            raise ValueError(f"cannot load ONNX model {path}: {str(error).splitlines()[0]}") from None
        self.metadata = dict(self.session.get_modelmeta().custom_metadata_map)
        missing = {"nz", "config", "condition_kind"} - set(self.metadata)
        if missing:
            raise ValueError(f"{path} was not exported by msgan-zoo (missing metadata {sorted(missing)})")
        self.config = json.loads(self.metadata["config"])
        self.name = self.metadata.get("model_name", self.config.get("name", ""))
        self.nz = int(self.metadata["nz"])
        self.condition_kind = self.metadata["condition_kind"]
        self.class_names = tuple(json.loads(self.metadata.get("class_names", "[]")))
        self.condition_shape = tuple(self.session.get_inputs()[0].shape[1:])
        # Set at export when the graph broadcasts one condition row over many z rows
        # (zoo.export.onnx.broadcasts_condition): one photo is then fed once, not repeated.
        self.condition_broadcast = self.metadata.get("condition_broadcast") == "true"
        self.noise_inputs = [(name, int(size)) for name, size in
                             json.loads(self.metadata.get("noise_inputs", json.dumps([["z", self.nz]])))]
        self.shared_noise = self.metadata.get("noise_per_condition") == "shared"
        self.image_transform = self.metadata.get("image_transform", "resize")
        self.vocabulary = tuple(json.loads(self.metadata.get("vocabulary", "[]")))

    # -- conditions ---------------------------------------------------------------------
    @property
    def num_classes(self):
        return int(self.condition_shape[0])

    def class_ids(self, condition):
        """Class ids ``(N,)`` for an id, a name, or a sequence of either (as ``LabelSampler``)."""
        return class_ids(condition, self.class_names, self.num_classes, self.name)

    def image_batch(self, image):
        """uint8 ``(H, W, C)`` or ``(N, H, W, C)`` -> ``(float32 (N, S, S, C) in [-1, 1], single)``.

        Images of another size are resized to the model's (bicubic, as ``ImageSampler``); with
        ``image_transform = "resize_center_crop"`` resized to ``load_size`` and centre-cropped
        (as ``DRITSampler.model_inputs``).
        """
        images = np.asarray(image)
        if images.dtype != np.uint8:
            raise ValueError(f"image must be uint8 in [0, 255], got dtype {images.dtype}")
        single = images.ndim == 3
        images = images[None] if single else images
        size, _, channels = self.condition_shape
        if images.ndim != 4 or images.shape[-1] != channels or min(images.shape[:3]) < 1:
            raise ValueError(f"image must have shape (H, W, {channels}) or (N, H, W, {channels}), "
                             f"got {np.asarray(image).shape}")
        if self.image_transform == "resize_center_crop":
            load = int(self.config["load_size"])
            if images.shape[1:3] != (load, load):
                images = _resize(images, load, load)
            top = (load - size) // 2
            images = images[:, top:top + size, top:top + size]
        elif images.shape[1:3] != (size, size):
            images = _resize(images, size, size)
        return images.astype(np.float32) / 127.5 - 1.0, single

    def captions(self, condition):
        """Token ids ``(N, L)`` int32 of a caption or a list of captions, and whether it was one
        (a caption model's ``condition``; the checks and errors of ``TextSampler.encode``)."""
        texts, single = caption_list(condition)
        return caption_token_ids(texts, self.vocabulary, self.condition_shape[0]), single

    # -- sampling -----------------------------------------------------------------------
    def noise(self, count, seed=None):
        return np.random.default_rng(seed).standard_normal((count, self.nz)).astype(np.float32)

    def _check_condition(self, condition):
        if self.condition_kind == "tokens":
            condition = np.asarray(condition)
            if condition.ndim != 2 or tuple(condition.shape[1:]) != self.condition_shape:
                raise ValueError(f"condition must be token ids (N, {self.condition_shape[0]}), got shape {condition.shape}")
            if condition.size and (condition.min() < 0 or condition.max() >= len(self.vocabulary) + 2):
                raise ValueError(f"token ids must lie in [0, {len(self.vocabulary) + 1}], "
                                 f"got [{condition.min()}, {condition.max()}]")
            return np.ascontiguousarray(condition, dtype=np.int32)
        condition = np.ascontiguousarray(condition, dtype=np.float32)
        if condition.ndim != len(self.condition_shape) + 1 or tuple(condition.shape[1:]) != self.condition_shape:
            raise ValueError(f"condition must have shape (N, {', '.join(map(str, self.condition_shape))}), "
                             f"got {condition.shape}")
        if self.condition_kind == "embedding":
            if not np.isfinite(condition).all():
                raise ValueError("sentence embeddings must be finite")
            return condition
        low, high = (0.0, 1.0) if self.condition_kind == "label" else (-1.0, 1.0)
        if condition.size and not (np.isfinite(condition).all() and condition.min() >= low and condition.max() <= high):
            raise ValueError(f"condition values must lie in [{low:g}, {high:g}] "
                             f"({'one-hot' if low == 0 else 'image'}), got [{condition.min():.3g}, {condition.max():.3g}]")
        return condition

    def generate(self, condition, z, *noise, seed=None):
        """Raw output ``(N, H, W, C)`` in [-1, 1] for a prepared ``condition`` and ``z (N, nz)``.

        ``condition`` has N rows, or one row when the graph broadcasts it (``condition_broadcast``).
        ``noise``: the graph's further noise inputs after ``z`` (``noise_inputs``; StackGAN++'s
        ``ca_eps (N, E)``), each drawn standard normal from ``seed`` when not given (as
        ``TextSampler.generate(condition, z, ca_eps=None, seed)``).
        """
        condition = self._check_condition(condition)
        z = np.ascontiguousarray(z, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.nz:
            raise ValueError(f"z must have shape (N, {self.nz}), got {z.shape}")
        if len(z) != len(condition) and not (self.condition_broadcast and len(condition) == 1):
            raise ValueError(f"condition and z differ in batch size: {len(condition)} vs {len(z)}")
        extra = self.noise_inputs[1:]
        if len(noise) > len(extra):
            raise ValueError(f"{self.name} takes {len(extra)} noise inputs after z, got {len(noise)}")
        rng = np.random.default_rng(seed)
        feed = {"condition": condition, "z": z}
        for k, (name, size) in enumerate(extra):
            values = noise[k] if k < len(noise) and noise[k] is not None else rng.standard_normal((len(z), size))
            values = np.ascontiguousarray(values, dtype=np.float32)
            if values.shape != (len(z), size):
                raise ValueError(f"{name} must have shape ({len(z)}, {size}), got {values.shape}")
            feed[name] = values
        return self.session.run(["image"], feed)[0]

    def sample(self, condition, num_samples, seed=None):
        """``num_samples`` outputs per condition, as ``zoo.load(name).sample``.

        Args:
            condition: label models: a class id, a class name, or a list of either;
                image models: one uint8 image ``(H, W, C)`` or a batch ``(N, H, W, C)`` in
                [0, 255], any ``H, W`` (resized to the model's size, outputs back to ``H, W``;
                DRIT: resized and centre-cropped, outputs at the model's size);
                caption models: a caption (str) or a list of captions;
                embedding models: a sentence embedding ``(D,)`` or a batch ``(N, D)``.
            num_samples: samples (noise vectors) per condition, >= 1.
            seed: the noise seed; the same seed gives the same samples.

        Returns:
            ``(num_samples, H, W, C)`` uint8 for one condition, ``(N, num_samples, H, W, C)``
            for several.
        """
        if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) or num_samples < 1:
            raise ValueError(f"num_samples must be an integer >= 1, got {num_samples!r}")
        if self.condition_kind == "label":
            ids = self.class_ids(condition)
            single = isinstance(condition, (int, np.integer, str))
            batch = np.eye(self.num_classes, dtype=np.float32)[np.repeat(ids, num_samples)]
            count = len(ids)
        elif self.condition_kind == "image":
            images, single = self.image_batch(condition)
            count = len(images)
            # One photo and a broadcasting graph: its first convolution runs once, not per sample.
            batch = images if count == 1 and self.condition_broadcast else np.repeat(images, num_samples, axis=0)
        else:
            if self.condition_kind == "tokens":
                encoded, single = self.captions(condition)
            else:
                encoded = np.asarray(condition, dtype=np.float32)
                single = encoded.ndim == 1
                encoded = encoded[None] if single else encoded
            count = len(encoded)
            batch = np.repeat(encoded, num_samples, axis=0)
        output = to_uint8(self.generate(batch, *self._sample_noise(count, num_samples, seed)))
        if self.condition_kind == "image" and self.image_transform == "resize":
            height, width = np.asarray(condition).shape[-3:-1]
            if (height, width) != output.shape[1:3]:
                output = _resize(output, height, width)
        output = output.reshape(count, num_samples, *output.shape[1:])
        return output[0] if single else output

    def _sample_noise(self, count, num_samples, seed):
        """Every noise input for ``count`` conditions x ``num_samples``, condition-major, in the
        order of ``noise_inputs``, from one NumPy generator (shared codes: drawn once, tiled)."""
        rng = np.random.default_rng(seed)
        rows = num_samples if self.shared_noise else count * num_samples
        noise = [rng.standard_normal((rows, size)).astype(np.float32) for _, size in self.noise_inputs]
        return [np.tile(values, (count, 1)) for values in noise] if self.shared_noise else noise


def _resize(images, height, width):
    """Bicubic resize of uint8 ``(N, h, w, C)`` images (PIL, as the zoo's ``ImageSampler``)."""
    from PIL import Image

    return np.stack([np.asarray(Image.fromarray(image.squeeze(-1) if image.shape[-1] == 1 else image)
                                .resize((width, height), Image.BICUBIC)).reshape(height, width, -1)
                     for image in images])
