"""DRIT + MS configuration: the official DRIT-Mode-Seeking defaults, serializable to JSON."""
import dataclasses

from zoo.config import ModelConfig

DIRECTIONS = ("a2b", "b2a")


@dataclasses.dataclass
class DRITConfig(ModelConfig):
    """Defaults: the official ``DRIT-Mode-Seeking`` training options (``options.py``, ``model.py``).

    Architecture:
        concat: 1 = ``E_attr_concat`` (mu/logvar, KL) with ``G_concat`` (the attribute code tiled
            and concatenated at every decoder stage); 0 = ``E_attr`` (plain codes) with ``G``
            (an MLP turns the code into the inputs of four ``MisINSResBlock``s). The paper's
            cat2dog model uses 0, Yosemite 1.
        content_width: first width of the content encoders; the content code has
            ``4 * content_width`` channels (64 -> 256, the official width).
        attr_width: first width of the attribute encoder (``dim`` / ``ndf``, 64).
        mlp_width: hidden width of the ``concat=0`` generator's attribute MLP (256).
        dis_width: first width of the domain discriminators (64).
        dis_scale: scales of each domain discriminator (3; ``MultiScaleDis``).
        nz: attribute code length (8).

    Data: ``image_size`` is the training crop (216) of images resized to ``load_size`` (256);
    ``batch_size`` 2 (one "encoded" and one "random" image per domain, as the official code).

    Training: Adam(1e-4, 0.5, 0.999) with L2 weight decay 1e-4 for every network, the content
    discriminator at ``lr / 2.5`` with its gradient norm clipped to 5; the content
    discriminator alone is updated on ``d_iter - 1`` of every ``d_iter`` batches; learning rates
    constant for ``n_ep_decay`` epochs, then linearly decayed until ``epochs``. Loss weights:
    ``lambda_rec`` (cross-cycle and self reconstruction), ``lambda_latent`` (latent regression),
    ``lambda_kl`` (KL of attribute and content codes), ``lambda_ms`` (mode seeking, both directions).
    """

    family: str = "drit"
    dataset: str = "cat2dog"
    direction: str = "a2b"
    concat: int = 0
    input_dim_a: int = 3
    input_dim_b: int = 3
    image_size: int = 216
    load_size: int = 256
    content_width: int = 64
    attr_width: int = 64
    mlp_width: int = 256
    dis_width: int = 64
    dis_scale: int = 3
    nz: int = 8
    lambda_rec: float = 10.0
    lambda_latent: float = 10.0
    lambda_kl: float = 0.01
    learning_rate: float = 1e-4
    content_lr_ratio: float = 1 / 2.5
    beta_1: float = 0.5
    beta_2: float = 0.999
    weight_decay: float = 1e-4
    content_clip_norm: float = 5.0
    d_iter: int = 3
    n_ep_decay: int = 600
    batch_size: int = 2
    epochs: int = 1200

    def __post_init__(self):
        if self.concat not in (0, 1):
            raise ValueError(f"concat must be 0 or 1, got {self.concat!r}")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction must be 'a2b' or 'b2a', got {self.direction!r}")
        if self.dis_scale < 2:
            raise ValueError(f"dis_scale must be >= 2 (MultiScaleDis), got {self.dis_scale}")
        if self.image_size < 116:
            raise ValueError(f"image_size must be >= 116 (the content discriminator's three 7x7 stride-2 "
                             f"convolutions need a content code of >= 29 px), got {self.image_size}")
        if self.image_size % 4:
            raise ValueError(f"image_size must be a multiple of 4 (two stride-2 stages), got {self.image_size}")
        if self.batch_size < 2 or self.batch_size % 2:
            raise ValueError(f"batch_size must be even and >= 2 (encoded and random halves), got {self.batch_size}")
        if self.d_iter < 1:
            raise ValueError(f"d_iter must be >= 1, got {self.d_iter}")

    @property
    def content_channels(self):
        """Channels of the content code (256 with the official widths)."""
        return 4 * self.content_width

    @property
    def content_size(self):
        """Spatial size of the content code: ``image_size / 4``."""
        return self.image_size // 4

    @property
    def in_channels(self):
        """Channels of the source domain of ``direction`` (what the sampler takes)."""
        return self.input_dim_a if self.direction == "a2b" else self.input_dim_b

    @property
    def input_dims(self):
        return {"a": self.input_dim_a, "b": self.input_dim_b}

    def learning_rate_factor(self, epoch):
        """The official ``lambda_rule``: 1 until ``n_ep_decay``, then linearly down to
        ``1 / (epochs - n_ep_decay + 1)`` in the last epoch (0-based ``epoch``); -1 = no decay."""
        if self.n_ep_decay < 0:
            return 1.0
        return 1.0 - max(0, epoch - self.n_ep_decay) / float(self.epochs - self.n_ep_decay + 1)
