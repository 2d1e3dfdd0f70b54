"""bench/mode_collapse.py --quick runs end to end and writes the table, the JSON and the figure."""
import json

import pytest
from PIL import Image


def test_quick_benchmark_writes_table_json_and_figure(tmp_path, load_script):
    bench = load_script("bench/mode_collapse.py")
    methods = list(bench.METHODS)
    bench.main(["--quick", "--datasets", "ring8", "--out", str(tmp_path), "--verbose", "0"])

    report = json.loads((tmp_path / "mode_collapse.json").read_text())
    assert report["setting"]["steps"] == bench.QUICK["steps"]
    assert "cores" in report["machine_line"] and report["machine"]["tensorflow"]
    assert [row["method"] for row in report["summary"]] == methods
    gan_row = report["summary"][0]
    assert gan_row["relative_step_time"] == pytest.approx(1.0)
    for run in report["runs"]:
        assert run["num_samples"] == 2500 and len(run["counts"]) == 8
        assert 0 <= run["modes_captured"] <= 8
        assert sum(run["counts"]) == round(run["high_quality"] * 2500)
    assert report["published"]["grid25"][-1][0] == "PacGAN4"

    table = (tmp_path / "mode_collapse.md").read_text()
    assert "| ring8 | unrolled5 |" in table and "PacGAN4 7.8 / 95.9" in table
    assert "Machine:" in table and "--quick" in table

    figure = Image.open(tmp_path / "mode_collapse.png")
    assert figure.size[0] == 220 * len(methods)


def test_bad_arguments_are_rejected(capsys, load_script):
    bench = load_script("bench/mode_collapse.py")
    with pytest.raises(SystemExit):
        bench.parse_args(["--methods", "gan,wgan"])
    with pytest.raises(SystemExit) as exit_info:
        bench.parse_args(["--datasets", "ring7"])
    assert exit_info.value.code == 2
    assert "unknown 2-D dataset 'ring7'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        bench.parse_args(["--g-hidden", "400,x"])
    assert "--g-hidden must be comma-separated positive widths" in capsys.readouterr().err
    assert bench.parse_args(["--d-hidden", "200,200"]).d_hidden == (200, 200)
    with pytest.raises(SystemExit):
        bench.parse_args(["--threads", "-1"])
    assert "--threads must be >= 0, got -1" in capsys.readouterr().err
    assert bench.parse_args(["--threads", "1"]).threads == 1


def test_table_without_a_gan_run_and_with_decay_says_so(load_script):
    import argparse
    import math

    bench = load_script("bench/mode_collapse.py")
    args = argparse.Namespace(steps=100, batch_size=8, learning_rate=1e-3, lr_final_fraction=0.1, seeds=1,
                              datasets=["ring8"], g_hidden=(400, 400), d_hidden=(200,))
    row = {"dataset": "ring8", "method": "ms", "num_modes": 8, "modes_mean": 8.0, "modes_std": 0.0,
           "high_quality_pct_mean": 90.0, "high_quality_pct_std": 0.0, "reverse_kl_mean": 0.01,
           "runs_without_any_mode": 0, "ms_per_step": 5.0, "relative_step_time": math.nan}
    table = bench.markdown([row], args, "test machine", 60.0)
    assert "n/a (no gan run)" in table and "nan" not in table
    assert "cosine-decayed to 0.1x" in table and "G (nz 256, 400-400) and D (200)" in table


def test_resume_trains_only_the_missing_runs(tmp_path, capsys, load_script, monkeypatch):
    bench = load_script("bench/mode_collapse.py")
    argv = ["--quick", "--datasets", "ring8", "--methods", "gan,ms", "--out", str(tmp_path), "--verbose", "0"]
    real_train, calls = bench.train_gan2d, []

    def train_then_stop(config, mixture, **kwargs):
        calls.append(config.name)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the session ends during the second run
        return real_train(config, mixture, **kwargs)

    monkeypatch.setattr(bench, "train_gan2d", train_then_stop)
    with pytest.raises(KeyboardInterrupt):
        bench.main(argv)
    first = json.loads((tmp_path / "mode_collapse.json").read_text())
    assert first["runs_finished"] == 1 and first["runs"][0]["method"] == "gan"

    calls.clear()
    bench.main(argv + ["--resume"])
    assert calls == ["ms_ring8"]  # only the missing run is trained
    report = json.loads((tmp_path / "mode_collapse.json").read_text())
    assert report["runs_finished"] == 2 and report["runs"][0] == first["runs"][0]
    assert [row["method"] for row in report["summary"]] == ["gan", "ms"]
    assert report["wall_seconds"] >= first["wall_seconds"]
    assert "resuming: 1 finished run(s) kept" in capsys.readouterr().err
    assert Image.open(tmp_path / "mode_collapse.png").size[0] == 2 * 220

    calls.clear()
    bench.main(argv + ["--resume"])  # everything finished: nothing is trained again
    assert calls == []

    # A file written before a flag existed: the missing key counts as that flag's default.
    older = json.loads((tmp_path / "mode_collapse.json").read_text())
    del older["setting"]["d_maxout_pieces"]
    (tmp_path / "mode_collapse.json").write_text(json.dumps(older))
    bench.main(argv + ["--resume"])
    assert calls == []
    with pytest.raises(SystemExit):
        bench.main(argv + ["--resume", "--d-maxout-pieces", "3"])
    assert "(d_maxout_pieces differ)" in capsys.readouterr().err

    with pytest.raises(SystemExit) as exit_info:
        bench.main(argv + ["--resume", "--lambda-ms", "2"])
    assert exit_info.value.code == 2
    assert "was made with another setting (lambda_ms differ)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        bench.main(["--quick", "--out", str(tmp_path / "empty"), "--resume", "--verbose", "0"])
    assert "--resume: no earlier results in" in capsys.readouterr().err
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "mode_collapse.json").write_text("{not json")
    with pytest.raises(SystemExit):
        bench.main(["--quick", "--out", str(tmp_path / "broken"), "--resume", "--verbose", "0"])
    assert "is not a results file of this benchmark" in capsys.readouterr().err


def test_a_bad_config_stops_before_any_training(tmp_path, load_script, monkeypatch):
    bench = load_script("bench/mode_collapse.py")
    monkeypatch.setattr(bench, "train_gan2d", lambda *a, **k: pytest.fail("trained before checking every config"))
    with pytest.raises(SystemExit, match="pacgan4 on ring8: batch_size 30 is not a multiple of pack 4"):
        bench.main(["--datasets", "ring8", "--methods", "gan,pacgan4", "--batch-size", "30", "--seeds", "1",
                    "--out", str(tmp_path), "--verbose", "0"])


def test_pacgan_setting_fills_defaults_and_explicit_flags_win(capsys, load_script):
    bench = load_script("bench/mode_collapse.py")
    args = bench.parse_args(["--setting", "pacgan", "--steps", "30"])
    assert (args.nz, args.g_hidden, args.d_hidden) == (2, (400,) * 4, (200,) * 3)
    assert (args.g_batch_norm, args.d_maxout_pieces, args.init) == (True, 5, "normal")
    assert (args.learning_rate, args.beta1, args.batch_size, args.steps) == (1e-4, 0.8, 100, 30)
    config = bench.method_config("pacgan4", "grid25", 0, args)
    assert (config.nz, config.beta_1, config.pack, config.d_maxout_pieces, config.g_batch_norm) == (2, 0.8, 4, 5, True)
    small = bench.parse_args([])
    assert (small.nz, small.g_batch_norm, small.d_maxout_pieces, small.init, small.beta1) == (256, False, 1, "orthogonal", 0.5)
    assert bench.parse_args(["--setting", "pacgan", "--no-g-batch-norm"]).g_batch_norm is False
    with pytest.raises(SystemExit, match="pacgan4 on grid25: batch_size 30 is not a multiple of pack 4"):
        bench.method_config("pacgan4", "grid25", 0, bench.parse_args(["--batch-size", "30"]))
    with pytest.raises(SystemExit):
        bench.parse_args(["--nz", "0"])
    assert "--nz and --d-maxout-pieces must be >= 1" in capsys.readouterr().err
