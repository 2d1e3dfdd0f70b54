"""Class conditions given by id or by name: NumPy only, so any runtime can share it.

``zoo.load(name).sample`` and ``zoo.export.onnx_sampler.OnnxSampler`` both resolve their ``condition``
argument here; importing this module loads neither Keras nor TensorFlow.
"""
import numpy as np


def class_ids(condition, class_names, num_classes, model_name):
    """Class ids ``(N,)`` of ``model_name`` for an id, a name, or a sequence of either.

    Raises ``ValueError`` for an empty condition, an unknown name or an id out of range, and
    ``TypeError`` for anything that is neither an int nor a str; each message names the model.
    """
    scalar = isinstance(condition, (int, np.integer, str)) or np.ndim(condition) == 0
    items = [condition] if scalar else list(condition)
    if not items:
        raise ValueError("condition is empty: give a class id, a class name or a list of them")
    ids = []
    for item in items:
        if isinstance(item, str):
            if item not in class_names:
                raise ValueError(f"unknown class name {item!r} for {model_name}; known: {', '.join(class_names)}")
            ids.append(class_names.index(item))
        elif isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            if not 0 <= item < num_classes:
                raise ValueError(f"class id {item} is out of range for {model_name} "
                                 f"({num_classes} classes: 0..{num_classes - 1})")
            ids.append(int(item))
        else:
            raise TypeError(f"a class must be an int id or a str name, got {type(item).__name__}")
    return np.asarray(ids, dtype=np.int64)
