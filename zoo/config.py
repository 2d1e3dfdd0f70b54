"""Config dataclasses: defaults from the paper, serializable to JSON."""
import dataclasses
import json
from pathlib import Path


@dataclasses.dataclass
class ModelConfig:
    """Fields every zoo model has. Families subclass it and add their architecture."""

    name: str = ""
    family: str = ""
    dataset: str = ""
    lambda_ms: float = 1.0
    batch_size: int = 32
    epochs: int = 200
    seed: int = 0

    def to_dict(self):
        return dataclasses.asdict(self)

    def to_json(self, path=None):
        text = json.dumps(self.to_dict(), indent=2, sort_keys=True)
        if path is not None:
            Path(path).write_text(text + "\n")
        return text

    @classmethod
    def from_dict(cls, values):
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"{cls.__name__} has no field(s) {unknown}")
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        return cls(**values)

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)
