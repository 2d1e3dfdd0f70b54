"""What ships a zoo model: SavedModel (TF Serving), ONNX (ONNX Runtime), and a NumPy sampler.

    python -m export msgan_dcgan_digits --format all --out exported/

* :func:`export.savedmodel.export_savedmodel` - ``OUT/<name>/<version>/`` for TF Serving;
* :func:`export.onnx.export_onnx` - ``OUT/<name>.onnx``;
* :class:`export.onnx_sampler.OnnxSampler` - sampling with NumPy + ONNX Runtime only.

Importing this package imports nothing heavy: ``from export.onnx_sampler import OnnxSampler``
never loads TensorFlow.
"""

from zoo.lazy import lazy_attributes  # NumPy-free and TensorFlow-free, like this package's import

_LAZY = {
    "export_savedmodel": "export.savedmodel",
    "export_onnx": "export.onnx",
    "OnnxSampler": "export.onnx_sampler",
}
__all__ = list(_LAZY)
__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
