"""The StackGAN++ family's config: defaults of the official StackGAN++-Mode-Seeking ``birds_3stages``."""
import dataclasses
import math

from zoo.config import ModelConfig

MAX_BRANCHES = 4  # the official G_NET builds at most four working branches


@dataclasses.dataclass
class StackGANConfig(ModelConfig):
    """StackGAN++ (Zhang et al., TPAMI 2018) with the mode seeking term, as MSGAN trains it.

    Defaults are the official ``cfg/birds_3stages.yml`` on top of ``miscc/config.py``:
    ``EMBEDDING_DIM`` 128 (``embedding_dim``), ``Z_DIM`` 100 (``nz``), ``GF_DIM`` / ``DF_DIM`` 64,
    ``R_NUM`` 2, three branches at 64 / 128 / 256 px, 1024-d char-CNN-RNN sentence embeddings
    (``text_dim``), batch 4 (twice that many images per step: the two MS halves), Adam 2e-4
    (0.5, 0.999) for G and every D, ``COEFF.KL`` 2.0, ``COEFF.UNCOND_LOSS`` 1.0, ``COEFF.COLOR_LOSS``
    0.0 (the colour-consistency terms are off for birds, as in the official config) and the MS
    weight 1.0 (``lambda_ms``). The published generator holds the moving average of G's weights
    (``ema_decay`` 0.999, the official ``avg_param_G``; 0 publishes the raw weights).

    Text input: with ``text_encoder = ""`` the condition is a precomputed sentence embedding
    ``(N, text_dim)`` (CUB's char-CNN-RNN vectors). With ``text_encoder = "gru"`` the generator
    holds a small frozen caption encoder (:mod:`zoo.stackgan.text`) and the condition is token
    ids ``(N, max_caption_words)`` over ``vocabulary``; the encoder's output has ``text_dim``.

    Two options of the shapes task (issue 30), off by default (the official behaviour):

    * ``text_standardize``: the frozen caption encoder's output is standardized per dimension
      (mean 0, std 1 over the training captions, measured once after pretraining and stored as
      weights of the encoder, so sampler, export and scoring use the same). A preprocessing
      choice: the GRU's raw output gives the CA mean ``mu`` a spread across shapes and counts of
      about 0.1 of the CA noise sigma. Needs ``text_encoder = "gru"``.
    * ``d_condition``: what each discriminator's conditional logit sees next to the image:
      ``"mu"`` (official: the CA mean, ``(N, embedding_dim)``) or ``"embedding"`` (the frozen
      sentence embedding, ``(N, text_dim)``; a departure from the official code).
    """

    family: str = "stackgan"
    dataset: str = "cub"
    batch_size: int = 4
    epochs: int = 1000
    nz: int = 100
    embedding_dim: int = 128
    text_dim: int = 1024
    gf_dim: int = 64
    df_dim: int = 64
    r_num: int = 2
    branch_num: int = 3
    base_size: int = 64
    channels: int = 3
    learning_rate_g: float = 2e-4
    learning_rate_d: float = 2e-4
    beta_1: float = 0.5
    beta_2: float = 0.999
    kl_coeff: float = 2.0
    uncond_coeff: float = 1.0
    color_coeff: float = 0.0
    ema_decay: float = 0.999
    text_encoder: str = ""
    vocabulary: tuple = ()
    max_caption_words: int = 0
    word_dim: int = 32
    text_pretrain_steps: int = 0
    text_standardize: bool = False
    d_condition: str = "mu"

    def __post_init__(self):
        if not 1 <= self.branch_num <= MAX_BRANCHES:
            raise ValueError(f"branch_num must be in 1..{MAX_BRANCHES}, got {self.branch_num}")
        levels = math.log2(self.base_size / 4) if self.base_size >= 4 else -1
        if levels < 1 or levels != int(levels):
            raise ValueError(f"base_size must be 4 * 2^k with k >= 1, got {self.base_size}")
        halvings = 2 ** (self.branch_num - 1)
        if self.gf_dim < 1 or self.gf_dim % halvings:
            raise ValueError(f"gf_dim must be a positive multiple of {halvings} for {self.branch_num} "
                             f"branches (each branch after the first halves it), got {self.gf_dim}")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1), got {self.ema_decay}")
        if self.batch_size < 2:
            raise ValueError(f"batch_size must be >= 2 (the wrong images are the batch rolled by one), got {self.batch_size}")
        if self.df_dim < 1:
            raise ValueError(f"df_dim must be >= 1, got {self.df_dim}")
        if self.text_encoder not in ("", "gru"):
            raise ValueError(f"text_encoder must be '' (precomputed embeddings) or 'gru', got {self.text_encoder!r}")
        if self.text_encoder and (not self.vocabulary or self.max_caption_words < 1):
            raise ValueError("text_encoder 'gru' needs a vocabulary and max_caption_words >= 1")
        if self.text_standardize and not self.text_encoder:
            raise ValueError("text_standardize needs a caption encoder (text_encoder 'gru')")
        if self.d_condition not in ("mu", "embedding"):
            raise ValueError(f"d_condition must be 'mu' (official) or 'embedding', got {self.d_condition!r}")

    @property
    def d_condition_dim(self):
        """Width of the discriminators' condition: ``embedding_dim`` for ``mu``, else ``text_dim``."""
        return self.embedding_dim if self.d_condition == "mu" else self.text_dim

    @property
    def branch_sizes(self):
        """Image size of every branch, ``(64, 128, 256)`` by default."""
        return tuple(self.base_size * 2 ** i for i in range(self.branch_num))

    @property
    def image_size(self):
        """Size of the last branch's images (what the sampler returns)."""
        return self.branch_sizes[-1]

    @property
    def branch_widths(self):
        """Feature channels each branch turns into an image: ``gf_dim``, halved per branch."""
        return tuple(self.gf_dim // 2 ** i for i in range(self.branch_num))

    @property
    def init_upsamplings(self):
        """Nearest-neighbour 2x upsamplings of the first stage, from 4x4 to ``base_size``."""
        return int(math.log2(self.base_size / 4))
