"""training/evaluate.py: the label protocol on the shipped digits models, the image and text
protocols on tiny real Keras generators, the CLI's outputs and errors."""
import json
import shutil
import zlib
from pathlib import Path

import keras
import numpy as np
import pytest

from zoo.training import evaluate, evaluation
from zoo.training.evaluation import ConditionProtocol, evaluate_models, format_table, markdown_table
from zoo.paths import find_weights
from zoo.metrics import KerasFeatures
from zoo.metrics.lpips import DEFAULT_WEIGHTS, LPIPS
from zoo.sampling import to_uint8

SHIPPED = {name: find_weights(name) for name in ("msgan_dcgan_digits", "dcgan_digits")}
needs_shipped = pytest.mark.skipif(None in SHIPPED.values() or not evaluation.DIGITS_CLASSIFIER.is_file(),
                                   reason="shipped digits models or digits classifier absent")
TINY_LABEL = ["--preset", "label", "--samples-per-class", "60", "--k", "5"]


@pytest.fixture(scope="module")
def shipped_copies(tmp_path_factory):
    """Copies of the shipped model directories, so card writing never touches the real cards."""
    root = tmp_path_factory.mktemp("models")
    return {name: shutil.copytree(path, root / name) for name, path in SHIPPED.items() if path is not None}


@needs_shipped
def test_label_protocol_end_to_end_ms_is_more_diverse(tmp_path, shipped_copies, capsys):
    ms, baseline = str(shipped_copies["msgan_dcgan_digits"]), str(shipped_copies["dcgan_digits"])
    status = evaluate.main(TINY_LABEL + ["--model", ms, "--baseline", baseline, "--json", str(tmp_path / "r.json"),
                                         "--plot-dir", str(tmp_path / "plots"), "--write-cards"])
    assert status == 0
    report = json.loads((tmp_path / "r.json").read_text())
    ms_metrics, base_metrics = report["models"][ms]["metrics"], report["models"][baseline]["metrics"]
    for metrics in (ms_metrics, base_metrics):
        # Grayscale digits: the colour split of L1, no saturation.
        assert set(metrics) == {"fid", "kid", "ndb_ratio", "ndb", "jsd", "l1_diversity", "colour_l1", "residual_l1"}
        assert metrics["fid"] > 0 and 0 <= metrics["ndb_ratio"] <= 1 and 0 <= metrics["jsd"] <= np.log(2)
        assert 0 < metrics["colour_l1"] < metrics["l1_diversity"] < metrics["colour_l1"] + metrics["residual_l1"]
    # The training images' own diversity: the level to compare with, one row per class.
    reference = report["reference"]
    assert set(reference["metrics"]) == {"l1_diversity", "colour_l1", "residual_l1"}
    assert len(reference["per_condition"]) == 10 and reference["metrics"]["l1_diversity"] > 0.1
    # The point of the paper: the MS model's samples of one class differ more.
    assert ms_metrics["l1_diversity"] > base_metrics["l1_diversity"]
    assert len(report["models"][ms]["per_condition"]) == 10
    assert report["protocol"]["k"] == 5 and report["protocol"]["samples_per_class"] == 60
    assert "FID-digits" in report["protocol"]["features"]
    out = capsys.readouterr().out
    assert "K=5" in out and "60 generated" in out and "machine:" in out and "n_init" in out
    # Each progress bar is named: the reference pass, then one line per model before its scoring.
    assert "reference: " in out and "10 classes" in out
    assert out.index(f"scoring {baseline}") < out.index(f"scoring {ms}") < out.index("machine:")
    # Model directories are named by the directory alone in the tables (the JSON keeps the paths).
    header = next(line for line in out.splitlines() if line.startswith("metric (protocol)"))
    assert header.split(" | ")[1:] == ["dcgan_digits", "msgan_dcgan_digits", "training images"]
    assert len(list((tmp_path / "plots").glob("ndb_class_*.png"))) == 10
    assert len(list((tmp_path / "plots").glob("ndb_centers_class_*.png"))) == 10
    card = (Path(ms) / "README.md").read_text()
    assert "<!-- metrics:start -->" in card and "<!-- diversity:start -->" in card
    assert "--samples-per-class 60" in card and f"{ms_metrics['l1_diversity']:.4f}" in card
    # Per class: a row for every digit, each metric for both models (short names), the values of the report.
    zero = report["models"][ms]["per_condition"][0]
    assert "| class | FID `dcgan_digits` | FID `msgan_dcgan_digits` |" in card
    row = next(line for line in card.splitlines() if line.startswith(f"| {zero['class']} |"))
    assert f"{zero['fid']:.4f}" in row and f"{zero['jsd']:.4f}" in row
    header = next(line for line in card.splitlines() if line.startswith("| class |"))
    # FID, NDB, JSD, L1 for two models, L1 of the training images (no LPIPS or saturation on 8x8 digits)
    assert header.count("|") == 2 + 4 * 2 + 1 and "L1 div. train" in header
    metric_header = next(line for line in card.splitlines() if line.startswith("| metric (protocol) |"))
    assert metric_header.endswith("| training images |")
    l1_row = next(line for line in card.splitlines() if line.startswith("| L1 diversity"))
    assert l1_row.endswith(f"| {reference['metrics']['l1_diversity']:.4f} |")
    assert next(line for line in card.splitlines() if line.startswith("| FID")).endswith("| - |")
    assert sum(line.startswith("| ") and line.count("|") == header.count("|") for line in card.splitlines()) == 11


@needs_shipped
def test_label_protocol_is_deterministic():
    sampler = evaluation.load_model("dcgan_digits")
    args = evaluate.parse_args(TINY_LABEL + ["--samples-per-class", "30", "--features", "none", "--ndb-n-init", "3"])
    protocol = evaluation.build_protocol(args, sampler)
    assert protocol.n_init == 3 and "n_init 3" in protocol.describe()["rows"]["ndb_ratio"]
    first = evaluate_models(protocol, {"m": sampler})
    second = evaluate_models(evaluation.build_protocol(args, sampler), {"m": sampler})
    assert first["models"]["m"]["metrics"] == second["models"]["m"]["metrics"]
    assert "fid" not in first["models"]["m"]["metrics"]


@needs_shipped
def test_cli_errors_are_one_line(capsys):
    assert evaluate.main(TINY_LABEL + ["--k", "500"]) == 2
    assert "K=500" in capsys.readouterr().err
    assert evaluate.main(TINY_LABEL + ["--model", "no_such_model"]) == 2
    assert "unknown model" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        evaluate.parse_args(["--samples-per-class", "0"])
    with pytest.raises(SystemExit):
        evaluate.parse_args(["--ndb-n-init", "0"])
    assert "--ndb-n-init must be >= 1" in capsys.readouterr().err
    assert evaluate.main(["--preset", "image", "--model", "msgan_dcgan_digits"]) == 2
    assert "--data-dir" in capsys.readouterr().err


class TinySampler:
    """A real tiny Keras generator behind the zoo's ``sample(condition, num_samples, seed)``.

    ``condition`` is a uint8 image (image task) or a sentence (text task, embedded by a hash);
    ``noise_scale = 0`` makes a mode-collapsed twin that ignores z.
    """

    def __init__(self, noise_scale=3.0, size=32, nz=4):
        self.size, self.nz = size, nz
        condition = keras.Input((size, size, 3))
        z = keras.Input((nz,))
        noise = keras.layers.Dense(size * size * 3, kernel_initializer=keras.initializers.RandomNormal(seed=1))(z)
        noise = keras.layers.Reshape((size, size, 3))(noise)
        mixed = keras.layers.Add()([condition, keras.layers.Rescaling(noise_scale)(noise)])
        image = keras.layers.Conv2D(3, 3, padding="same", activation="tanh",
                                    kernel_initializer=keras.initializers.RandomNormal(stddev=0.3, seed=2))(mixed)
        self.generator = keras.Model([condition, z], image)

    def condition_image(self, condition):
        if isinstance(condition, str):
            rng = np.random.default_rng(zlib.crc32(condition.encode()))
            return rng.uniform(-1, 1, (self.size, self.size, 3)).astype(np.float32)
        return np.asarray(condition, np.float32) / 127.5 - 1

    def sample(self, condition, num_samples, seed=None):
        z = np.random.default_rng(seed).standard_normal((num_samples, self.nz)).astype(np.float32)
        images = np.repeat(self.condition_image(condition)[None], num_samples, axis=0)
        return to_uint8(self.generator([images, z], training=False))


def tiny_features():
    inputs = keras.Input((32, 32, 3))
    pooled = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(6, 5, strides=4, name="conv")(inputs))
    return KerasFeatures(keras.Model(inputs, pooled), name="tiny test features")


@pytest.fixture(scope="module")
def lpips_metric():
    if not DEFAULT_WEIGHTS["alex"].is_file():
        pytest.skip("shipped LPIPS weights (saved_models/lpips_alex_v0.1/weights.npz) absent")
    return LPIPS("alex")


@pytest.mark.parametrize("preset", ["image", "text"])
def test_condition_protocols_end_to_end(preset, lpips_metric, tmp_path):
    rng = np.random.default_rng(0)
    real = rng.integers(0, 256, (24, 32, 32, 3), dtype=np.uint8)
    conditions = (list(rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)) if preset == "image"
                  else ["a small red bird", "a yellow bird with black wings", "a blue bird"])
    protocol = ConditionProtocol(preset, conditions, real, tiny_features(), lpips_metric,
                                 samples_per_condition=4, lpips_pairs=3, k=4, seed=0)
    report = evaluate_models(protocol, {"collapsed": TinySampler(noise_scale=0.0), "diverse": TinySampler()})
    collapsed, diverse = report["models"]["collapsed"]["metrics"], report["models"]["diverse"]["metrics"]
    assert set(diverse) == {"fid", "kid", "lpips", "ndb_ratio", "ndb", "jsd", "l1_diversity", "colour_l1",
                            "residual_l1", "saturation"}
    assert collapsed["lpips"] == 0 and collapsed["l1_diversity"] == collapsed["colour_l1"] == 0
    # One target per input: no real within-condition diversity, only the training images' saturation.
    assert report["reference"]["metrics"] == {"saturation": pytest.approx(np.std(real / 127.5 - 1, axis=-1).mean())}
    assert "training images" in report["protocol"]["reference"]
    assert diverse["lpips"] > 0.001 and diverse["l1_diversity"] > 0.01
    assert all(np.isfinite(v) for v in diverse.values())
    assert len(report["models"]["diverse"]["per_condition"]["lpips"]) == 3
    rows = report["protocol"]["rows"]
    assert "3 " + preset in rows["fid"] and "K=4" in rows["ndb_ratio"] and "3 random pairs" in rows["lpips"]
    table = format_table(report)
    assert "collapsed" in table and f"{diverse['lpips']:.4f}" in table and "training images" in table
    assert markdown_table(report).splitlines()[-1].endswith(f"| {report['reference']['metrics']['saturation']:.4f} |")
    assert markdown_table(report).count("\n") == len(rows) + 1
    evaluation.write_plots(report, protocol, tmp_path)
    assert (tmp_path / "ndb.png").is_file()


def test_condition_protocol_rejects_too_many_bins():
    with pytest.raises(ValueError, match="K=50"):
        ConditionProtocol("image", [np.zeros((32, 32, 3), np.uint8)], np.zeros((10, 32, 32, 3), np.uint8), k=50)


class TinyLabelSampler:
    """The label task's ``sample(class_id, n, seed)`` on :class:`TinySampler` (a class = a fixed input)."""

    def __init__(self, noise_scale=3.0):
        self.inner = TinySampler(noise_scale=noise_scale)

    def sample(self, class_id, num_samples, seed=None):
        return self.inner.sample(f"class {class_id}", num_samples, seed)


def test_label_protocol_lpips_ranks_a_collapsed_sampler_below_a_diverse_one(lpips_metric):
    rng = np.random.default_rng(0)
    real = rng.integers(0, 256, (24, 32, 32, 3), dtype=np.uint8)
    labels = np.repeat(np.arange(3), 8)
    protocol = evaluation.LabelProtocol(real, labels, ["a", "b", "c"], tiny_features(), samples_per_class=6, k=3,
                                      diversity_samples=6, lpips=lpips_metric, lpips_pairs=4)
    report = evaluate_models(protocol, {"collapsed": TinyLabelSampler(0.0), "diverse": TinyLabelSampler()})
    collapsed, diverse = report["models"]["collapsed"]["metrics"], report["models"]["diverse"]["metrics"]
    assert set(diverse) == {"fid", "kid", "lpips", "ndb_ratio", "ndb", "jsd", "l1_diversity", "colour_l1",
                            "residual_l1", "saturation"}
    # The real images' LPIPS diversity, per class on the protocol's pairs: uniform noise is far apart.
    real_lpips = [row["lpips"] for row in report["reference"]["per_condition"]]
    assert len(real_lpips) == 3 and min(real_lpips) > 0.01
    assert "training images" in format_table(report) and "LPIPS train" in evaluation.per_class_markdown(report)
    # Same image for every z: LPIPS 0 up to float round-off (identical pairs), far below the diverse sampler.
    assert collapsed["lpips"] < 1e-6 and diverse["lpips"] > 0.001 and collapsed["l1_diversity"] == 0
    per_class = [row["lpips"] for row in report["models"]["diverse"]["per_condition"]]
    assert len(per_class) == 3 and diverse["lpips"] == pytest.approx(np.mean(per_class))
    row = report["protocol"]["rows"]["lpips"]
    assert "4 random pairs" in row and "own 32x32 size" in row and "mean of 3 classes" in row and "alex" in row
    assert f"{diverse['lpips']:.4f}" in markdown_table(report)
    # Fixed seeds: the same numbers again.
    again = evaluate_models(protocol, {"diverse": TinyLabelSampler()})
    assert again["models"]["diverse"]["metrics"]["lpips"] == diverse["lpips"]


def test_label_lpips_is_off_for_small_grayscale_and_a_clear_error_when_forced(lpips_metric):
    assert evaluation.make_lpips("auto", image_shape=(8, 8, 1)) is None  # the 8x8 digits
    assert evaluation.make_lpips("none", image_shape=(32, 32, 3)) is None
    assert evaluation.make_lpips("auto", image_shape=(32, 32, 3)).net == "alex"
    digits = np.zeros((20, 8, 8, 1), np.uint8)
    with pytest.raises(ValueError, match="--lpips-net none"):
        evaluation.LabelProtocol(digits, np.repeat(np.arange(2), 10), ["0", "1"], k=2, lpips=lpips_metric)
    args = evaluate.parse_args(["--preset", "label"])
    assert args.lpips_net == "auto" and args.lpips_pairs == 50


def test_label_data_limit_keeps_every_class(tmp_path):
    from PIL import Image

    from zoo.dcgan import DCGANConfig

    for c, name in enumerate(("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")):
        (tmp_path / "train" / name).mkdir(parents=True)
        for i in range(5):
            Image.fromarray(np.full((32, 32, 3), 20 * c, np.uint8)).save(tmp_path / "train" / name / f"{i}.png")
    config = DCGANConfig(dataset="cifar10")
    images, labels = evaluation.label_data(config, tmp_path, limit=30, seed=0)
    assert images.shape == (30, 32, 32, 3) and images.dtype == np.uint8
    # A folder tree lists class by class: the first 30 would be 6 classes, a seeded subset has (nearly) all.
    assert len(np.unique(labels)) >= 9
    np.testing.assert_array_equal(images[:, 0, 0, 0] // 20, labels)


def write_cifar_tree(root, per_class=6):
    from PIL import Image

    from zoo.dcgan import CIFAR10_CLASSES

    rng = np.random.default_rng(0)
    for name in CIFAR10_CLASSES:
        (root / "train" / name).mkdir(parents=True)
        for i in range(per_class):
            Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(root / "train" / name / f"{i}.png")
    return root


def test_label_cli_wiring_on_cifar10_turns_lpips_on(tmp_path):
    import zoo

    sampler = zoo.load("dcgan_cifar10", weights=None)  # untrained: the wiring, not the scores, is under test
    data = write_cifar_tree(tmp_path)
    args = evaluate.parse_args(["--preset", "label", "--model", "dcgan_cifar10", "--data-dir", str(data),
                                "--features", "none", "--samples-per-class", "4", "--k", "2", "--lpips-pairs", "3"])
    protocol = evaluation.build_protocol(args, sampler)
    assert protocol.lpips is not None and protocol.lpips.net == "alex"
    report = evaluate_models(protocol, {"untrained": sampler})
    assert np.isfinite(report["models"]["untrained"]["metrics"]["lpips"])
    assert report["protocol"]["lpips_pairs"] == 3 and "paper 50" in evaluation.paper_deviations(report["protocol"])
    none = evaluation.build_protocol(evaluate.parse_args(["--data-dir", str(data), "--features", "none", "--k", "2",
                                                        "--samples-per-class", "4", "--lpips-net", "none"]), sampler)
    assert none.lpips is None and "lpips" not in none.describe()["rows"]


def test_feature_names_resolve_to_extractors():
    assert evaluation.feature_spec("auto", "digits") == "digits"
    assert evaluation.feature_spec("auto", "maps") == "inception"
    assert evaluation.make_features("none") is None
    alexnet = evaluation.make_features("alexnet", "maps")
    assert alexnet.name.startswith("FID-AlexNet") and alexnet(np.zeros((2, 64, 64, 3), np.uint8)).shape == (2, 256)


def test_shapes_models_are_scored_on_the_shipped_shapes_classifier_features():
    assert evaluation.feature_spec("auto", "shapes") == "shapes"
    features = evaluation.make_features("auto", "shapes")
    assert features.name.startswith("FID-shapes")
    pictures = np.random.default_rng(0).integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    out = features(pictures)
    assert out.shape == (3, 128) and np.isfinite(out).all() and np.ptp(out, axis=0).max() > 0


def test_tables_name_models_by_directory_unless_two_would_clash():
    def report(names):
        results = {"metrics": {"jsd": 0.5}, "per_condition": []}
        return {"protocol": {"preset": "image", "rows": {"jsd": "JSD"}}, "models": {n: results for n in names}}

    assert [n for n, _ in evaluation.table_columns(report(["runs/a/m1", "m2"]))] == ["m1", "m2"]
    assert markdown_table(report(["runs/a/m1"])).startswith("| metric (protocol) | `m1` |")
    clash = ["runs/epoch18/m", "runs/final/m"]
    assert [n for n, _ in evaluation.table_columns(report(clash))] == clash
