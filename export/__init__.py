"""What ships a zoo model: SavedModel (TF Serving), ONNX (ONNX Runtime), and a NumPy sampler.

    python -m export msgan_dcgan_digits --format all --out exported/

* :func:`export.savedmodel.export_savedmodel` - ``OUT/<name>/<version>/`` for TF Serving;
* :func:`export.onnx.export_onnx` - ``OUT/<name>.onnx``;
* :class:`export.onnx_sampler.OnnxSampler` - sampling with NumPy + ONNX Runtime only.

Importing this package imports nothing heavy: ``from export.onnx_sampler import OnnxSampler``
never loads TensorFlow.
"""

_LAZY = {
    "export_savedmodel": "export.savedmodel",
    "export_onnx": "export.onnx",
    "OnnxSampler": "export.onnx_sampler",
}
__all__ = list(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'export' has no attribute {name!r}")
