"""The BicycleGAN family's config: BicycleGAN's reference options plus the MS weight."""
import dataclasses

from zoo.pix2pix.config import Pix2PixConfig


@dataclasses.dataclass
class BicycleGANConfig(Pix2PixConfig):
    """Defaults: BicycleGAN's reference options (256x256, batch 2, nz 8) plus MS weight 1."""

    family: str = "bicyclegan"
    nef: int = 64
    lambda_kl: float = 0.01
    lambda_z: float = 0.5
    conditional_d: bool = False
    batch_size: int = 2
