"""The trainable class-conditioned DCGAN (+ MS): BCE on logits, Adam with L2 weight decay."""

from zoo.base import ConditionalGAN, make_adam
from zoo.dcgan.networks import build_discriminator, build_generator


class DCGAN(ConditionalGAN):
    """Class-conditioned DCGAN (+ MS when ``lambda_ms > 0``); BCE on logits."""

    def __init__(self, config, **kwargs):
        super().__init__(build_generator(config), build_discriminator(config),
                         nz=config.nz, loss="bce", seed=config.seed, **kwargs)
        self.config = config

    def compile(self, lambda_ms=None, **kwargs):
        config = self.config
        kwargs.setdefault("g_optimizer", make_adam(config.learning_rate, config.beta_1, config.beta_2))
        kwargs.setdefault("d_optimizer", make_adam(config.learning_rate, config.beta_1, config.beta_2))
        kwargs.setdefault("weight_decay", config.weight_decay)
        super().compile(lambda_ms=config.lambda_ms if lambda_ms is None else lambda_ms, **kwargs)
