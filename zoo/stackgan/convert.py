"""The official StackGAN++-Mode-Seeking generator (``netG_*.pth``, ``G_NET`` state_dict) in our Keras generator.

The widths come from the tensors' shapes (``GF_DIM`` from the first image head, ``EMBEDDING_DIM``
from the CA layer, ``Z_DIM`` from the first linear layer, branches and residual blocks from the
keys), so a GF_DIM 16 test checkpoint and the released GF_DIM 64 one both convert.

Layouts: PyTorch convs are ``(out, in, kh, kw)``, ours ``(kh, kw, in, out)``; linear weights are
transposed. The first stage's linear layer feeds ``view(-1, C, 4, 4)`` (channel-major) in PyTorch
and an NHWC reshape (channel-minor) here, so its output features, and the batch norm over them,
are permuted. Running statistics are copied, so eval-mode outputs match.
"""
from pathlib import Path

import numpy as np

from zoo.convert.torch_checkpoint import load as load_torch
from zoo.paths import CONFIG_FILE, GENERATOR_WEIGHTS
from zoo.stackgan.networks import build_generator

_IGNORED_SUFFIX = ".num_batches_tracked"


def _strip_prefix(state):
    # torch.nn.DataParallel saves every key under "module."
    if state and all(k.startswith("module.") for k in state):
        return {k[len("module."):]: v for k, v in state.items()}
    return dict(state)


def read_state_dict(path):
    """The ``G_NET`` state_dict of ``path`` as ``{key: numpy array}``; one-line ``ValueError`` otherwise."""
    state = load_torch(path)
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or "ca_net.fc.weight" not in _strip_prefix(state):
        raise ValueError(f"{path}: not a StackGAN++ G_NET state_dict (no 'ca_net.fc.weight'; "
                         "unconditional StackGAN++ generators are not supported)")
    return _strip_prefix(state)


def config_fields(state):
    """Architecture fields read from the tensors' shapes: ``gf_dim``, ``embedding_dim``, ``text_dim``,
    ``nz``, ``branch_num``, ``r_num``, ``base_size``."""
    embedding_dim = state["ca_net.fc.weight"].shape[0] // 4
    upsamplings = sum(f"h_net1.upsample{k}.1.weight" in state for k in range(1, 9))
    return {
        "gf_dim": int(state["img_net1.img.0.weight"].shape[1]),
        "embedding_dim": int(embedding_dim),
        "text_dim": int(state["ca_net.fc.weight"].shape[1]),
        "nz": int(state["h_net1.fc.0.weight"].shape[1] - embedding_dim),
        "branch_num": sum(f"img_net{i}.img.0.weight" in state for i in range(1, 6)),
        "r_num": sum(f"h_net2.residual.{r}.block.0.weight" in state for r in range(16)) or 2,
        "base_size": 4 * 2 ** upsamplings,
        "channels": int(state["img_net1.img.0.weight"].shape[0]),
    }


class _Reader:
    """Hands out state_dict tensors by key and remembers which were used."""

    def __init__(self, state, source="checkpoint"):
        self.state = state
        self.source = source
        self.used = set()

    def __call__(self, key):
        if key not in self.state:
            raise ValueError(f"{self.source} lacks {key!r}")
        self.used.add(key)
        return np.asarray(self.state[key], dtype=np.float32)

    def unused(self):
        return sorted(k for k in self.state if k not in self.used and not k.endswith(_IGNORED_SUFFIX))


def _conv(layer, read, key):
    layer.set_weights([read(key).transpose(2, 3, 1, 0)])


def _bn(layer, read, prefix, order=None):
    values = [read(f"{prefix}.{n}") for n in ("weight", "bias", "running_mean", "running_var")]
    layer.set_weights([v if order is None else v[order] for v in values])


def _glu_block(block, read, prefix, conv_index):
    _conv(block.conv, read, f"{prefix}.{conv_index}.weight")
    _bn(block.bn, read, f"{prefix}.{conv_index + 1}")


def nhwc_feature_order(channels):
    """Source index, in PyTorch's order, of each output feature of the first linear layer in ours.

    PyTorch: GLU halves of ``(C, 4, 4)`` blocks (channel-major); ours: GLU halves of ``(4, 4, C)``.
    """
    return np.arange(2 * 16 * channels).reshape(2, channels, 16).transpose(0, 2, 1).reshape(-1)


def load_state_into(generator, state, source="checkpoint"):
    """Copy the official ``G_NET`` ``state`` into our ``generator``; every tensor must be used.
    Errors (one line, naming ``source``) for a missing tensor, a shape that fits no layer, or a
    tensor with no place here."""
    read = _Reader(state, source)
    generator.ca.fc.set_weights([read("ca_net.fc.weight").T, read("ca_net.fc.bias")])
    stage1 = generator.init_stage
    order = nhwc_feature_order(stage1.start_channels)
    stage1.fc.set_weights([read("h_net1.fc.0.weight").T[:, order]])
    _bn(stage1.fc_bn, read, "h_net1.fc.1", order)
    for k, block in enumerate(stage1.ups, start=1):
        _glu_block(block, read, f"h_net1.upsample{k}", 1)
    for i, stage in enumerate(generator.next_stages, start=2):
        _glu_block(stage.joint, read, f"h_net{i}.jointConv", 0)
        for r, res in enumerate(stage.residuals):
            prefix = f"h_net{i}.residual.{r}.block"
            _conv(res.conv1, read, f"{prefix}.0.weight")
            _bn(res.bn1, read, f"{prefix}.1")
            _conv(res.conv2, read, f"{prefix}.3.weight")
            _bn(res.bn2, read, f"{prefix}.4")
        _glu_block(stage.up, read, f"h_net{i}.upsample", 1)
    for i, head in enumerate(generator.image_heads, start=1):
        _conv(head, read, f"img_net{i}.img.0.weight")
    leftover = read.unused()
    if leftover:
        raise ValueError(f"{source} has tensors with no place in the generator: {', '.join(leftover[:5])}"
                         + (" ..." if len(leftover) > 5 else ""))
    return generator


def convert_generator(path, config):
    """``(generator, config)``: our generator holding the official checkpoint at ``path``; ``config``
    (a :class:`zoo.stackgan.config.StackGANConfig`, e.g. ``msgan_stackgan_cub``'s) takes the
    checkpoint's widths."""
    state = read_state_dict(path)
    config = config.replace(**config_fields(state))
    try:
        generator = load_state_into(build_generator(config), state, Path(path).name)
    except ValueError as error:  # Keras' shape mismatch names the layer, not the file
        raise ValueError(f"{Path(path).name}: {str(error).splitlines()[0]}") from None
    return generator, config


def convert_checkpoint(config, path, out_dir):
    """Write ``out_dir/generator.weights.h5`` and ``config.json`` (a directory ``zoo.load`` takes)
    from the official ``netG_*.pth`` at ``path`` (the :mod:`zoo.convert` contract); returns the
    config with the checkpoint's widths."""
    generator, config = convert_generator(path, config)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    generator.save_weights(out_dir / GENERATOR_WEIGHTS)
    config.to_json(out_dir / CONFIG_FILE)
    return config
