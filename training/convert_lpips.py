"""Write the ``.npz`` that ``zoo.metrics.LPIPS`` loads, from the official PyTorch checkpoints.

    pip install torch torchvision lpips          # optional: only this script needs them
    python training/convert_lpips.py --net alex --out lpips_alex_v0.1.npz
    python training/convert_lpips.py --net vgg  --out lpips_vgg_v0.1.npz

With the ``lpips`` package installed the script dumps ``lpips.LPIPS(net, version="0.1").state_dict()``
as it is. Without it, give the two checkpoints by path: torchvision's ImageNet backbone
(``--backbone alexnet-owt-7be5be79.pth`` / ``vgg16-397923af.pth``) and the official linear heads
(``--heads weights/v0.1/alex.pth`` of the LPIPS repository). The file holds the official
``state_dict`` keys with float32 arrays in PyTorch layout (OIHW); see ``../shared/data/lpips/README.md``.
"""
import argparse
import sys
from pathlib import Path

import numpy as np

from zoo.metrics.lpips import check_weights, conv_keys

# The official package's input normalization (lpips.ScalingLayer), fixed constants.
SCALING_SHIFT = np.array([-0.030, -0.088, -0.188], np.float32).reshape(1, 3, 1, 1)
SCALING_SCALE = np.array([0.458, 0.448, 0.450], np.float32).reshape(1, 3, 1, 1)


def lpips_state_dict(net, backbone_features, heads):
    """The official LPIPS ``state_dict`` from torchvision backbone and linear-head arrays.

    Args:
        net: ``"alex"`` or ``"vgg"``.
        backbone_features: ``{"features.<i>.weight"/"features.<i>.bias": array}`` of torchvision's
            AlexNet or VGG16 (the ``features.`` prefix is optional).
        heads: ``{"lin<l>.model.1.weight": (1, C_l, 1, 1)}`` for l = 0..4, as in the official
            ``weights/v0.1/<net>.pth``.

    Returns:
        ``{key: float32 array}`` with ``net.slice<s>.<i>.*``, ``lin<l>.model.1.weight`` and
        ``scaling_layer.shift/scale``: what ``zoo.metrics.LPIPS(weights=...)`` reads.
    """
    features = {k.removeprefix("features."): np.asarray(v, np.float32) for k, v in backbone_features.items()}
    state = {"scaling_layer.shift": SCALING_SHIFT, "scaling_layer.scale": SCALING_SCALE}
    for key in conv_keys(net):
        index = key.rsplit(".", 1)[1]  # net.slice2.3 -> torchvision features.3
        for part in ("weight", "bias"):
            if f"{index}.{part}" not in features:
                raise ValueError(f"backbone checkpoint has no features.{index}.{part} (is it torchvision's {net}?)")
            state[f"{key}.{part}"] = features[f"{index}.{part}"]
    for layer in range(5):
        head = heads.get(f"lin{layer}.model.1.weight")
        if head is None:
            raise ValueError(f"linear-head checkpoint has no lin{layer}.model.1.weight")
        state[f"lin{layer}.model.1.weight"] = np.asarray(head, np.float32)
    check_weights(net, state)
    return state


def from_lpips_package(net):
    import lpips

    model = lpips.LPIPS(net=net, version="0.1", pretrained=True, verbose=False)
    return {k: v.detach().cpu().numpy().astype(np.float32) for k, v in model.state_dict().items()}


def from_checkpoints(net, backbone_path, heads_path):
    import torch

    backbone = torch.load(backbone_path, map_location="cpu", weights_only=True)
    heads = torch.load(heads_path, map_location="cpu", weights_only=True)
    to_numpy = lambda d: {k: v.numpy() for k, v in d.items()}  # noqa: E731
    return lpips_state_dict(net, to_numpy({k: v for k, v in backbone.items() if k.startswith("features.")}),
                            to_numpy(heads))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python training/convert_lpips.py", description=__doc__.split("\n")[0])
    parser.add_argument("--net", choices=("alex", "vgg"), default="alex")
    parser.add_argument("--out", required=True, help="output .npz")
    parser.add_argument("--backbone", help="torchvision checkpoint (.pth) of AlexNet / VGG16")
    parser.add_argument("--heads", help="official LPIPS linear heads (.pth), e.g. weights/v0.1/alex.pth")
    args = parser.parse_args(argv)
    try:
        if args.backbone or args.heads:
            if not (args.backbone and args.heads):
                raise ValueError("give both --backbone and --heads (or neither, to use the lpips package)")
            for path in (args.backbone, args.heads):
                if not Path(path).is_file():
                    raise FileNotFoundError(f"checkpoint not found: {path}")
            state = from_checkpoints(args.net, args.backbone, args.heads)
        else:
            state = from_lpips_package(args.net)
    except ImportError as error:
        print(f"convert_lpips.py: error: needs PyTorch ({error.name} is not installed): "
              f"pip install torch torchvision lpips", file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError) as error:
        print(f"convert_lpips.py: error: {error}", file=sys.stderr)
        return 2
    np.savez(args.out, **state)
    print(f"wrote {args.out}: {len(state)} arrays for LPIPS v0.1 {args.net}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
