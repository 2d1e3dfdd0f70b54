"""``python -m zoo.convert NAME CHECKPOINT --out DIR [--discriminator D.pth] [--overwrite]``.

Converts the authors' PyTorch checkpoint of the zoo model ``NAME`` into a zoo model directory
(``generator.weights.h5``, ``config.json``, a card ``README.md``; with the discriminator also
``discriminator.weights.h5`` and ``checkpoints/`` for ``training/fit.py --resume``). The family of
``NAME`` does the mapping (:mod:`zoo.convert` states the contract). The directory is built in a
temporary folder beside ``DIR``, reloaded the way ``zoo.load`` reads it, and renamed into place:
on any error nothing is written, and the error is one line (exit status 2).
"""
import argparse
import hashlib
import inspect
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

from zoo.convert.torch_checkpoint import checkpoint_format
from zoo.model_dir import load_sampler, read_config
from zoo.registry import OFFICIAL_RELEASE, get_config, get_family, get_spec, spec_names


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m zoo.convert",
        description="Convert the authors' PyTorch checkpoint of a zoo model into a zoo model directory.")
    parser.add_argument("model", help="zoo name, e.g. msgan_dcgan_cifar10, msgan_pix2pix_maps")
    parser.add_argument("checkpoint", help="the official .pth file (00199.pth, 400_net_G.pth, ...)")
    parser.add_argument("--out", required=True, help="model directory to write (must not exist, or be empty)")
    parser.add_argument("--discriminator", help="the official discriminator file where it is separate "
                                                "(Pix2Pix: 400_net_D.pth); adds D and a fit.py --resume checkpoint")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out directory")
    return parser.parse_args(argv)


def fail(message):
    print(f"python -m zoo.convert: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _source_line(role, path):
    path = Path(path)
    return (f"| {role} | `{path.name}` | `{sha256(path)}` | {path.stat().st_size:,} bytes | "
            f"torch {checkpoint_format(path)} format |")


def card(spec, config, sources, command, files, check, directory="DIR"):
    """The model card of a converted directory (markdown); ``directory`` is where it will live."""
    preset = spec.config.to_dict()
    read = {k: v for k, v in config.to_dict().items() if preset.get(k) != v}
    lines = [
        f"# {spec.name}: the authors' weights, converted",
        "",
        f"{spec.task}, {spec.data}. {spec.paper}.",
        "",
        "## Source",
        "",
        "| role | file | sha256 | size | format |",
        "|---|---|---|---|---|",
        *[_source_line(role, path) for role, path in sources],
        "",
        f"Published by the authors as `{spec.official_checkpoint}`: {OFFICIAL_RELEASE}.",
        "",
        f"Converted with `{command}` (no PyTorch: the files were read with the restricted unpickler "
        "of `zoo.convert.torch_checkpoint`, which runs no code from them).",
        "",
        "Config values read from the checkpoint (differing from the zoo preset): "
        + (", ".join(f"`{k}={v}`" for k, v in sorted(read.items())) or "none") + ".",
        "",
        "## Files",
        "",
        *[f"- `{name}`: {what}" for name, what in files],
        "",
        "## Use",
        "",
        "```python",
        "import zoo",
        f"sampler = zoo.load({spec.name!r}, weights={str(directory)!r})",
        "```",
        "",
        f"`training/evaluate.py --model {directory}` scores it, `python -m zoo.export {directory} --out EXPORTS` "
        "exports it"
        + (f"; `python training/fit.py --model {spec.name} --data-dir DATA --out {directory} --resume --epochs N"
           f"{_set_options(read)}` fine-tunes it (Adam continues the official state where the file "
           "holds one, e.g. DCGAN's; the fine-tuned weights and card then replace these)."
           if any(name == "checkpoints/" for name, _ in files) else "."),
        "",
        "## Verification",
        "",
        f"- This directory, at conversion time: {check}.",
        "- The mapping: `tests/test_convert.py` converts checkpoints written by the official code "
        "(`../shared/data/official/`, reduced widths, legacy and zip torch formats) and checks our "
        "generator and discriminator against the official outputs (max abs error <= 1e-4) and our "
        "train step against the official losses over three steps (relative error <= 1e-3); "
        "the measured figures are in the README section \"Use the paper's weights\".",
        "",
    ]
    return "\n".join(lines)


def _set_options(changed):
    """``fit.py --set`` options that rebuild the converted config from the zoo preset."""
    return "".join(f" --set {key}={json.dumps(list(value) if isinstance(value, tuple) else value)}"
                   for key, value in sorted(changed.items()))


def _check_directory(directory, config):
    """Reload ``directory`` with the zoo's own loader and run its generator on random inputs.

    Returns a one-line summary for the card; raises ValueError if an output is not finite.
    """
    generator = load_sampler(directory).generator
    inputs = getattr(generator, "inputs", None) or []
    shapes = [(2, *tensor.shape[1:]) for tensor in inputs]
    if not shapes or any(dim is None for shape in shapes for dim in shape):
        return "reloaded as `zoo.load` reads it"
    rng = np.random.default_rng(0)
    outputs = generator([rng.uniform(-1.0, 1.0, shape).astype(np.float32) for shape in shapes], training=False)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    if not all(np.isfinite(np.asarray(output)).all() for output in outputs):
        raise ValueError(f"the converted {config.name} generator gives non-finite outputs")
    return "reloaded as `zoo.load` reads it; its generator gives finite outputs of shape " + ", ".join(
        str(tuple(np.shape(output)[1:])) for output in outputs) + " on random inputs"


def _place(staging, out, overwrite):
    """Move the finished ``staging`` directory to ``out`` (replacing it with ``overwrite``)."""
    if not out.exists():
        os.replace(staging, out)
        return
    if not overwrite and any(out.iterdir()):
        raise ValueError(f"{out} exists and is not empty: pass --overwrite to replace it")
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
    os.replace(out, retired / out.name)
    os.replace(staging, out)
    shutil.rmtree(retired)


def convert(model, checkpoint, out, discriminator=None, overwrite=False, command=None):
    """Convert ``checkpoint`` (and ``discriminator``) into the model directory ``out``; returns ``out``.

    Raises ValueError (one line) for an unknown or unconvertible name, an unreadable or foreign
    checkpoint, a missing tensor or one that fits no layer, or an occupied ``out``; nothing is
    written then.
    """
    spec = get_spec(model)
    base_config = get_config(model)
    family = get_family(base_config.family)
    if not spec.convertible:
        names = ", ".join(n for n in spec_names() if get_spec(n).convertible)
        raise ValueError(f"{model}: no released checkpoint of the authors converts to it (convertible: {names})")
    options = {}
    if discriminator is not None:
        if "discriminator" not in inspect.signature(family.convert_checkpoint).parameters:
            raise ValueError(f"--discriminator: the {family.name} family takes one checkpoint file "
                             f"({spec.official_checkpoint})")
        options["discriminator"] = Path(discriminator)
    sources = [("checkpoint", Path(checkpoint))] + ([("discriminator", options["discriminator"])] if options else [])
    for _, path in sources:
        if not path.is_file():
            raise ValueError(f"checkpoint file not found: {path}")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} exists and is not a directory")
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise ValueError(f"{out} exists and is not empty: pass --overwrite to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.converting.", dir=out.parent))
    try:
        family.convert_checkpoint(base_config, Path(checkpoint), staging, **options)
        config = read_config(staging)  # the card describes what was written
        check = _check_directory(staging, config)
        files = [(name, what) for name, what in FILES if (staging / name.rstrip("/")).exists()]
        command = command or f"python -m zoo.convert {model} {Path(checkpoint).name} --out {out}" + (
            f" --discriminator {Path(discriminator).name}" if discriminator else "")
        (staging / "README.md").write_text(card(spec, config, sources, command, files, check, out))
        _place(staging, out, overwrite)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return out


FILES = (
    ("generator.weights.h5", "the generator (Keras weights; `zoo.load` reads it)"),
    ("config.json", "the model config, widths read from the checkpoint"),
    ("discriminator.weights.h5", "the discriminator (Keras weights)"),
    ("checkpoints/", "G, D and their Adam optimizers (the official moments and step where the file holds "
                     "them, else fresh) at epoch 0, in `training/fit.py`'s checkpoint layout"),
)


def main(argv=None):
    args = parse_args(argv)
    command = "python -m zoo.convert " + " ".join(argv if argv is not None else sys.argv[1:])
    try:
        out = convert(args.model, args.checkpoint, args.out, args.discriminator, args.overwrite, command)
    except (KeyError, ValueError) as error:
        fail(str(error.args[0]) if error.args else type(error).__name__)
    except OSError as error:  # an unwritable --out, a full disk
        fail(f"cannot write {args.out}: {error.strerror or type(error).__name__} ({error.filename})")
    print(f"wrote {out}/ (generator.weights.h5, config.json, README.md"
          + (", discriminator.weights.h5, checkpoints/" if (out / "checkpoints").is_dir() else "") + ")")
    return out


if __name__ == "__main__":
    main()
