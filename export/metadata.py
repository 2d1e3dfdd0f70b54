"""What an exported generator carries about itself (ONNX metadata props, SavedModel assets)."""
import json

import zoo

VALUE_RANGE = "[-1, 1]"
METADATA_FILE = "msgan_zoo.json"


def condition_kind(generator):
    """``"label"`` for a one-hot ``(N, classes)`` condition, ``"image"`` for ``(N, H, W, C)``."""
    rank = len(generator.inputs[0].shape)
    if rank == 2:
        return "label"
    if rank == 4:
        return "image"
    raise ValueError(f"cannot export a generator whose condition has rank {rank} (expected 2 or 4)")


def generator_metadata(sampler, version=1):
    """A flat ``str -> str`` dict describing ``sampler``'s generator for runtimes without the zoo.

    Keys: ``model_name``, ``family``, ``nz``, ``condition_kind``, ``condition_shape`` and
    ``image_shape`` (JSON lists, ``null`` for the batch), ``value_range`` (of the raw output
    and of a float image condition), ``class_names`` (JSON), ``config`` (JSON), ``version``.
    """
    generator, config = sampler.generator, sampler.config
    return {
        "model_name": config.name,
        "family": config.family,
        "nz": str(config.nz),
        "condition_kind": condition_kind(generator),
        "condition_shape": json.dumps(list(generator.inputs[0].shape)),
        "image_shape": json.dumps(list(generator.outputs[0].shape)),
        "value_range": VALUE_RANGE,
        "class_names": json.dumps(list(getattr(config, "class_names", ()) or ())),
        "config": config.to_json(),
        "version": str(version),
        "producer": f"msgan-zoo {zoo.__version__}",
    }
