"""msgan-zoo: diverse conditional image synthesis with mode seeking GANs (Keras 3)."""
from zoo.losses import mode_seeking_loss, mode_seeking_ratio
from zoo.loading import load
from zoo.registry import get_config, get_spec, list_models, model_names

__version__ = "0.1.0"
__all__ = ["load", "mode_seeking_loss", "mode_seeking_ratio", "get_config", "get_spec", "list_models", "model_names"]
