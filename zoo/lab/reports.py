"""The lab's result files: strict JSON (no NaN/inf), no Keras needed."""
import math


def json_safe(value):
    """NaN/inf -> None, recursively through dicts and lists (an infinite KL is a run that hit no mode)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    return value
