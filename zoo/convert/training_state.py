"""Write a converted model as a zoo model directory, optionally with its training state.

A directory ``zoo.load``, ``training/evaluate.py --model`` and ``python -m zoo.export`` take holds
``generator.weights.h5`` and ``config.json``. When the official files include the discriminator,
the directory also gets ``discriminator.weights.h5`` and ``checkpoints/``: a
``tf.train.Checkpoint`` of G, D, both optimizers (the official Adam moments and step count where the
file holds them, as DCGAN's ``00199.pth`` does; fresh otherwise), the noise generator's state and
``epoch = 0``, in the object layout of
``training/fit.py``'s ``TrainingCheckpoint``, so that

    python training/fit.py --model NAME --out DIR --resume --epochs N

fine-tunes the converted networks for ``N`` epochs (``tests/test_convert.py`` restores it with
``TrainingCheckpoint``).
"""
from pathlib import Path

import numpy as np
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


def load_adam_state(optimizer, variables, torch_optimizer, state):
    """A ``torch.optim.Adam`` state_dict into a built Keras Adam; returns False when it is empty.

    torch numbers the parameters in ``module.parameters()`` order, which is the state_dict order
    without the buffers (running statistics): the keys :class:`zoo.convert.tensors.StateDict`
    sent to a variable. ``exp_avg`` / ``exp_avg_sq`` take the layout change of their parameter
    and become Keras' momentum / velocity slots; ``step`` becomes ``iterations``. Both libraries
    keep the raw moments and apply the bias correction at update time, so the next step continues
    the official run's.

    Args:
        optimizer: a Keras Adam built on ``variables``.
        variables: the network's trainable variables, in the order the optimizer was built with.
        torch_optimizer: the official optimizer's state_dict (``{"state", "param_groups"}``).
        state: the network's :class:`zoo.convert.tensors.StateDict`, after loading.
    """
    entries = torch_optimizer.get("state") if isinstance(torch_optimizer, dict) else None
    if not entries:
        return False
    groups = torch_optimizer.get("param_groups") or []
    indices = [index for group in groups for index in group.get("params", [])]
    parameters = [key for key in state.tensors if key in state.destinations]
    if len(indices) != len(parameters):
        raise ValueError(f"the optimizer state beside {state.source} numbers {len(indices)} parameters, "
                         f"the network has {len(parameters)}")
    steps = set()
    for index, key in zip(indices, parameters):
        if index not in entries:
            continue
        variable, layout = state.destinations[key]
        slot = next(i for i, v in enumerate(variables) if v is variable)
        for name, slots in (("exp_avg", optimizer._momentums), ("exp_avg_sq", optimizer._velocities)):
            moment = entries[index].get(name)
            if not isinstance(moment, np.ndarray) or layout(moment).shape != tuple(slots[slot].shape):
                raise ValueError(f"the optimizer state of {state.source}['{key}'] has no {name} of its shape")
            slots[slot].assign(layout(moment).astype(np.float32))
        steps.add(int(np.asarray(entries[index].get("step", 0))))
    optimizer.iterations.assign(max(steps))
    return True


def write_training_state(gan, config, out_dir, adam_states=()):
    """The generator directory plus D's weights and a ``fit.py --resume`` checkpoint at epoch 0.

    Args:
        gan: the family's :class:`zoo.base.ConditionalGAN` holding the converted G and D; it is
            compiled here with the family's default optimizers (built, zero moments).
        config: its config (written as ``config.json``).
        out_dir: the directory to fill.
        adam_states: ``{"generator" | "discriminator": (torch optimizer state_dict, StateDict)}``
            to carry the official Adam moments over (see :func:`load_adam_state`).

    Returns:
        The names of the networks whose optimizer state was carried over.
    """
    out_dir = Path(out_dir)
    write_generator(gan.generator, config, out_dir)
    gan.discriminator.save_weights(out_dir / DISCRIMINATOR_WEIGHTS)
    gan.compile()
    gan.build_optimizers()
    carried = []
    for name, optimizer in (("generator", gan.g_optimizer), ("discriminator", gan.d_optimizer)):
        if name in adam_states:
            network = getattr(gan, name)
            if load_adam_state(optimizer, network.trainable_variables, *adam_states[name]):
                carried.append(name)
    checkpoint = tf.train.Checkpoint(
        generator=gan.generator, discriminator=gan.discriminator,
        g_optimizer=gan.g_optimizer, d_optimizer=gan.d_optimizer,
        noise_state=gan.seed_generator.state.value,
        epoch=tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch"))
    tf.train.CheckpointManager(checkpoint, str(out_dir / CHECKPOINTS), max_to_keep=2).save(checkpoint_number=0)
    return carried
