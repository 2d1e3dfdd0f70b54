"""What an exported generator carries about itself (ONNX metadata props, SavedModel assets)."""
import json

import zoo
from zoo.export.graph import condition_kind, export_graph  # noqa: F401  (condition_kind: old import path)

VALUE_RANGE = "[-1, 1]"
METADATA_FILE = "msgan_zoo.json"


def generator_metadata(sampler, version=1, graph=None):
    """A flat ``str -> str`` dict describing ``sampler``'s generator for runtimes without the zoo.

    Keys: ``model_name``, ``family``, ``nz``, ``condition_kind``, ``condition_shape`` and
    ``image_shape`` (JSON lists, ``null`` for the batch), ``noise_inputs`` (JSON
    ``[[name, size], ...]``, the graph's noise inputs in order), ``value_range`` (of the raw
    output and of a float image condition), ``class_names`` (JSON), ``config`` (JSON),
    ``version``, plus the family's own keys (``graph.metadata``).
    """
    config = sampler.config
    graph = export_graph(sampler) if graph is None else graph
    return {
        "model_name": config.name,
        "family": config.family,
        "nz": str(config.nz),
        "condition_kind": graph.condition_kind,
        "condition_shape": json.dumps([None, *graph.condition_shape]),
        "image_shape": json.dumps([None, *graph.image_shape]),
        "noise_inputs": json.dumps([[name, int(size)] for name, size in graph.noise]),
        "value_range": VALUE_RANGE,
        "class_names": json.dumps(list(getattr(config, "class_names", ()) or ())),
        "config": config.to_json(),
        "version": str(version),
        "producer": f"msgan-zoo {zoo.__version__}",
        **graph.metadata,
    }
