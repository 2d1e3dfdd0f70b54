"""training/compare_reports.py on real evaluate.py reports (tiny label protocols, no shared data)."""
import json

import numpy as np
import pytest
from PIL import Image

from zoo.training import compare_reports
from zoo.training.compare_reports import (class_wins, load_reports, parse_spec, per_class_table, plot_trends,
                                      protocol_differences, summary_table, trend_positions, wins_table)
from zoo.training.curves import COLORS, REFERENCE_COLOR
from zoo.training.evaluation import LabelProtocol, evaluate_models

CLASSES = ["a", "b", "c"]


class NoiseSampler:
    """``sample(class_id, n, seed)``: a class's gray level plus seeded noise of ``scale`` (0 = one image per class)."""

    def __init__(self, scale):
        self.scale = scale

    def sample(self, class_id, num_samples, seed=None):
        rng = np.random.default_rng(seed)
        base = np.full((num_samples, 8, 8, 3), 60.0 + 60.0 * class_id)
        return np.clip(base + self.scale * rng.normal(size=base.shape), 0, 255).astype(np.uint8)


def label_report(samplers, samples_per_class=6):
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(len(CLASSES)), 12)
    real = np.clip(60.0 + 60.0 * labels[:, None, None, None] + 40 * rng.normal(size=(len(labels), 8, 8, 3)),
                   0, 255).astype(np.uint8)
    protocol = LabelProtocol(real, labels, CLASSES, samples_per_class=samples_per_class, k=3, diversity_samples=6)
    return evaluate_models(protocol, samplers, log=lambda *_: None)


@pytest.fixture(scope="module")
def report_files(tmp_path_factory):
    """Two label reports in evaluate.py's JSON form: the second model wins in one, loses in the other."""
    root = tmp_path_factory.mktemp("reports")
    first = label_report({"runs/base": NoiseSampler(0.0), "runs/ms": NoiseSampler(40.0)})
    second = label_report({"runs/base": NoiseSampler(40.0), "runs/ms": NoiseSampler(0.0)}, samples_per_class=9)
    paths = [root / "e10.json", root / "e20.json"]
    for path, report in zip(paths, (first, second)):
        path.write_text(json.dumps(report, indent=1) + "\n")
    return paths


def test_tables_put_reports_and_models_side_by_side(report_files):
    reports = load_reports([f"10={report_files[0]}", f"20={report_files[1]}"])
    assert [label for label, _ in reports] == ["10", "20"]
    table = summary_table(reports, ["ndb", "l1_diversity", "saturation"]).splitlines()
    assert table[0] == "| report | model | NDB | L1 div. | sat. |"
    # Per report: the models by directory name, then the training images (no NDB of their own).
    assert [line.split(" | ")[:2] for line in table[2:]] == [
        ["| 10", "`base`"], ["| 10", "`ms`"], ["| 10", "training images"],
        ["| 20", "`base`"], ["| 20", "`ms`"], ["| 20", "training images"]]
    ms_first = reports[0][1]["models"]["runs/ms"]["metrics"]
    assert f"| 10 | `ms` | {ms_first['ndb']:.1f} | {ms_first['l1_diversity']:.4f} |" in table[3]
    assert table[4].split(" | ")[2] == "-"
    # The protocols differ in the sample count only, and the note says which report has which.
    assert protocol_differences(reports) == ["samples_per_class: 6 (10); 9 (20)"]


def test_per_class_table_and_win_counts_follow_each_metric_direction(report_files):
    reports = load_reports([str(path) for path in report_files])
    assert [label for label, _ in reports] == ["e10", "e20"]
    table = per_class_table(reports, "l1_diversity").splitlines()
    assert table[0] == ("| L1 div. per class | e10 `base` | e10 `ms` | e10 train | e20 `base` | e20 `ms` | "
                        "e20 train |")
    assert [line.split(" | ")[0] for line in table[2:]] == ["| a", "| b", "| c", "| **mean**"]
    collapsed = [float(line.split(" | ")[1]) for line in table[2:5]]
    assert collapsed == [0.0, 0.0, 0.0]  # one image per class: no pairwise distance
    mean_ms = float(table[5].split(" | ")[2])
    assert mean_ms == pytest.approx(reports[0][1]["models"]["runs/ms"]["metrics"]["l1_diversity"], abs=1e-4)
    # Higher L1 is better: the noisy second model wins every class in e10 and none in e20.
    assert class_wins(reports[0][1], "l1_diversity") == (3, 3)
    assert class_wins(reports[1][1], "l1_diversity") == (0, 3)
    assert class_wins(reports[0][1], "saturation") is None  # no direction, no count
    wins = wins_table(reports, ["l1_diversity", "ndb", "saturation"])
    assert "| L1 div. (higher is better) | 3 of 3 | 0 of 3 |" in wins
    assert "NDB (lower is better)" in wins and "sat." not in wins


def test_cli_writes_markdown_and_a_plot_with_a_colour_per_model(report_files, tmp_path, capsys):
    png, markdown = tmp_path / "trend.png", tmp_path / "tables.md"
    status = compare_reports.main([f"10={report_files[0]}", f"20={report_files[1]}", "--per-class", "ndb",
                                   "--plot", str(png), "--markdown", str(markdown), "--names", "baseline", "MS"])
    assert status == 0
    out = capsys.readouterr().out
    assert out.startswith("| report | model | NDB | JSD | L1 div. | sat. |")  # only the metrics present
    assert markdown.read_text() in out and "| NDB per class |" in out and f"wrote {png}" in out
    pixels = np.asarray(Image.open(png).convert("RGB")).reshape(-1, 3)
    # Both models' lines and the training images' gray reference are drawn.
    for colour in (COLORS[0], COLORS[1], REFERENCE_COLOR):
        assert (pixels == colour).all(axis=1).sum() > 50, colour


def test_cli_errors_are_one_line_and_name_the_problem(report_files, tmp_path, capsys):
    bad_json, not_report = tmp_path / "bad.json", tmp_path / "other.json"
    bad_json.write_text("{")
    not_report.write_text(json.dumps({"epoch": 3}))
    image = json.loads(report_files[0].read_text())
    image["protocol"]["preset"] = "image"
    image_path = tmp_path / "image.json"
    image_path.write_text(json.dumps(image))
    cases = [([str(tmp_path / "missing.json")], "report not found"),
             ([str(bad_json)], "bad.json: not JSON"),
             ([str(not_report)], "other.json: not an evaluate.py report"),
             ([str(report_files[0]), str(image_path)], "reports mix presets: label (e10) and image (image)"),
             ([f"x={report_files[0]}", f"x={report_files[1]}"], "two reports share a label"),
             ([str(report_files[0]), "--metrics", "lpips"], "metric 'lpips' is in none of the reports"),
             ([str(report_files[0]), "--per-class", "sharpness"], "unknown --per-class metric 'sharpness'"),
             ([str(image_path), "--per-class", "ndb"], "per-class tables need label-preset reports"),
             ([str(report_files[0]), "--plot", str(tmp_path / "p.png"), "--names", "one"], "--names needs 2 names")]
    for argv, message in cases:
        assert compare_reports.main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("compare_reports.py: error: ") and message in err and err.count("\n") == 1, err


def test_unwritable_outputs_are_one_line_and_the_tables_still_print(report_files, tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    assert compare_reports.main([str(report_files[0]), "--markdown", str(blocker / "t.md")]) == 2
    captured = capsys.readouterr()
    assert captured.out.startswith("| report | model |")  # printed before the failed write: nothing lost
    assert captured.err.startswith("compare_reports.py: error: ") and "a_file" in captured.err
    assert captured.err.count("\n") == 1
    assert compare_reports.main([str(report_files[0]), "--plot", str(blocker / "p.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("compare_reports.py: error: ") and "a_file" in err and err.count("\n") == 1


def test_specs_and_positions():
    assert parse_spec("45=runs/eval.json") == ("45", parse_spec("45=runs/eval.json")[1])
    assert str(parse_spec("45=runs/eval.json")[1]) == "runs/eval.json"
    assert parse_spec("runs/eval_e45.json")[0] == "eval_e45"
    assert trend_positions(["24", "30", "45"]) == [24.0, 30.0, 45.0]
    assert trend_positions(["seed0", "seed1"]) == [0, 1]


def test_plot_trends_rejects_nothing_to_draw(report_files, tmp_path):
    reports = load_reports([str(report_files[0])])
    with pytest.raises(ValueError, match="no panels"):
        plot_trends(reports, tmp_path / "empty.png", [])
