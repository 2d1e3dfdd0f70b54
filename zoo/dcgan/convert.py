"""The official DCGAN-Mode-Seeking checkpoint (``00199.pth``) in our DCGAN.

The official ``save()`` writes one dict: ``gen`` and ``dis`` (state_dicts with the batch norms'
running statistics), ``gen_opt``, ``dis_opt`` (Adam states), ``ep`` and ``total_it``, in the
legacy torch format of PyTorch 0.4. Torch names and ours coincide (``deconv1`` ... ``deconv4``,
``deconv{k}_bn``; ``conv1`` ... ``conv3``, ``conv{k}_bn``), except D's last conv, ``conv4``, which
is our ``logit_conv`` (we keep logits; the official D ends in a sigmoid, and BCE on logits is the
same loss).

Read from the shapes: ``nz + classes`` (``deconv1`` input), ``d`` (its output / 4 for three
stages), the output channels (``deconv4``), the number of stages (how many ``deconvK`` there are,
so the image size), and the classes (``conv1`` input minus the image channels).
"""
import re
from pathlib import Path

from zoo.convert.tensors import StateDict, load_batch_norm, load_conv
from zoo.convert.torch_checkpoint import load
from zoo.convert.training_state import write_training_state
from zoo.dcgan.config import DIGIT_CLASSES
from zoo.dcgan.model import DCGAN

CHECKPOINT_KEYS = ("gen", "dis")
OFFICIAL_FILE = "00199.pth"


def read_checkpoint(path):
    """``(gen, dis, info)``: the two state_dicts of an official ``save()`` dict, and its ``ep``,
    ``total_it`` and optimizer states (``gen_opt``, ``dis_opt``) where present. A file of another kind (a bare state_dict, another family's dict) is a one-line
    error naming what is missing."""
    path = Path(path)
    checkpoint = load(path)
    if not isinstance(checkpoint, dict) or not all(key in checkpoint for key in CHECKPOINT_KEYS):
        found = ", ".join(list(checkpoint)[:4]) if isinstance(checkpoint, dict) else type(checkpoint).__name__
        raise ValueError(f"{path.name} is not an official DCGAN-Mode-Seeking checkpoint: it needs the keys "
                         f"'gen' and 'dis' (found {found} ...)")
    info = {key: checkpoint[key] for key in ("ep", "total_it", "gen_opt", "dis_opt") if key in checkpoint}
    return (StateDict(checkpoint["gen"], f"{path.name}['gen']"),
            StateDict(checkpoint["dis"], f"{path.name}['dis']"), info)


def config_from_state(config, gen, dis):
    """``config`` with the widths of the checkpoint (``nz``, ``d``, ``channels``, classes, size)."""
    stages = sum(1 for key in gen.tensors if re.fullmatch(r"deconv\d+\.weight", key)) - 1
    if stages < 1:
        raise ValueError(f"{gen.source} has no 'deconv2.weight': not a DCGAN generator")
    inputs, first_width = gen.shape("deconv1.weight")[:2]
    channels = gen.shape(f"deconv{stages + 1}.weight")[1]
    num_classes = dis.shape("conv1.weight")[1] - channels
    nz = inputs - num_classes
    d = first_width // 2 ** (stages - 1)
    if nz < 1 or num_classes < 1 or d * 2 ** (stages - 1) != first_width:
        raise ValueError(f"{gen.source}['deconv1.weight'] {gen.shape('deconv1.weight')} does not fit "
                         f"{num_classes} classes from {dis.source}['conv1.weight']")
    class_names = config.class_names if len(config.class_names) == num_classes else \
        tuple(DIGIT_CLASSES[:num_classes]) if num_classes <= 10 else tuple(str(i) for i in range(num_classes))
    return config.replace(nz=nz, d=d, channels=channels, num_classes=num_classes, class_names=class_names,
                          image_size=4 * 2 ** stages, minibatch_discrimination=False,
                          bn_epsilon=1e-5, bn_momentum=0.9)


def load_generator(generator, gen):
    """The official ``gen`` state_dict into our generator (built for the same config)."""
    stages = len([layer for layer in generator.layers if re.fullmatch(r"deconv\d+", layer.name)]) - 1
    for k in range(1, stages + 2):
        load_conv(generator.get_layer(f"deconv{k}"), gen, f"deconv{k}", transpose=True)
        if k <= stages:
            load_batch_norm(generator.get_layer(f"deconv{k}_bn"), gen, f"deconv{k}_bn")
    gen.check_all_used("generator")
    return generator


def load_discriminator(discriminator, dis):
    """The official ``dis`` state_dict into our discriminator (built for the same config)."""
    stages = len([layer for layer in discriminator.layers if re.fullmatch(r"conv\d+", layer.name)])
    for k in range(1, stages + 1):
        load_conv(discriminator.get_layer(f"conv{k}"), dis, f"conv{k}")
        if k > 1:
            load_batch_norm(discriminator.get_layer(f"conv{k}_bn"), dis, f"conv{k}_bn")
    load_conv(discriminator.get_layer("logit_conv"), dis, f"conv{stages + 1}")
    dis.check_all_used("discriminator")
    return discriminator


def convert_gan(config, path):
    """``(gan, config, info)``: a :class:`zoo.dcgan.DCGAN` holding the official G and D of ``path``
    (running statistics included; optimizers not compiled yet). ``info`` holds ``ep``,
    ``total_it`` and, for :func:`zoo.convert.training_state.write_training_state`,
    ``adam_states``."""
    gen, dis, info = read_checkpoint(path)
    config = config_from_state(config, gen, dis)
    gan = DCGAN(config)
    load_generator(gan.generator, gen)
    load_discriminator(gan.discriminator, dis)
    info["adam_states"] = {name: (info.pop(key), state) for name, key, state
                           in (("generator", "gen_opt", gen), ("discriminator", "dis_opt", dis)) if key in info}
    return gan, config, info


def convert_checkpoint(config, path, out_dir):
    """Write the zoo model directory of the official checkpoint ``path`` into ``out_dir``.

    ``generator.weights.h5`` + ``config.json`` (what ``zoo.load`` reads) and, since the file holds
    D too, ``discriminator.weights.h5`` and ``checkpoints/`` (G, D and optimizers in
    ``training/fit.py``'s layout: ``fit.py --resume`` fine-tunes from them, with the official
    Adam moments and step count where the file holds them). Returns the converted config.
    """
    gan, config, info = convert_gan(config, path)
    write_training_state(gan, config, out_dir, info["adam_states"])
    return config
