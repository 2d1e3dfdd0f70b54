"""Write a converted model as a zoo model directory, optionally with its training state.

A directory ``zoo.load``, ``training/evaluate.py --model`` and ``python -m export`` take holds
``generator.weights.h5`` and ``config.json``. When the official files include the discriminator,
the directory also gets ``discriminator.weights.h5`` and ``checkpoints/``: a
``tf.train.Checkpoint`` of G, D, both optimizers (fresh: the official Adam moments are not carried
over), the noise generator's state and ``epoch = 0``, in the object layout of
``training/fit.py``'s ``TrainingCheckpoint``, so that

    python training/fit.py --model NAME --out DIR --resume --epochs N

fine-tunes the converted networks for ``N`` epochs (``tests/test_convert.py`` restores it with
``TrainingCheckpoint``).
"""
from pathlib import Path

import tensorflow as tf

from zoo.paths import CONFIG_FILE, GENERATOR_WEIGHTS

DISCRIMINATOR_WEIGHTS = "discriminator.weights.h5"
CHECKPOINTS = "checkpoints"


def write_generator(generator, config, out_dir):
    """``out_dir/generator.weights.h5`` and ``out_dir/config.json``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    generator.save_weights(out_dir / GENERATOR_WEIGHTS)
    config.to_json(out_dir / CONFIG_FILE)


def write_training_state(gan, config, out_dir):
    """The generator directory plus D's weights and a ``fit.py --resume`` checkpoint at epoch 0.

    Args:
        gan: the family's :class:`zoo.base.ConditionalGAN` holding the converted G and D; it is
            compiled here with the family's default optimizers (built, zero moments).
        config: its config (written as ``config.json``).
        out_dir: the directory to fill.
    """
    out_dir = Path(out_dir)
    write_generator(gan.generator, config, out_dir)
    gan.discriminator.save_weights(out_dir / DISCRIMINATOR_WEIGHTS)
    gan.compile()
    gan.build_optimizers()
    checkpoint = tf.train.Checkpoint(
        generator=gan.generator, discriminator=gan.discriminator,
        g_optimizer=gan.g_optimizer, d_optimizer=gan.d_optimizer,
        noise_state=gan.seed_generator.state.value,
        epoch=tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch"))
    tf.train.CheckpointManager(checkpoint, str(out_dir / CHECKPOINTS), max_to_keep=2).save(checkpoint_number=0)
