"""``python -m zoo.export NAME_OR_DIR --format savedmodel|onnx|all --out DIR``.

Writes ``DIR/<name>/<version>/`` (SavedModel, TF Serving layout) and/or ``DIR/<name>.onnx``,
each atomically; an existing target is refused unless ``--overwrite``. With ``--check`` it
then compares Keras (``zoo.load(...).generate``), the SavedModel and ONNX Runtime on random
(condition, z, ...) batches. ``--direction b2a`` exports a DRIT model's other translation as
``NAME_b2a`` (one direction per export: :mod:`zoo.drit.serving` says why).
"""
import argparse
import os
import shlex
import sys

import zoo
from zoo.export.atomic import ExportExistsError
from zoo.export.graph import export_graph
from zoo.export.onnx import export_onnx, onnx_path
from zoo.export.parity import parity
from zoo.export.savedmodel import export_savedmodel, savedmodel_dir
from zoo.cards import CARD_FILE, model_directory, replace_section
from zoo.machine import machine_line

FORMATS = ("savedmodel", "onnx", "all")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m zoo.export", description="Export a zoo generator as a SavedModel (TF Serving) and/or ONNX.")
    parser.add_argument("model", help="zoo name (weights from $MSGAN_ZOO_HOME or saved_models/) or a model directory")
    parser.add_argument("--format", choices=FORMATS, default="all", help="what to write (default all)")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--direction", choices=("a2b", "b2a"),
                        help="two-way translators (DRIT) only: the direction to export (default the model's); "
                             "another direction than the model's is written as NAME_<direction>")
    parser.add_argument("--version", type=int, default=1, help="TF Serving version folder (default 1)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing exports")
    parser.add_argument("--check", action="store_true",
                        help="after writing, check Keras vs SavedModel vs ONNX Runtime (max abs difference)")
    parser.add_argument("--write-card", action="store_true",
                        help="with --format all: check parity and write it into the model card's export section")
    return parser.parse_args(argv)


def fail(message):
    print(f"python -m zoo.export: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def main(argv=None):
    args = parse_args(argv)
    if args.version < 1:
        fail(f"--version must be >= 1, got {args.version}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before the first TensorFlow import (zoo.load's)
    try:
        sampler = zoo.load(args.model)
    except (KeyError, ValueError, FileNotFoundError) as error:
        fail(error.args[0] if error.args else str(error))
    if args.direction is not None:
        if not hasattr(sampler, "with_direction"):
            fail(f"--direction applies to two-way translators (DRIT); {sampler.config.name} has one direction")
        sampler = sampler.with_direction(args.direction)
    name = sampler.config.name
    formats = ("savedmodel", "onnx") if args.format == "all" else (args.format,)
    # Refuse before any work, so `all` never writes one format and then stops on the other.
    targets = {"savedmodel": savedmodel_dir(args.out, name, args.version), "onnx": onnx_path(args.out, name)}
    for fmt in formats:
        if targets[fmt].exists() and not args.overwrite:
            fail(f"{targets[fmt]} already exists: pass --overwrite to replace it")
    written = {}
    try:
        if "savedmodel" in formats:
            written["savedmodel"] = export_savedmodel(sampler, args.out, args.version, args.overwrite)
            print(f"wrote {written['savedmodel']} (signatures serving_default, sample)")
        if "onnx" in formats:
            written["onnx"] = export_onnx(sampler, args.out, args.overwrite, args.version)
            inputs = ", ".join(["condition", *(noise for noise, _ in export_graph(sampler).noise)])
            print(f"wrote {written['onnx']} (opset 17, inputs {inputs}; output image)")
    except ExportExistsError as error:
        fail(str(error))
    if args.check or args.write_card:
        differences = parity(sampler, written.get("savedmodel"), written.get("onnx"))
        for key, value in differences.items():
            print(f"max abs difference {key}: {value:.3g}")
        if args.write_card:
            _write_card(args, sampler, differences, sys.argv[1:] if argv is None else argv)
    return written


def _write_card(args, sampler, differences, argv):
    """The card's ``export`` section: how to export and serve, and the measured parity."""
    name = sampler.config.name
    directory = model_directory(args.model)
    if directory is None or len(differences) < 3:
        fail("--write-card needs a zoo model with weights here and --format all")
    command = "python -m zoo.export " + " ".join(shlex.quote(a) for a in argv if a != "--overwrite")
    rows = "\n".join(f"| {key} | {value:.2g} |" for key, value in differences.items())
    body = f"""## Export and serving

```bash
python -m zoo.export {name} --format all --out exported/ --check
docker run -p 8501:8501 -v "$PWD/exported/{name}:/models/{name}" -e MODEL_NAME={name} tensorflow/serving
```

`exported/{name}/1/` is a SavedModel with signatures `serving_default` (`condition`, `z` -> `image`
in [-1, 1]) and `sample` (`condition`, `num_samples`, `seed` -> `image`, `z`; noise drawn in the
graph); `exported/{name}.onnx` runs in ONNX Runtime (`zoo.export.onnx_sampler.OnnxSampler`, NumPy only).

Parity on 8 random (condition, z) pairs, max abs difference of the [-1, 1] output:

| outputs | max abs difference |
|---|---|
{rows}

Measured with `{command}` on {machine_line()}."""
    replace_section(directory / CARD_FILE, "export", body)
    print(f"wrote the export section of {directory / CARD_FILE}")


if __name__ == "__main__":
    main()
