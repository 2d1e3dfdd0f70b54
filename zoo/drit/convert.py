"""Official DRIT-Mode-Seeking checkpoints (``01999.pth`` cat2dog, ``01200.pth`` Yosemite) into the zoo.

The official ``save()`` dict holds one state_dict per network (``enc_c``, ``enc_a``, ``gen``,
``disA``, ``disA2``, ``disB``, ``disB2``, ``disContent``), the eight optimizer states, ``ep`` and
``total_it``. Widths, ``concat``, ``nz`` and the number of discriminator scales are read from the
tensor shapes, so full-width released files and the reduced-width fixtures convert alike.

Layout changes: conv ``(out, in, kh, kw) -> (kh, kw, in, out)``; transposed conv
``(in, out, kh, kw) -> (kh, kw, out, in)`` (a 1x1 one becomes a plain 1x1 conv); linear
``(out, in) -> (in, out)``; layer-norm affine ``(C, 1, 1) -> (C,)``.
"""
import numpy as np

from zoo.convert.torch_checkpoint import load
from zoo.drit.networks import build_generator, content_discriminator_kernel, translator_of
from zoo.convert.training_state import write_generator

NETWORKS = ("enc_c", "enc_a", "gen", "disA", "disA2", "disB", "disB2", "disContent")
DISCRIMINATORS = ("disA", "disA2", "disB", "disB2", "disContent")


def _conv(layer, state, key):
    return [(layer.kernel, np.transpose(state[key + ".weight"], (2, 3, 1, 0))), (layer.bias, state[key + ".bias"])]


def _conv_transpose(layer, state, key):
    return [(layer.kernel, np.transpose(state[key + ".weight"], (2, 3, 1, 0))), (layer.bias, state[key + ".bias"])]


def _conv_transpose_1x1(layer, state, key):
    return [(layer.kernel, np.transpose(state[key + ".weight"], (2, 3, 0, 1))), (layer.bias, state[key + ".bias"])]


def _dense(layer, state, key):
    return [(layer.kernel, np.transpose(state[key + ".weight"])), (layer.bias, state[key + ".bias"])]


def _res_block(block, state, key):
    return _conv(block.conv1.conv, state, key + ".model.1") + _conv(block.conv2.conv, state, key + ".model.5")


def _upsample(stage, state, key):
    norm = stage.norm
    return _conv_transpose(stage.conv.conv, state, key + ".model.0") + [
        (norm.gamma, state[key + ".model.1.weight"].reshape(-1)), (norm.beta, state[key + ".model.1.bias"].reshape(-1))]


def content_encoder_pairs(encoder, state):
    pairs = _res_block(encoder.share, state, "conv_share.0")
    for branch, prefix in ((encoder.branch_a, "convA"), (encoder.branch_b, "convB")):
        for k in range(3):
            pairs += _conv(branch[k].conv.conv, state, f"{prefix}.{k}.model.1")
        for k in range(3, 6):
            pairs += _res_block(branch[k], state, f"{prefix}.{k}")
    return pairs


def attribute_encoder_pairs(encoder, state, concat):
    pairs = []
    if not concat:
        for (convs, head), prefix in ((encoder.branch_a, "model_a"), (encoder.branch_b, "model_b")):
            for conv, index in zip(convs, (1, 4, 7, 10, 13)):
                pairs += _conv(conv.conv, state, f"{prefix}.{index}")
            pairs += _conv(head, state, f"{prefix}.16")
        return pairs
    for (stem, blocks, fc_mu, fc_logvar), side in ((encoder.branch_a, "A"), (encoder.branch_b, "B")):
        pairs += _conv(stem.conv, state, f"conv_{side}.1")
        for k, block in enumerate(blocks, start=2):
            pairs += _conv(block.conv1.conv, state, f"conv_{side}.{k}.conv.2")
            pairs += _conv(block.conv2.conv, state, f"conv_{side}.{k}.conv.4.1")
            pairs += _conv(block.shortcut, state, f"conv_{side}.{k}.shortcut.1")
        pairs += _dense(fc_mu, state, f"fc_{side}.0") + _dense(fc_logvar, state, f"fcVar_{side}.0")
    return pairs


def generator_pairs(generator, state, concat):
    pairs = []
    if not concat:
        for (mlp, blocks, up, head), side in ((generator.decoder_a, "A"), (generator.decoder_b, "B")):
            for layer, index in zip(mlp, (0, 2, 4)):
                pairs += _dense(layer, state, f"mlp{side}.{index}")
            for k, block in enumerate(blocks, start=1):
                key = f"dec{side}{k}"
                pairs += _conv(block.conv1.conv, state, key + ".conv1.0.1") + _conv(block.conv2.conv, state, key + ".conv2.0.1")
                for name in ("blk1", "blk2"):
                    pairs += _conv(getattr(block, name)[0], state, f"{key}.{name}.0")
                    pairs += _conv(getattr(block, name)[1], state, f"{key}.{name}.2")
            pairs += _upsample(up[0], state, f"dec{side}5.0") + _upsample(up[1], state, f"dec{side}5.1")
            pairs += _conv_transpose_1x1(head, state, f"dec{side}5.2")
        return pairs
    pairs = _res_block(generator.share, state, "dec_share.0")
    for (blocks, up, head), side in ((generator.decoder_a, "A"), (generator.decoder_b, "B")):
        for k, block in enumerate(blocks):
            pairs += _res_block(block, state, f"dec{side}1.{k}")
        pairs += _upsample(up[0], state, f"dec{side}2.0") + _upsample(up[1], state, f"dec{side}3.0")
        pairs += _conv_transpose_1x1(head, state, f"dec{side}4.0")
    return pairs


def multiscale_discriminator_pairs(discriminator, state):
    pairs = []
    for s, net in enumerate(discriminator.scales):
        for k, layer in enumerate(net[:-1]):
            pairs += _conv(layer.conv.conv, state, f"Diss.{s}.{k}.model.1")
        pairs += _conv(net[-1], state, f"Diss.{s}.{len(net) - 1}")
    return pairs


def content_discriminator_pairs(discriminator, state):
    pairs = []
    for k, layer in enumerate(discriminator.convs):
        pairs += _conv(layer.conv.conv, state, f"model.{k}.model.1")
    return pairs + _conv(discriminator.head, state, "model.4")


def assign(pairs, what):
    """Assign ``(variable, array)`` pairs after checking every shape; one-line error on a mismatch."""
    for variable, array in pairs:
        if tuple(variable.shape) != array.shape:
            raise ValueError(f"{what}: {variable.path} expects shape {tuple(variable.shape)}, "
                             f"the checkpoint has {array.shape}")
    for variable, array in pairs:
        variable.assign(array.astype(np.float32))


def check_checkpoint(checkpoint, path="checkpoint"):
    """Raise a one-line ``ValueError`` unless ``checkpoint`` is an official DRIT ``save()`` dict."""
    if not isinstance(checkpoint, dict):
        raise ValueError(f"{path} is not a DRIT checkpoint: a {type(checkpoint).__name__}, not the save() dict")
    missing = [name for name in ("enc_c", "enc_a", "gen") if not isinstance(checkpoint.get(name), dict)]
    if missing:
        raise ValueError(f"{path} is not a DRIT checkpoint: no {', '.join(missing)} state_dict "
                         f"(keys: {', '.join(sorted(map(str, checkpoint)))})")
    if any(key.endswith("weight_orig") for name in DISCRIMINATORS for key in checkpoint.get(name, {})):
        raise ValueError(f"{path} has spectral-norm discriminators (--dis_spectral_norm), which are not ported")


def config_from_checkpoint(checkpoint, config):
    """``config`` with the architecture of ``checkpoint`` (widths, ``nz``, scales from the shapes).

    Raises ``ValueError`` when the checkpoint's ``concat`` variant differs from ``config``'s.
    """
    enc_c, enc_a, gen = checkpoint["enc_c"], checkpoint["enc_a"], checkpoint["gen"]
    concat = int("fc_A.0.weight" in enc_a)
    if concat != config.concat:
        raise ValueError(f"the checkpoint is a concat={concat} DRIT, but {config.name or 'the config'} "
                         f"is concat={config.concat}")
    changes = {
        "content_width": enc_c["convA.0.model.1.weight"].shape[0],
        "input_dim_a": enc_c["convA.0.model.1.weight"].shape[1],
        "input_dim_b": enc_c["convB.0.model.1.weight"].shape[1],
    }
    if concat:
        changes.update(attr_width=enc_a["conv_A.1.weight"].shape[0], nz=enc_a["fc_A.0.weight"].shape[0])
    else:
        changes.update(attr_width=enc_a["model_a.1.weight"].shape[0], nz=enc_a["model_a.16.weight"].shape[0],
                       mlp_width=gen["mlpA.0.weight"].shape[0])
    dis = checkpoint.get("disA")
    if isinstance(dis, dict) and "Diss.0.0.model.1.weight" in dis:
        changes.update(dis_width=dis["Diss.0.0.model.1.weight"].shape[0],
                       dis_scale=len({key.split(".")[1] for key in dis}))
    return config.replace(**{key: int(value) for key, value in changes.items()})


def translator_from_checkpoint(checkpoint, config):
    """The zoo generator (:func:`build_generator`) with the official ``enc_c``, ``enc_a``, ``gen`` weights."""
    generator = build_generator(config)
    translator = translator_of(generator)
    assign(content_encoder_pairs(translator.content_encoder, checkpoint["enc_c"]), "enc_c")
    assign(attribute_encoder_pairs(translator.attribute_encoder, checkpoint["enc_a"], config.concat), "enc_a")
    assign(generator_pairs(translator.generator, checkpoint["gen"], config.concat), "gen")
    return generator


def load_discriminators(model, checkpoint):
    """Copy the five official discriminators into a :class:`zoo.drit.model.DRIT` (for fine-tuning)."""
    kernel = checkpoint["disContent"]["model.3.model.1.weight"].shape[-1]
    expected = content_discriminator_kernel(model.config.content_size)
    if kernel != expected:
        raise ValueError(f"disContent's last kernel is {kernel}, the model's {model.config.image_size} px "
                         f"content code needs {expected}")
    for name, attribute in (("disA", "dis_a"), ("disA2", "dis_a2"), ("disB", "dis_b"), ("disB2", "dis_b2")):
        assign(multiscale_discriminator_pairs(getattr(model, attribute), checkpoint[name]), name)
    assign(content_discriminator_pairs(model.dis_content, checkpoint["disContent"]), "disContent")


def convert_checkpoint(config, path, out_dir):
    """Read the official checkpoint ``path`` and write ``out_dir/generator.weights.h5`` and
    ``config.json`` (loadable with ``zoo.load(out_dir)``). Returns the converted config."""
    checkpoint = load(path)
    check_checkpoint(checkpoint, path)
    config = config_from_checkpoint(checkpoint, config)
    write_generator(translator_from_checkpoint(checkpoint, config), config, out_dir)
    return config
