"""The official Pix2Pix-Mode-Seeking checkpoints (``400_net_G.pth``, ``400_net_D.pth``) in our Pix2Pix.

The official code saves each network's bare state_dict (``<epoch>_net_G.pth``, ``<epoch>_net_D.pth``).

* G, BicycleGAN's ``G_Unet_add_all`` (instance norm without affine: only convs carry weights):
  block ``i`` (0 = outermost) is ``model.`` + ``submodule.`` * i; its down conv is ``down.0``
  at the outermost block and ``down.1`` (after the LeakyReLU) below it, its transposed conv
  ``up.1``. Ours: ``down{i}_conv``, ``up{i}_convt``.
* D, ``D_NLayersMulti`` with ``num_D`` scales: ``model{k}.{0,2,5,8,11}`` (the convs of each
  ``nn.Sequential``; LeakyReLU and instance norm in between). Ours: ``d{k}_conv0..3``,
  ``d{k}_logits``.

Read from the shapes: ``ngf`` (first down conv's output), ``nz`` (its input minus 3 image
channels), the depth (how many blocks, so the image size ``2^depth``), the output channels, and
for D ``ndf``, ``num_d`` (how many ``model{k}``) and ``n_layers``. The direction is the
official default, ``BtoA`` (see ``OFFICIAL_DIRECTION``).
"""
import re
from pathlib import Path

from zoo.convert.tensors import StateDict, load_conv
from zoo.convert.torch_checkpoint import load
from zoo.convert.training_state import write_generator, write_training_state
from zoo.pix2pix.model import Pix2Pix
from zoo.pix2pix.networks import build_generator

OFFICIAL_FILES = ("400_net_G.pth", "400_net_D.pth")
# The networks' only norms are InstanceNorm2d(affine=False): no weights. Files saved by PyTorch
# < 0.4 carry running statistics for them, which instance norm never uses (pix2pix's own loader
# deletes them too); they are skipped, not refused.
UNUSED_NORM_BUFFERS = (".running_mean", ".running_var", ".num_batches_tracked")
# The official test commands for facades and maps pass no --direction, so the released models
# ran with the options' default, BtoA (facades: label map -> photo; maps: map -> aerial photo).
OFFICIAL_DIRECTION = "BtoA"


def _block(i):
    return "model." + "submodule." * i


def _down(i):
    return _block(i) + ("down.0" if i == 0 else "down.1")


def read_state_dict(path, what):
    """A bare state_dict from ``path`` as a :class:`StateDict`; anything else is a one-line error."""
    path = Path(path)
    state = load(path)
    if not isinstance(state, dict) or not state or not all(isinstance(k, str) for k in state):
        raise ValueError(f"{path.name} is not an official Pix2Pix {what} state_dict")
    return StateDict(state, path.name)


def generator_fields(gen):
    """``{ngf, nz, in_channels, out_channels, image_size}`` of an official ``G_Unet_add_all``."""
    if f"{_down(0)}.weight" not in gen:
        raise ValueError(f"{gen.source} has no tensor '{_down(0)}.weight': not an official Pix2Pix generator "
                         f"(found {', '.join(list(gen.tensors)[:3])} ...)")
    depth = 1
    while f"{_down(depth)}.weight" in gen:
        depth += 1
    ngf, first_inputs = gen.shape(f"{_down(0)}.weight")[:2]
    second_inputs = gen.shape(f"{_down(1)}.weight")[1] if depth > 1 else None
    nz = second_inputs - ngf if second_inputs is not None else 0
    out_channels = gen.shape(f"{_block(0)}up.1.weight")[1]
    in_channels = first_inputs - nz
    if nz < 0 or in_channels < 1:
        raise ValueError(f"{gen.source}['{_down(1)}.weight'] does not fit a U-Net with z at every block")
    return {"ngf": ngf, "nz": nz, "in_channels": in_channels, "out_channels": out_channels,
            "image_size": 2 ** depth}


def discriminator_fields(dis):
    """``{ndf, num_d, n_layers_d}`` of an official ``D_NLayersMulti``."""
    if "model0.0.weight" not in dis:
        raise ValueError(f"{dis.source} has no tensor 'model0.0.weight': not an official Pix2Pix discriminator "
                         f"(found {', '.join(list(dis.tensors)[:3])} ...)")
    num_d = 1
    while f"model{num_d}.0.weight" in dis:
        num_d += 1
    convs = sorted(int(m.group(1)) for key in dis.tensors
                   if (m := re.fullmatch(r"model0\.(\d+)\.weight", key)))
    return {"ndf": dis.shape("model0.0.weight")[0], "num_d": num_d, "n_layers_d": len(convs) - 2}


def _discriminator_conv_indices(dis, k):
    return sorted(int(m.group(1)) for key in dis.tensors if (m := re.fullmatch(rf"model{k}\.(\d+)\.weight", key)))


def load_generator(generator, gen, depth):
    """The official ``G_Unet_add_all`` state_dict into our U-Net (built for the same config)."""
    for i in range(depth):
        load_conv(generator.get_layer(f"down{i}_conv"), gen, _down(i))
        load_conv(generator.get_layer(f"up{i}_convt"), gen, f"{_block(i)}up.1", transpose=True)
    gen.check_all_used("generator", UNUSED_NORM_BUFFERS)
    return generator


def load_discriminator(discriminator, dis, num_d):
    """The official ``D_NLayersMulti`` state_dict into our multi-scale PatchGAN."""
    for k in range(num_d):
        indices = _discriminator_conv_indices(dis, k)
        for j, index in enumerate(indices[:-1]):
            load_conv(discriminator.get_layer(f"d{k}_conv{j}"), dis, f"model{k}.{index}")
        load_conv(discriminator.get_layer(f"d{k}_logits"), dis, f"model{k}.{indices[-1]}")
    dis.check_all_used("discriminator", UNUSED_NORM_BUFFERS)
    return discriminator


def convert_generator(config, path):
    """``(generator, config)``: our generator holding the official ``*_net_G.pth`` at ``path``."""
    gen = read_state_dict(path, "generator")
    fields = generator_fields(gen)
    config = config.replace(**fields, direction=OFFICIAL_DIRECTION)
    return load_generator(build_generator(config), gen, fields["image_size"].bit_length() - 1), config


def convert_gan(config, path, discriminator):
    """``(gan, config)``: a :class:`zoo.pix2pix.Pix2Pix` with the official G (``path``) and D
    (``discriminator``); its optimizers are not compiled yet."""
    gen = read_state_dict(path, "generator")
    dis = read_state_dict(discriminator, "discriminator")
    fields = generator_fields(gen)
    d_fields = discriminator_fields(dis)
    config = config.replace(**fields, **d_fields, direction=OFFICIAL_DIRECTION)
    depth = fields["image_size"].bit_length() - 1
    expected_d_inputs = fields["in_channels"] + fields["out_channels"]
    if dis.shape("model0.0.weight")[1] != expected_d_inputs:
        raise ValueError(f"{dis.source}['model0.0.weight'] takes {dis.shape('model0.0.weight')[1]} channels; the "
                         f"generator's input and output make {expected_d_inputs} (a D of another model?)")
    gan = Pix2Pix(config)
    load_generator(gan.generator, gen, depth)
    load_discriminator(gan.discriminator, dis, d_fields["num_d"])
    return gan, config


def convert_checkpoint(config, path, out_dir, discriminator=None):
    """Write the zoo model directory of the official ``*_net_G.pth`` at ``path`` into ``out_dir``.

    ``generator.weights.h5`` + ``config.json``; with ``discriminator`` (the ``*_net_D.pth`` of the
    same run) also ``discriminator.weights.h5`` and ``checkpoints/`` for ``fit.py --resume``
    fine-tuning (fresh optimizers). Returns the converted config.
    """
    if discriminator is None:
        generator, config = convert_generator(config, path)
        write_generator(generator, config, out_dir)
        return config
    gan, config = convert_gan(config, path, discriminator)
    write_training_state(gan, config, out_dir)
    return config
