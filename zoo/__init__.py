"""msgan-zoo: diverse conditional image synthesis with mode seeking GANs (Keras 3).

The package attributes below are imported on first use (PEP 562), so ``import zoo`` and the
NumPy-only modules (``zoo.conditions``, which ``export.onnx_sampler`` uses) never load Keras
or TensorFlow; ``zoo.load(...)`` and the rest load them when called.
"""
import importlib

__version__ = "0.1.0"

_LAZY = {
    "load": "zoo.loading",
    "mode_seeking_loss": "zoo.losses",
    "mode_seeking_ratio": "zoo.losses",
    "get_config": "zoo.registry",
    "get_spec": "zoo.registry",
    "list_models": "zoo.registry",
    "model_names": "zoo.registry",
}
__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'zoo' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
