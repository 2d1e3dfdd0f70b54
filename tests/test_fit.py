import json
import os
from pathlib import Path

import numpy as np
import pytest

import zoo
from zoo.training import fit
from zoo.model_dir import load_sampler

TINY_ARGS = ["--epochs", "1", "--limit", "64", "--batch-size", "16", "--verbose", "0"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "digits"
    fit.main(["--out", str(out), *TINY_ARGS])
    return out


def test_one_epoch_writes_every_artifact(trained):
    for name in ("generator.weights.h5", "config.json", "README.md", "samples.png", "curves.png",
                 "samples/epoch_001.png", "history.jsonl"):
        assert (trained / name).is_file(), name
    assert list((trained / "logs").rglob("events.out.tfevents.*"))
    assert list((trained / "checkpoints").glob("ckpt-1.index"))
    config = json.loads((trained / "config.json").read_text())
    assert config["name"] == "msgan_dcgan_digits" and config["lambda_ms"] == 1.0
    card = (trained / "README.md").read_text()
    assert "wall time" in card and "machine" in card and "64 training examples" in card
    assert "![training curves](curves.png)" in card
    from PIL import Image

    with Image.open(trained / "samples.png") as grid:  # 10 classes x 10 z of 8x8 digits, upscaled 8x
        assert grid.height == (10 * 9 + 1) * 8 and grid.width > (10 * 9 + 1) * 8  # + the class-name margin
    history = [json.loads(line) for line in (trained / "history.jsonl").read_text().splitlines()]
    assert {"epoch", "d_loss", "g_loss", "ms_ratio", "diversity", "diversity_min"} <= set(history[0])
    assert history[0]["diversity"] > 0  # the ModeCollapseMonitor ran on the grid's conditions


def test_save_load_round_trip_gives_identical_samples(trained):
    a, b = load_sampler(trained), zoo.load(str(trained))
    np.testing.assert_array_equal(a.sample([0, 3, "7"], 4, seed=5), b.sample([0, 3, "7"], 4, seed=5))
    assert a.sample(2, 6, seed=1).shape == (6, 8, 8, 1)
    assert not np.array_equal(a.sample(2, 6, seed=1), a.sample(2, 6, seed=2))


def test_resume_continues_from_the_checkpoint(trained, capsys):
    before = float((trained / "wall_time_s").read_text())
    fit.main(["--out", str(trained), "--resume", *TINY_ARGS[:-2], "--epochs", "2", "--verbose", "0"])
    assert float((trained / "wall_time_s").read_text()) > before > 0  # the second process's epoch is added
    assert (trained / "checkpoints" / "ckpt-2.index").is_file()
    history = (trained / "history.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in history] == [1, 2]


def test_resume_at_the_last_epoch_publishes_and_beyond_it_is_refused(tmp_path, capsys):
    out = tmp_path / "run"
    fit.main(["--out", str(out), *TINY_ARGS[:-2], "--epochs", "2", "--verbose", "0"])
    (out / "generator.weights.h5").unlink()
    (out / "samples.png").unlink()  # the publish-only resume draws the restored generator's grid
    with pytest.raises(SystemExit) as exit_info:  # epoch 2's generator must not be labelled "1 epoch"
        fit.main(["--out", str(out), "--resume", *TINY_ARGS[:-2], "--epochs", "1", "--verbose", "0"])
    err = capsys.readouterr().err.strip()
    assert exit_info.value.code == 2 and len(err.splitlines()) == 1
    assert "is at epoch 2, beyond --epochs 1: pass --epochs 2" in err
    assert not (out / "generator.weights.h5").exists()
    fit.main(["--out", str(out), "--resume", *TINY_ARGS[:-2], "--epochs", "2", "--verbose", "0"])
    assert "already trained for 2 epochs" in capsys.readouterr().out
    assert (out / "generator.weights.h5").is_file() and (out / "samples.png").is_file()
    a, b = load_sampler(out), zoo.load(str(out))
    np.testing.assert_array_equal(a.sample([1, 4], 3, seed=0), b.sample([1, 4], 3, seed=0))
    card = (out / "README.md").read_text()
    assert "| epochs | 2 (8 generator steps" in card
    last = json.loads((out / "history.jsonl").read_text().splitlines()[-1])
    assert f"g_loss {last['g_loss']:.4g}" in card  # the last epoch's logs, from history.jsonl


def test_fit_prints_no_keras_shuffle_warning(tmp_path):
    # The tf.data pipeline shuffles; fit() must not make Keras warn that it ignores shuffle=True.
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit.main(["--out", str(tmp_path / "run"), *TINY_ARGS])
    assert not [w for w in caught if "shuffle" in str(w.message)]


def test_verbose_2_prints_progress_lines_within_the_epoch(tmp_path, capsys):
    # 64 examples, batch 16: 4 steps. --progress-every 0 prints a line after every step.
    fit.main(["--out", str(tmp_path / "run"), *TINY_ARGS[:-2], "--verbose", "2", "--progress-every", "0",
              "--no-monitor"])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("epoch 1/1 step ")]
    assert [line.split(":")[0] for line in lines] == [
        "epoch 1/1 step 1/4 (25%)", "epoch 1/1 step 2/4 (50%)", "epoch 1/1 step 3/4 (75%)", "epoch 1/1 step 4/4 (100%)"]
    assert "s/step, epoch ends in " in lines[0] and "g_loss " in lines[0] and "d_loss " in lines[0]


def test_resume_survives_a_half_written_history_line(tmp_path):
    from zoo.training.curves import read_history

    out = tmp_path / "run"
    fit.main(["--out", str(out), *TINY_ARGS])
    with (out / "history.jsonl").open("a") as f:
        f.write('{"epoch": 2, "d_lo')  # killed while writing
    fit.main(["--out", str(out), "--resume", *TINY_ARGS[:-2], "--epochs", "2", "--verbose", "0"])
    lines = (out / "history.jsonl").read_text().splitlines()
    assert lines[1] == '{"epoch": 2, "d_lo' and json.loads(lines[2])["epoch"] == 2
    records = read_history(out / "history.jsonl", strict=False)
    assert [r["epoch"] for r in records] == [1, 2] and records[1]["sample_drift"] > 0
    assert (out / "curves.png").is_file()


def test_steps_per_epoch_repeats_the_data_and_resume_reshuffles(tmp_path):
    # 64 examples, batch 16: one pass is 4 steps; 3 epochs of 6 steps = 4.5 passes, which only
    # works if the data repeats. The card says how many passes the Keras epochs were.
    out = tmp_path / "run"
    args = ["--out", str(out), "--limit", "64", "--batch-size", "16", "--steps-per-epoch", "6",
            "--threads", "1", "--verbose", "0"]
    fit.main([*args, "--epochs", "2"])
    fit.main([*args, "--epochs", "3", "--resume"])
    history = [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]
    assert [h["epoch"] for h in history] == [1, 2, 3]
    # Epoch 1 measures its drift from the initial generator; the monitor continues the run: the
    # first resumed epoch measures its drift from epoch 2's samples.
    assert all(h["sample_drift"] > 0 for h in history)
    card = (out / "README.md").read_text()
    assert "3 (18 generator steps, batch 16 = 4.50 passes over the 64 training examples)" in card


@pytest.mark.parametrize("argv, message", [
    (["--model", "msgan_dcgan_digitz"], "unknown model 'msgan_dcgan_digitz'; did you mean msgan_dcgan_digits"),
    (["--model", "../../etc"], "invalid model name"),
    (["--data-dir", "/no/such/dir"], "data directory not found: /no/such/dir"),
    (["--batch-size", "5000"], "batch size 5000 is larger than the dataset (1797 examples)"),
    (["--epochs", "0"], "--epochs must be >= 1"),
    (["--lambda-ms", "-1"], "--lambda-ms must be >= 0"),
    (["--steps-per-epoch", "0"], "--steps-per-epoch must be >= 1"),
    (["--threads", "0"], "--threads must be >= 1"),
    (["--keep-every", "0"], "--keep-every must be >= 1"),
    (["--progress-every", "nan"], "--progress-every must be a finite number of seconds >= 0, got nan"),
    (["--progress-every", "-5"], "--progress-every must be a finite number of seconds >= 0, got -5.0"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, argv, message):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_info:
        fit.main(["--out", str(out), *argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_unknown_model_lists_the_known_ones(capsys):
    with pytest.raises(SystemExit):
        fit.main(["--model", "nothing_like_it"])
    err = capsys.readouterr().err
    assert "known:" in err and "msgan_dcgan_cifar10" in err


def test_refuses_to_overwrite_a_run(trained, capsys):
    with pytest.raises(SystemExit):
        fit.main(["--out", str(trained), *TINY_ARGS])
    assert "not empty" in capsys.readouterr().err


def test_keep_every_writes_loadable_generators_of_those_epochs(tmp_path):
    out = tmp_path / "run"
    fit.main(["--out", str(out), *TINY_ARGS[:-2], "--epochs", "3", "--keep-every", "2", "--verbose", "0"])
    kept = sorted(p.name for p in (out / "epochs").iterdir())
    assert kept == ["epoch_002"]  # every 2nd of 3 epochs, no temporary directory left
    interim, final = zoo.load(str(out / "epochs" / "epoch_002")), zoo.load(str(out))
    assert json.loads((out / "epochs" / "epoch_002" / "config.json").read_text())["epochs"] == 2
    # Epoch 2's generator, not the last one: a third epoch of training moved the weights.
    first, last = interim.sample(3, 4, seed=0), final.sample(3, 4, seed=0)
    assert first.shape == last.shape and np.abs(np.float32(first) - np.float32(last)).max() > 1e-4
    # Resumed runs keep writing them, numbered by the run's epoch.
    fit.main(["--out", str(out), "--resume", *TINY_ARGS[:-2], "--epochs", "4", "--keep-every", "2", "--verbose", "0"])
    assert sorted(p.name for p in (out / "epochs").iterdir()) == ["epoch_002", "epoch_004"]
    resumed, final = zoo.load(str(out / "epochs" / "epoch_004")), zoo.load(str(out))
    np.testing.assert_array_equal(resumed.sample(3, 4, seed=0), final.sample(3, 4, seed=0))


# -- training path (training/fastpath.py) and numerics that fail loudly ------------------------
@pytest.mark.parametrize("argv, message", [
    (["--lambda-ms", "nan"], "--lambda-ms must be >= 0 and finite, got nan"),
    (["--lambda-ms", "inf"], "--lambda-ms must be >= 0 and finite, got inf"),
    (["--set", "learning_rate=nan"], "learning_rate must be a finite number, got nan"),
    (["--set", "learning_rate=-Infinity"], "learning_rate must be a finite number, got -inf"),
    (["--set", "learning_rate=0"], "learning_rate must be > 0"),
    (["--set", "weight_decay=-1"], "weight_decay must be >= 0"),
    (["--set", "learning_rate=fast"], "learning_rate must be a number"),
])
def test_numbers_that_cannot_train_are_one_line_errors_before_anything_is_written(tmp_path, capsys, argv, message):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_info:
        fit.main(["--out", str(out), *TINY_ARGS, *argv])
    err = capsys.readouterr().err.strip()
    assert exit_info.value.code == 2 and message in err and len(err.splitlines()) == 1, err
    assert not out.exists()


def test_an_unwritable_out_is_a_one_line_error_before_anything_is_written(tmp_path, capsys):
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    for out, message in ((a_file / "run", f"{a_file} is not a directory"),
                         (a_file, f"{a_file} is not a directory"),
                         (Path("/sys/msgan_run"), "cannot write in /sys")):
        if out.parts[1] == "sys" and os.access("/sys", os.W_OK) and _can_create_in("/sys"):
            continue  # not a read-only /sys here
        with pytest.raises(SystemExit) as exit_info:
            fit.main(["--out", str(out), *TINY_ARGS])
        err = capsys.readouterr().err.strip()
        assert exit_info.value.code == 2 and message in err and len(err.splitlines()) == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]


def _can_create_in(directory):
    import tempfile

    try:
        with tempfile.TemporaryFile(dir=directory):
            return True
    except OSError:
        return False


def test_history_and_card_record_the_training_path_and_why(trained):
    from zoo.training.fastpath import choose_path

    expected = choose_path("auto", "auto")
    records = [json.loads(line) for line in (trained / "history.jsonl").read_text().splitlines()]
    for record in records:  # the fixture's run may have been resumed by another test
        assert record["mixed_precision"] == expected.precision and record["jit_compile"] == expected.jit_compile
    assert records[0]["path_reason"] == expected.record()["path_reason"]
    card = (trained / "README.md").read_text()
    xla = "on" if expected.jit_compile else "off"
    assert f"| training path | {expected.precision}, XLA {xla} ({records[-1]['path_reason']}) |" in card
    assert "jit_compile" not in card.split("| last epoch |")[1].split("\n")[0]  # not a "loss"


def test_the_policy_is_set_before_the_model_is_built_and_resume_keeps_it(tmp_path, monkeypatch):
    import zoo.registry

    built = []
    original = zoo.registry.get_family

    def recording_family(name):
        family = original(name)

        def gan_class(config):
            built.append(family.gan_class(config))
            return built[-1]
        return type("Recorded", (), {"gan_class": staticmethod(gan_class)})

    monkeypatch.setattr(zoo.registry, "get_family", recording_family)
    out = tmp_path / "run"
    fit.main(["--out", str(out), *TINY_ARGS, "--mixed-precision", "mixed_bfloat16", "--jit-compile", "off"])
    conv = [layer for layer in built[-1].generator.layers if layer.weights][0]
    assert conv.compute_dtype == "bfloat16" and conv.variable_dtype == "float32"
    # auto on resume: the run's own precision (history.jsonl), not this machine's choice.
    fit.main(["--out", str(out), "--resume", *TINY_ARGS[:-2], "--epochs", "2", "--verbose", "0"])
    records = [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]
    assert [r["mixed_precision"] for r in records] == ["mixed_bfloat16", "mixed_bfloat16"]
    assert "resumed run" in records[1]["path_reason"] and "given" in records[0]["path_reason"]
    conv = [layer for layer in built[-1].generator.layers if layer.weights][0]
    assert conv.compute_dtype == "bfloat16"


def test_a_run_whose_losses_become_nan_stops_keeps_the_good_checkpoint_and_publishes_nothing(
        tmp_path, capsys, monkeypatch):
    import tensorflow as tf

    import zoo.training.tasks

    real_task_for = zoo.training.tasks.task_for

    class PoisonedTask:
        """Epoch 1: 4 good batches; then batches whose images are NaN."""

        def __init__(self, task):
            self.task = task

        def training_data(self, config, data_dir=None, limit=None):
            good, count = self.task.training_data(config, data_dir, limit=limit)
            bad = good.map(lambda c, x: (c, x * tf.constant(float("nan"))))
            return good.take(4).concatenate(bad.take(4)), count

        def grid_conditions(self, config, data_dir=None):
            return self.task.grid_conditions(config, data_dir)

    monkeypatch.setattr(zoo.training.tasks, "task_for", lambda config: PoisonedTask(real_task_for(config)))
    out = tmp_path / "run"
    with pytest.raises(SystemExit) as exit_info:
        fit.main(["--out", str(out), "--limit", "64", "--batch-size", "16", "--steps-per-epoch", "4",
                  "--epochs", "3", "--verbose", "0"])
    err = capsys.readouterr().err.strip()
    assert exit_info.value.code == 1 and len(err.splitlines()) == 1, err
    assert "non-finite loss (" in err and "d_loss=nan" in err and "at epoch 2, step 1" in err
    assert f"{out / 'checkpoints'} keeps epoch 1" in err and "no weights or card written" in err
    assert sorted(p.name for p in (out / "checkpoints").glob("*.index")) == ["ckpt-1.index"]
    assert not (out / "generator.weights.h5").exists() and not (out / "README.md").exists()
    assert not (out / "config.json").exists() and not (out / "samples" / "epoch_002.png").exists()
    assert [json.loads(line)["epoch"] for line in (out / "history.jsonl").read_text().splitlines()] == [1]
    # The kept checkpoint is good: the run resumes from it once the data is fixed.
    monkeypatch.setattr(zoo.training.tasks, "task_for", real_task_for)
    fit.main(["--out", str(out), "--resume", "--limit", "64", "--batch-size", "16", "--steps-per-epoch", "4",
              "--epochs", "2", "--verbose", "0"])
    assert np.isfinite(zoo.load(str(out)).sample(3, 2, seed=0).astype(np.float32)).all()
