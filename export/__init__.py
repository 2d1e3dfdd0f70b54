"""What ships a zoo model: SavedModel (TF Serving), ONNX (ONNX Runtime), and a NumPy sampler.

    python -m zoo.export msgan_dcgan_digits --format all --out exported/

* :func:`zoo.export.savedmodel.export_savedmodel` - ``OUT/<name>/<version>/`` for TF Serving;
* :func:`zoo.export.onnx.export_onnx` - ``OUT/<name>.onnx``;
* :class:`zoo.export.onnx_sampler.OnnxSampler` - sampling with NumPy + ONNX Runtime only.

Importing this package imports nothing heavy: ``from zoo.export.onnx_sampler import OnnxSampler``
never loads TensorFlow.
"""

from zoo.lazy import lazy_attributes  # NumPy-free and TensorFlow-free, like this package's import

_LAZY = {
    "export_savedmodel": "zoo.export.savedmodel",
    "export_onnx": "zoo.export.onnx",
    "OnnxSampler": "zoo.export.onnx_sampler",
}
__all__ = list(_LAZY)
__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
