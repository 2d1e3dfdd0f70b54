"""msgan-zoo: diverse conditional image synthesis with mode seeking GANs (Keras 3).

The package attributes below are imported on first use (PEP 562), so ``import zoo`` and the
NumPy-only modules (``zoo.conditions``, which ``zoo.export.onnx_sampler`` uses) never load Keras
or TensorFlow; ``zoo.load(...)`` and the rest load them when called.
"""
from zoo.lazy import lazy_attributes

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
__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
