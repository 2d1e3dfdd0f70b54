"""StackGAN++ with the mode seeking term (MSGAN's text -> image task).

The folder holds the family whole: ``config`` (the official ``birds_3stages`` defaults),
``networks`` (conditioning augmentation, the tree generator, one discriminator per branch),
``model`` (the trainable GAN and its ``train_step``), ``sampler``, ``text`` (the shapes task's
captions and caption encoder) and ``convert`` (the official ``netG_*.pth`` into our generator).

Zoo names: ``msgan_stackgan_cub`` (official ``birds_3stages``; sentence embeddings in, the
authors' checkpoint converts with ``python -m zoo.convert``) and ``msgan_stackgan_shapes`` (the
captioned shapes task, raw captions in), each with its ``lambda_ms = 0`` twin::

    python training/fit.py --model msgan_stackgan_shapes --seed 0 --out runs/msgan_stackgan_shapes
    python training/fit.py --model stackgan_shapes --seed 0 --out runs/stackgan_shapes
    python training/shapes_classifier.py --score runs/msgan_stackgan_shapes runs/stackgan_shapes

    zoo.load("msgan_stackgan_shapes", weights="runs/msgan_stackgan_shapes").sample("a big green triangle", 8, seed=0)
"""
from zoo.family import Family
from zoo.stackgan.config import StackGANConfig
from zoo.stackgan.convert import convert_checkpoint
from zoo.stackgan.model import StackGAN
from zoo.stackgan.networks import build_discriminators, build_generator
from zoo.stackgan.sampler import TextSampler
from zoo.stackgan.serving import export_graph
from zoo.stackgan.text import shapes_text_fields

FAMILY = Family("stackgan", StackGANConfig, build_generator, StackGAN, TextSampler,
                convert_checkpoint=convert_checkpoint, export_graph=export_graph)

# The shapes task (zoo.stackgan.text, training/shapes_data.py): 32 px, a three-branch tree at
# 8 / 16 / 32 px, captions through a pretrained, frozen GRU encoder.
SHAPES = dict(dataset="shapes", base_size=8, gf_dim=64, df_dim=32, embedding_dim=32, text_dim=64,
              word_dim=32, batch_size=32, epochs=20, text_pretrain_steps=300, **shapes_text_fields())

PRESETS = (
    StackGANConfig(name="msgan_stackgan_cub", dataset="cub"),
    StackGANConfig(name="msgan_stackgan_shapes", **SHAPES),
)

__all__ = ["FAMILY", "PRESETS", "SHAPES", "StackGAN", "StackGANConfig", "TextSampler",
           "build_discriminators", "build_generator"]
