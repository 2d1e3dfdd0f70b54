"""Export: SavedModel (TF Serving layout), ONNX, the NumPy-only sampler, parity, bad input."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import zoo
from zoo.export.__main__ import main as export_main
from zoo.export.onnx_sampler import OnnxSampler
from zoo.export.parity import parity, parity_inputs
from zoo.dcgan import DCGANConfig, build_generator
from zoo.paths import PACKAGE_MODELS
from zoo.model_dir import save_generator
from zoo.paths import GENERATOR_WEIGHTS

TOLERANCE = 1e-4
NAME = "msgan_dcgan_digits"
TINY = DCGANConfig(name=NAME, dataset="digits", image_size=8, channels=1, d=8,
                   class_names=tuple(str(i) for i in range(10)))
SHIPPED = sorted(p.name for p in PACKAGE_MODELS.glob("*")
                 if (p / GENERATOR_WEIGHTS).is_file() and (p / "config.json").is_file())
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def run_python(code, cwd):
    """Run ``code`` in a fresh interpreter; its stdout (failing the test with stderr)."""
    result = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=ENV, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A tiny digits generator with non-trivial batch norm statistics and biases, saved."""
    import keras

    keras.utils.set_random_seed(0)
    generator = build_generator(TINY)
    rng = np.random.default_rng(1)
    for variable in generator.weights:
        if variable.path.endswith(("moving_variance", "gamma")):
            variable.assign(rng.uniform(0.5, 1.5, variable.shape).astype(np.float32))
        elif variable.path.endswith(("moving_mean", "beta", "bias")):
            variable.assign(rng.normal(0, 0.2, variable.shape).astype(np.float32))
    directory = tmp_path_factory.mktemp("tiny") / NAME
    save_generator(generator, TINY, directory)
    return directory


@pytest.fixture(scope="module")
def exported(tiny_model, tmp_path_factory):
    out = tmp_path_factory.mktemp("exported")
    written = export_main([str(tiny_model), "--format", "all", "--out", str(out)])
    return out, written["savedmodel"], written["onnx"]


def test_layout_signatures_and_metadata(exported):
    import onnx

    out, savedmodel, onnx_file = exported
    assert savedmodel == out / NAME / "1" and (savedmodel / "saved_model.pb").is_file()
    assert onnx_file == out / f"{NAME}.onnx"
    assert sorted(p.name for p in out.iterdir()) == [NAME, f"{NAME}.onnx"]  # no temp leftovers
    assert json.loads((savedmodel / "assets.extra" / "msgan_zoo.json").read_text())["model_name"] == NAME
    model = onnx.load(str(onnx_file))
    assert model.opset_import[0].version >= 17
    assert [i.name for i in model.graph.input] == ["condition", "z"]
    assert [o.name for o in model.graph.output] == ["image"]
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 0  # dynamic batch
    props = {p.key: p.value for p in model.metadata_props}
    assert props["model_name"] == NAME and props["nz"] == "100" and props["value_range"] == "[-1, 1]"
    assert json.loads(props["config"])["d"] == 8
    assert props["condition_broadcast"] == "false"  # a one-hot label is concatenated to z
    # Batch norm is folded into the transposed convolutions: no per-channel Mul/Add is left
    # (the only Adds are the biases of tiny convolutions rewritten as matmuls).
    assert not {"Mul", "BatchNormalization"} & {node.op_type for node in model.graph.node}
    producers = {out: node.op_type for node in model.graph.node for out in node.output}
    assert all(producers.get(node.input[0]) == "MatMul" for node in model.graph.node if node.op_type == "Add")


def test_parity_tiny_model(tiny_model, exported):
    _, savedmodel, onnx_file = exported
    differences = parity(zoo.load(str(tiny_model)), savedmodel, onnx_file, batch=7)
    assert len(differences) == 3
    assert max(differences.values()) < TOLERANCE, differences


@pytest.mark.parametrize("name", SHIPPED)
def test_parity_every_shipped_model(name, tmp_path):
    sampler = zoo.load(name)
    written = export_main([name, "--format", "all", "--out", str(tmp_path)])
    differences = parity(sampler, written["savedmodel"], written["onnx"], batch=16, seed=1)
    assert max(differences.values()) < TOLERANCE, differences
    if hasattr(sampler, "class_names"):
        condition = [sampler.class_names[3], 0]
    elif getattr(sampler, "tokenizer", None) is not None:  # a text model with its caption encoder: raw captions
        condition = ["a big green triangle", "two small red circles on the left"]
    else:  # an image model: two uint8 input images of the model's size
        shape = tuple(sampler.generator.inputs[0].shape[1:])
        condition = np.random.default_rng(2).integers(0, 256, (2, *shape), dtype=np.uint8)
    ours = OnnxSampler(written["onnx"]).sample(condition, 6, seed=11)
    theirs = sampler.sample(condition, 6, seed=11)
    assert np.abs(ours.astype(int) - theirs).max() <= 1  # uint8 rounding of a ~1e-7 difference
    assert np.mean(ours == theirs) > 0.999


def test_savedmodel_in_a_fresh_process_with_tensorflow_alone(exported, tiny_model, tmp_path):
    _, savedmodel, _ = exported
    condition, z = parity_inputs(zoo.load(str(tiny_model)), batch=3)
    np.save(tmp_path / "c.npy", condition), np.save(tmp_path / "z.npy", z)
    code = f"""
import sys, numpy as np, tensorflow as tf
model = tf.saved_model.load({str(savedmodel)!r})
c, z = np.load("c.npy"), np.load("z.npy")
np.save("image.npy", model.signatures["serving_default"](condition=tf.constant(c), z=tf.constant(z))["image"].numpy())
sample = model.signatures["sample"]
a = sample(condition=tf.constant(c[:2]), num_samples=tf.constant(5), seed=tf.constant(7, tf.int64))
b = sample(condition=tf.constant(c[:2]), num_samples=tf.constant(5), seed=tf.constant(7, tf.int64))
d = sample(condition=tf.constant(c[:2]), num_samples=tf.constant(5), seed=tf.constant(8, tf.int64))
print(tuple(a["image"].shape), tuple(a["z"].shape))
print(np.array_equal(a["image"], b["image"]), np.array_equal(a["image"], d["image"]))
print(len({{tuple(np.asarray(row).ravel()) for row in a["image"][0]}}))
try:
    sample(condition=tf.constant(c[:1]), num_samples=tf.constant(0), seed=tf.constant(1, tf.int64))
    print("no error")
except tf.errors.InvalidArgumentError as error:
    print("num_samples must be >= 1" in error.message)
print(sorted(m for m in sys.modules if m.split(".")[0] in ("zoo", "export", "training")))
"""
    lines = run_python(code, tmp_path).splitlines()
    assert lines[0] == "(2, 5, 8, 8, 1) (2, 5, 100)"
    assert lines[1] == "True False"  # same seed same samples, another seed others
    assert lines[2] == "5"  # five different samples for one condition
    assert lines[3] == "True"
    assert lines[4] == "[]"
    expected = np.asarray(zoo.load(str(tiny_model)).generate(condition, z))
    assert np.abs(np.load(tmp_path / "image.npy") - expected).max() < TOLERANCE


def test_saved_model_cli_show_and_run(exported, tiny_model, tmp_path):
    _, savedmodel, _ = exported
    show = subprocess.run(["saved_model_cli", "show", "--all", "--dir", str(savedmodel)],
                          env=ENV, capture_output=True, text=True, timeout=300)
    assert show.returncode == 0, show.stderr[-2000:]
    for text in ("signature_def['serving_default']", "signature_def['sample']", "inputs['condition']",
                 "inputs['z']", "inputs['num_samples']", "inputs['seed']", "outputs['image']", "shape: (-1, 10)"):
        assert text in show.stdout
    condition, z = parity_inputs(zoo.load(str(tiny_model)), batch=4, seed=5)
    np.save(tmp_path / "c.npy", condition), np.save(tmp_path / "z.npy", z)
    run = subprocess.run(["saved_model_cli", "run", "--dir", str(savedmodel), "--tag_set", "serve",
                          "--signature_def", "serving_default", "--inputs",
                          f"condition={tmp_path / 'c.npy'};z={tmp_path / 'z.npy'}", "--outdir", str(tmp_path / "o")],
                         env=ENV, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    expected = zoo.load(str(tiny_model)).generate(condition, z)
    assert np.abs(np.load(tmp_path / "o" / "image.npy") - expected).max() < TOLERANCE


def test_onnx_sampler_needs_no_tensorflow_and_matches_zoo_load(exported, tiny_model, tmp_path):
    _, _, onnx_file = exported
    code = f"""
import sys, numpy as np
from zoo.export.onnx_sampler import OnnxSampler
sampler = OnnxSampler({str(onnx_file)!r})
np.save("one.npy", sampler.sample("7", 9, seed=123))
np.save("many.npy", sampler.sample([0, 5, 9], 4, seed=5))
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "tf2onnx"))
heavy += sorted(m for m in sys.modules if m.startswith("zoo.") and m not in (
    "zoo.captions", "zoo.conditions", "zoo.lazy", "zoo.export", "zoo.export.onnx_sampler"))
print(heavy)
"""
    assert run_python(code, tmp_path).strip() == "[]"
    reference = zoo.load(str(tiny_model))
    for file, expected in (("one.npy", reference.sample("7", 9, seed=123)),
                           ("many.npy", reference.sample([0, 5, 9], 4, seed=5))):
        ours = np.load(tmp_path / file)
        assert ours.shape == expected.shape and ours.dtype == np.uint8
        assert np.abs(ours.astype(int) - expected).max() <= 1 and np.mean(ours == expected) > 0.999
    sampler = OnnxSampler(onnx_file)
    np.testing.assert_array_equal(sampler.noise(6, seed=4), reference.noise(6, seed=4))


def test_onnx_sampler_bad_inputs(exported, tmp_path):
    _, _, onnx_file = exported
    sampler = OnnxSampler(onnx_file)
    z = np.zeros((2, 100), np.float32)
    cases = [
        (lambda: sampler.sample(10, 2), ValueError, "out of range"),
        (lambda: sampler.sample("ten", 2), ValueError, "unknown class name"),
        (lambda: sampler.sample(2.5, 2), TypeError, "int id or a str name"),
        (lambda: sampler.sample(1, 0), ValueError, "num_samples must be an integer >= 1"),
        (lambda: sampler.generate(np.zeros((2, 9)), z), ValueError, r"shape \(N, 10\)"),
        (lambda: sampler.generate(np.full((2, 10), -1.0), z), ValueError, r"values must lie in \[0, 1\]"),
        (lambda: sampler.generate(np.zeros((2, 10)), z[:1]), ValueError, "differ in batch size"),
        (lambda: OnnxSampler(tmp_path / "missing.onnx"), FileNotFoundError, "ONNX model not found"),
    ]
    (tmp_path / "broken.onnx").write_bytes(b"garbage")
    cases.append((lambda: OnnxSampler(tmp_path / "broken.onnx"), ValueError, "cannot load ONNX model"))
    for call, error_type, message in cases:
        with pytest.raises(error_type, match=message) as error:
            call()
        assert "\n" not in str(error.value)


def cli_error(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        export_main(argv)
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def snapshot(directory):
    return {p: p.read_bytes() for p in sorted(Path(directory).rglob("*")) if p.is_file()}


def test_existing_export_is_refused_and_kept(exported, tiny_model, capsys):
    out, _, _ = exported
    before = snapshot(out)
    for fmt in ("savedmodel", "onnx", "all"):
        message = cli_error([str(tiny_model), "--format", fmt, "--out", str(out)], capsys)
        assert "already exists: pass --overwrite" in message
    assert snapshot(out) == before


def test_overwrite_replaces_atomically_and_a_failed_export_leaves_nothing(tiny_model, tmp_path, monkeypatch):
    out = tmp_path / "out"
    export_main([str(tiny_model), "--format", "onnx", "--out", str(out)])
    first = (out / f"{NAME}.onnx").read_bytes()
    export_main([str(tiny_model), "--format", "onnx", "--out", str(out), "--overwrite", "--version", "2"])
    assert (out / f"{NAME}.onnx").read_bytes() != first  # version 2 in the metadata
    assert sorted(p.name for p in out.iterdir()) == [f"{NAME}.onnx"]

    def broken_write_out(self, path, **kwargs):
        Path(path, "half_written.pb").write_text("x")
        raise RuntimeError("disk full")

    import keras

    # ExportArchive() returns the backend's archive class: patch that one.
    monkeypatch.setattr(type(keras.export.ExportArchive()), "write_out", broken_write_out)
    with pytest.raises(RuntimeError, match="disk full"):
        export_main([str(tiny_model), "--format", "savedmodel", "--out", str(out), "--version", "3"])
    assert sorted(p.name for p in (out / NAME).iterdir()) == []  # no version 3, no temp dir
    assert (out / f"{NAME}.onnx").is_file()


def test_cli_bad_model_inputs(tiny_model, tmp_path, capsys):
    assert "unknown model 'msgan_dcgan_digit'" in cli_error(["msgan_dcgan_digit", "--out", str(tmp_path)], capsys)
    no_weights = cli_error(["msgan_drit_cat2dog", "--out", str(tmp_path)], capsys)
    assert "no weights for msgan_drit_cat2dog" in no_weights and "python -m zoo.convert" in no_weights
    assert "--version must be >= 1" in cli_error([str(tiny_model), "--out", str(tmp_path), "--version", "0"], capsys)
    corrupted = tmp_path / "corrupted"
    corrupted.mkdir()
    (corrupted / "config.json").write_bytes((tiny_model / "config.json").read_bytes())
    (corrupted / GENERATOR_WEIGHTS).write_bytes((tiny_model / GENERATOR_WEIGHTS).read_bytes()[:5000])
    message = cli_error([str(corrupted), "--out", str(tmp_path / "out")], capsys)
    assert "cannot read generator weights" in message
    assert not (tmp_path / "out").exists()


def test_write_card_records_export_and_parity(tiny_model, tmp_path, monkeypatch):
    import shutil

    home = tmp_path / "home"
    shutil.copytree(tiny_model, home / NAME)
    (home / NAME / "README.md").write_text("# card\n\n<!-- export:start -->\nold\n<!-- export:end -->\n")
    monkeypatch.setenv("MSGAN_ZOO_HOME", str(home))
    export_main([NAME, "--format", "all", "--out", str(tmp_path / "out"), "--write-card"])
    card = (home / NAME / "README.md").read_text()
    assert card.count("<!-- export:start -->") == 1 and "old" not in card
    assert "tensorflow/serving" in card and f"python -m zoo.export {NAME} --format all" in card
    values = [float(line.split("|")[2]) for line in card.splitlines() if line.startswith("| keras vs")]
    assert len(values) == 2 and max(values) < TOLERANCE


def test_image_conditioned_model_exports_with_parity(tmp_path):
    """A tiny Pix2Pix U-Net (z at every block, instance norm) through both exports."""
    from zoo.registry import FAMILIES, get_config

    if "pix2pix" not in FAMILIES:
        pytest.skip("the pix2pix family is not registered")
    import keras

    config = get_config("msgan_pix2pix_maps").replace(image_size=16, ngf=4)
    keras.utils.set_random_seed(0)
    save_generator(FAMILIES["pix2pix"].build_generator(config), config, tmp_path / "p2p")
    sampler = zoo.load(str(tmp_path / "p2p"))
    written = export_main([str(tmp_path / "p2p"), "--format", "all", "--out", str(tmp_path / "out")])
    differences = parity(sampler, written["savedmodel"], written["onnx"], batch=3)
    assert max(differences.values()) < TOLERANCE, differences
    onnx_sampler = OnnxSampler(written["onnx"])
    assert onnx_sampler.condition_kind == "image"
    # The rewritten U-Net broadcasts one photo over many z: fed once, same outputs as repeated.
    assert onnx_sampler.condition_broadcast
    one = np.random.default_rng(4).uniform(-1, 1, (1, 16, 16, 3)).astype(np.float32)
    z = np.random.default_rng(5).standard_normal((5, config.nz)).astype(np.float32)
    np.testing.assert_allclose(onnx_sampler.generate(one, z), onnx_sampler.generate(np.repeat(one, 5, axis=0), z),
                               atol=1e-6)
    with pytest.raises(ValueError, match="differ in batch size"):
        onnx_sampler.generate(np.repeat(one, 2, axis=0), z)
    photo = np.random.default_rng(3).integers(0, 256, (20, 24, 3), dtype=np.uint8)  # resized in and out
    ours, theirs = onnx_sampler.sample(photo, 4, seed=1), sampler.sample(photo, 4, seed=1)
    assert ours.shape == theirs.shape == (4, 20, 24, 3)
    assert np.abs(ours.astype(int) - theirs).max() <= 1
    with pytest.raises(ValueError, match="must be uint8"):
        onnx_sampler.sample(photo.astype(np.float32), 2)
    with pytest.raises(ValueError, match=r"shape \(H, W, 3\)"):
        onnx_sampler.sample(photo[..., :1], 2)


def test_tf2onnx_optimizer_copies_are_collected_during_conversion():
    """The graph copies tf2onnx's optimizer drops are freed before its next copy, not at exit.

    They are reference cycles; without the collection they piled up to >18 GB for the paper's
    256x256 U-Net. Here: a dropped cycle holding an array is gone after one patched deepcopy.
    """
    import copy
    import gc
    import weakref

    import tf2onnx.optimizer as tf2onnx_optimizer

    from zoo.export.onnx import collected_optimizer_copies

    class Node:
        pass

    assert tf2onnx_optimizer.copy is copy
    was_enabled = gc.isenabled()
    gc.disable()  # only the patched deepcopy may collect
    try:
        with collected_optimizer_copies():
            cycle = Node()
            cycle.self, cycle.weights = cycle, np.zeros(1000)
            gone = weakref.ref(cycle)
            del cycle
            assert gone() is not None  # a cycle: reference counting alone does not free it
            original = {"w": np.arange(3.0)}
            duplicate = tf2onnx_optimizer.copy.deepcopy(original)
            assert gone() is None
            assert duplicate["w"] is not original["w"] and np.array_equal(duplicate["w"], original["w"])
    finally:
        if was_enabled:
            gc.enable()
    assert tf2onnx_optimizer.copy is copy
