"""The Pix2Pix family's config: defaults of the official Pix2Pix-Mode-Seeking run."""
import dataclasses

from zoo.config import ModelConfig


@dataclasses.dataclass
class Pix2PixConfig(ModelConfig):
    """Defaults: the official Pix2Pix+MS run (256x256, 100 + 100 epochs, batch 1)."""

    family: str = "pix2pix"
    dataset: str = "maps"
    image_size: int = 256
    load_size: int = 286
    direction: str = "AtoB"
    in_channels: int = 3
    out_channels: int = 3
    nz: int = 8
    ngf: int = 64
    ndf: int = 64
    n_layers_d: int = 3
    num_d: int = 2
    lambda_l1: float = 10.0
    lambda_gan: float = 1.0
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    beta_2: float = 0.999
    niter: int = 100
    niter_decay: int = 100
    batch_size: int = 1
    epochs: int = 200

    def __post_init__(self):
        if self.direction not in ("AtoB", "BtoA"):
            raise ValueError(f"direction must be 'AtoB' or 'BtoA', got {self.direction!r}")

    @property
    def decay_start_epoch(self):
        """Epoch where the linear decay begins: ``niter``, scaled when ``epochs`` is overridden."""
        total = self.niter + self.niter_decay
        return self.niter if self.epochs == total else round(self.epochs * self.niter / total)
