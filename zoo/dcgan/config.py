"""The DCGAN family's config: defaults of the official DCGAN-Mode-Seeking CIFAR-10 run."""
import dataclasses
import math

from zoo.config import ModelConfig

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck")
DIGIT_CLASSES = tuple(str(i) for i in range(10))
KERAS_BATCH_NORM = {"bn_epsilon": 1e-3, "bn_momentum": 0.99}


@dataclasses.dataclass
class DCGANConfig(ModelConfig):
    """Defaults: the official DCGAN+MS run on CIFAR-10."""

    family: str = "dcgan"
    dataset: str = "cifar10"
    image_size: int = 32
    channels: int = 3
    num_classes: int = 10
    class_names: tuple = CIFAR10_CLASSES
    nz: int = 100
    d: int = 128
    minibatch_discrimination: bool = False
    mbd_kernels: int = 50
    mbd_kernel_dim: int = 5
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    beta_2: float = 0.999
    weight_decay: float = 1e-4
    # PyTorch's BatchNorm2d defaults, as the official run: eps 1e-5, running statistics
    # updated by 0.1 per step (Keras momentum 0.9). Keras' own defaults are 1e-3 / 0.99.
    bn_epsilon: float = 1e-5
    bn_momentum: float = 0.9

    @classmethod
    def from_dict(cls, values):
        """A stored config; one written before the batch-norm fields existed trained with
        Keras' defaults, so those are what it gets (its outputs stay the same)."""
        return super().from_dict({**KERAS_BATCH_NORM, **values})

    @property
    def stages(self):
        stages = math.log2(self.image_size / 4)
        if stages < 1 or stages != int(stages):
            raise ValueError(f"DCGAN image_size must be 4 * 2^k with k >= 1, got {self.image_size}")
        return int(stages)

    @property
    def widths(self):
        """Feature widths of the generator stages, widest first (4d, 2d, d for CIFAR-10)."""
        return [self.d * 2 ** (self.stages - 1 - i) for i in range(self.stages)]
