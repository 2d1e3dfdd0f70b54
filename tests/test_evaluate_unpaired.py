"""evaluate.py --preset unpaired: tiny DRIT run directories on a tiny two-domain folder tree (JSON keys
and values, console table, cards), the layout-kept ratio on samplers whose answer is known, b2a, and
one-line errors for a bad tree, a non-DRIT model and too many bins."""
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from zoo.drit import DRITConfig, DRITSampler, build_generator
from zoo.model_dir import save_generator
from zoo.registry import get_config, get_family
from zoo.training import evaluate, evaluation
from zoo.training.evaluation import UnpairedProtocol, evaluate_models
from zoo.metrics.lpips import DEFAULT_WEIGHTS, LPIPS

# The smallest DRIT (image_size >= 116); the tree's 32 px files are resized to load_size as for cat2dog.
TINY = dict(image_size=116, load_size=120, content_width=2, attr_width=2, mlp_width=8, dis_width=2)
COUNTS = {"trainA": 4, "trainB": 5, "testA": 4, "testB": 5}
SMALL = ["--preset", "unpaired", "--conditions", "3", "--samples-per-condition", "4", "--lpips-pairs", "3", "--k", "2"]
METRICS = {"fid", "kid", "lpips", "ndb_ratio", "ndb", "jsd", "l1_diversity", "colour_l1", "residual_l1", "saturation",
           "layout_ratio", "layout_own", "layout_other", "lpips_layout_ratio", "lpips_own", "lpips_other"}


def scene(rng, size=32):
    """A uint8 'animal': a bright disc (head) on a darker body at random places, random tint."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    cy, cx, hy, hx = rng.uniform(0.3, 0.7, 4)
    gray = 0.5 * (((yy - cy) / 0.2) ** 2 + ((xx - cx) / 0.3) ** 2 < 1) + 0.8 * ((yy - hy) ** 2 + (xx - hx) ** 2 < 0.02)
    return np.clip(255 * (0.1 + gray[..., None] * rng.uniform(0.4, 1.0, 3)), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("cat2dog")
    rng = np.random.default_rng(0)
    for folder, count in COUNTS.items():
        (root / folder).mkdir()
        for k in range(count):
            Image.fromarray(scene(rng)).save(root / folder / f"{k:02d}.png")
    return root


def lecun(generator, seed):
    """Kernels re-drawn at LeCun scale: at the official N(0, 0.02) init a tiny DRIT's output barely
    depends on its input or code."""
    rng = np.random.default_rng(seed)
    for variable in generator.weights:
        shape = tuple(variable.shape)
        if len(shape) > 1:
            variable.assign(rng.normal(0, 1 / np.sqrt(np.prod(shape[:-1])), shape).astype(np.float32))
    return generator


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two tiny DRIT run directories (config.json + generator.weights.h5, as fit.py publishes), an MS
    model and a baseline with different weights, and a sampler of the same config. One generator is
    built for both (building a DRIT is the slow part here)."""
    root = tmp_path_factory.mktemp("runs")
    config = DRITConfig(name="msgan_drit_tiny", **TINY)
    generator = build_generator(config)
    save_generator(lecun(generator, 0), config, root / "msgan_drit_tiny")
    baseline = config.replace(name="drit_tiny", lambda_ms=0.0)
    save_generator(lecun(generator, 1), baseline, root / "drit_tiny")
    return {"ms": str(root / "msgan_drit_tiny"), "baseline": str(root / "drit_tiny"),
            "sampler": DRITSampler(generator, baseline)}


@pytest.fixture(scope="module")
def lpips_metric():
    if not DEFAULT_WEIGHTS["alex"].is_file():
        pytest.skip("shipped LPIPS weights (saved_models/lpips_alex_v0.1/weights.npz) absent")
    return LPIPS("alex")


def test_cli_scores_two_drit_runs_into_json_table_and_cards(runs, tree, tmp_path, capsys, lpips_metric, monkeypatch):
    ms, baseline = runs["ms"], runs["baseline"]
    # The MS run is loaded from its directory; the baseline's sampler (same weights) is in memory already.
    load = evaluation.load_model
    monkeypatch.setattr(evaluation, "load_model", lambda name: runs["sampler"] if name == baseline else load(name))
    status = evaluate.main(SMALL + ["--model", ms, "--baseline", baseline, "--data-dir", str(tree), "--features",
                                    "alexnet", "--json", str(tmp_path / "r.json"), "--write-cards",
                                    "--plot-dir", str(tmp_path / "plots")])
    assert status == 0
    report = json.loads((tmp_path / "r.json").read_text())
    protocol = report["protocol"]
    assert protocol["preset"] == "unpaired" and protocol["direction"] == "a2b" and protocol["inputs"] == "testA"
    assert protocol["conditions"] == 3 and protocol["samples_per_condition"] == 4 and protocol["k"] == 2
    assert protocol["fid_reference"] == "10 trainB + testB" and protocol["ndb_reference"] == "5 testB"
    assert protocol["features"].startswith("FID-AlexNet") and protocol["image_size"] == 116
    assert set(protocol["rows"]) == METRICS
    for name in (ms, baseline):
        metrics = report["models"][name]["metrics"]
        assert set(metrics) == METRICS and all(np.isfinite(v) for v in metrics.values()), metrics
        assert metrics["fid"] > 0 and metrics["kid"] > -1 and 0 <= metrics["ndb_ratio"] <= 1
        assert 0 <= metrics["jsd"] <= np.log(2) and metrics["ndb"] == metrics["ndb_ratio"] * 2
        assert metrics["lpips"] > 0 and metrics["l1_diversity"] > 0 and metrics["layout_ratio"] > 0
        assert metrics["layout_ratio"] == pytest.approx(metrics["layout_other"] / metrics["layout_own"])
        assert metrics["lpips_layout_ratio"] == pytest.approx(metrics["lpips_other"] / metrics["lpips_own"])
        per_input = report["models"][name]["per_condition"]
        assert len(per_input["layout_ratio"]) == 3 and len(per_input["lpips"]) == 3
        assert len(report["models"][name]["ndb_bins"]["different_bins"]) == 2
    # Two differently seeded models: different numbers on the same bins and references.
    assert report["models"][ms]["metrics"]["lpips"] != report["models"][baseline]["metrics"]["lpips"]
    assert set(report["reference"]["metrics"]) == {"saturation"}
    assert (tmp_path / "plots" / "ndb.png").is_file() and (tmp_path / "plots" / "ndb_centers.png").is_file()
    out = capsys.readouterr().out
    assert "reference: 3 testA inputs; 10 trainB + testB images" in out and "K=2 NDB bins on 5 testB" in out
    assert "layout kept" in out and "drit_tiny" in out and "training images" in out and "machine:" in out
    for name in (ms, baseline):
        card = (Path(name) / "README.md").read_text()
        assert "<!-- metrics:start -->" in card and "--preset unpaired" in card
        assert "Unpaired a2b: the first 3 testA images" in card and "K=2 bins on the 5 testB images" in card
        assert "k 2 (preset 20)" in card and "samples per condition 4 (paper 50)" in card
        layout_row = next(line for line in card.splitlines() if line.startswith("| layout kept"))
        assert f"{report['models'][name]['metrics']['layout_ratio']:.4f}" in layout_row


class ToySampler:
    """A two-domain sampler whose layout behaviour is known (the DRIT sampler's interface).

    ``copy``: each translation is its own input, centre-cropped, colours swapped and darkened by a
    code-dependent amount; ``blind``: the same images whatever the input (only the code counts).
    """

    def __init__(self, kind, image_size=116):
        self.kind, self.image_size, self.directions = kind, image_size, []

    def with_direction(self, direction):
        self.directions.append(direction)
        return self

    def sample(self, image, num_samples, seed=None):
        rng = np.random.default_rng(seed)
        top = (image.shape[0] - self.image_size) // 2
        crop = image[top:top + self.image_size, top:top + self.image_size].astype(np.float32)
        if self.kind == "blind":
            crop = np.asarray(Image.fromarray(scene(np.random.default_rng(99))).resize(crop.shape[:2]), np.float32)
        scales = rng.uniform(0.3, 0.9, num_samples) if self.kind == "copy" else np.linspace(0.3, 0.9, num_samples)
        return np.stack([crop[..., ::-1] * s for s in scales]).astype(np.uint8)


def test_layout_ratio_tells_a_copying_model_from_an_input_blind_one(tree, lpips_metric):
    config = DRITConfig(**TINY)
    inputs, fid_real, ndb_real, train_real = evaluation.unpaired_data(config, tree, "a2b", conditions=4)
    assert inputs.shape == (4, 120, 120, 3) and len(fid_real) == 10 and len(ndb_real) == 5 and len(train_real) == 5
    protocol = UnpairedProtocol(inputs, fid_real, ndb_real, train_real, 116, "a2b", lpips=lpips_metric,
                                samples_per_condition=3, lpips_pairs=2, k=2)
    copy, blind = ToySampler("copy"), ToySampler("blind")
    report = evaluate_models(protocol, {"copy": copy, "blind": blind}, log=None)
    assert copy.directions == ["a2b"]
    kept, ignored = report["models"]["copy"]["metrics"], report["models"]["blind"]["metrics"]
    assert "fid" not in kept  # no features given
    # A recoloured copy keeps its own input's layout exactly (own 0); the blind model cannot prefer its own
    # input: every input is equally far from the same outputs, so the ratio is exactly 1.
    assert kept["layout_own"] < 0.01 and kept["layout_ratio"] > 50  # own: uint8 rounding only
    assert ignored["layout_ratio"] == pytest.approx(1.0) and ignored["layout_own"] > 0.3
    assert kept["lpips_layout_ratio"] > 1.5 and 0.5 < ignored["lpips_layout_ratio"] < 1.5


def test_b2a_translates_test_b_and_scores_against_domain_a(runs, tree):
    args = evaluate.parse_args(SMALL + ["--model", runs["ms"], "--data-dir", str(tree), "--direction", "b2a",
                                        "--features", "none", "--lpips-net", "none", "--conditions", "2"])
    protocol = evaluation.build_protocol(args, runs["sampler"])
    description = protocol.describe()
    assert description["direction"] == "b2a" and description["inputs"] == "testB"
    assert description["fid_reference"] == "8 trainA + testA" and description["ndb_reference"] == "4 testA"
    assert "lpips" not in description["rows"] and "fid" not in description["rows"]
    # the first two test dogs (sorted by name) at load_size, each model asked for b2a
    first = np.asarray(Image.open(tree / "testB" / "00.png").resize((120, 120), Image.BICUBIC))
    np.testing.assert_array_equal(protocol.inputs[0], first)
    sampler = ToySampler("copy")
    assert protocol.translations(sampler).shape == (2, 4, 116, 116, 3) and sampler.directions == ["b2a"]


def saved_dcgan(directory):
    config = get_config("dcgan_digits")  # the smallest non-DRIT model
    save_generator(get_family("dcgan").build_generator(config), config, directory)
    return str(directory)


def test_errors_are_one_line(runs, tree, tmp_path, capsys, monkeypatch):
    base = SMALL + ["--model", runs["ms"], "--features", "none", "--lpips-net", "none"]
    dcgan = saved_dcgan(tmp_path / "dcgan")
    load = evaluation.load_model  # the run directory's sampler is in memory already (a DRIT build is slow)
    monkeypatch.setattr(evaluation, "load_model", lambda name: runs["sampler"] if name == runs["ms"] else load(name))
    (tmp_path / "bad").mkdir()
    for folder in ("trainA", "trainB", "testA"):
        (tmp_path / "bad" / folder).symlink_to(tree / folder)
    cases = [(base + ["--data-dir", str(tmp_path / "bad")], "no 'testB' folder"),
             (base + ["--data-dir", str(tree), "--k", "6"], "K=6 bins need at least 6 target-domain test images"),
             (base, "pass --data-dir"),
             (SMALL + ["--model", dcgan, "--data-dir", str(tree)],
              "scores two-domain translation models (the drit family)")]
    for argv, message in cases:
        assert evaluate.main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and "\n" not in err, err
    with pytest.raises(SystemExit):
        evaluate.parse_args(["--preset", "image", "--direction", "b2a"])
    assert "--direction is an option of --preset unpaired" in capsys.readouterr().err
