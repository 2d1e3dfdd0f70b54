"""Training callbacks that keep a resumed run whole: the wall-time count."""
import pytest


def test_epoch_wall_time_adds_up_across_processes(tmp_path, monkeypatch):
    import zoo.training.callbacks as callbacks

    clock = iter([0.0, 10.0, 100.0, 103.5, 0.0, 2.0])
    monkeypatch.setattr(callbacks.time, "perf_counter", lambda: next(clock))
    path = tmp_path / "wall_time_s"
    first = callbacks.EpochWallTime(path)
    for epoch in (0, 1):
        first.on_epoch_begin(epoch)
        first.on_epoch_end(epoch)
    assert first.total == 13.5
    # The next process (after a kill) continues the count from the file.
    second = callbacks.EpochWallTime(path)
    second.on_epoch_begin(2)
    second.on_epoch_end(2)
    assert second.total == 15.5 and path.read_text() == "15.5\n"
    path.write_text("garbage")
    with pytest.raises(ValueError, match="does not hold a number of seconds"):
        second.total


def test_progress_lines_come_every_interval_with_speed_eta_and_losses():
    import io

    import numpy as np

    from zoo.training.callbacks import ProgressLines

    now = [0.0]
    stream = io.StringIO()
    progress = ProgressLines(interval_s=60, stream=stream, clock=lambda: now[0])
    progress.set_params({"steps": 100, "epochs": 3})
    progress.on_epoch_begin(1)
    for step in range(100):
        now[0] += 2.0  # 2 s per step: a line at steps 30, 60 and 90
        progress.on_train_batch_end(step, {"g_loss": np.float32(1.23456), "d_loss": 0.5, "per_example": np.ones(3)})
    lines = stream.getvalue().splitlines()
    assert lines == ["epoch 2/3 step 30/100 (30%): 2 s/step, epoch ends in 2m20s; g_loss 1.235, d_loss 0.5",
                     "epoch 2/3 step 60/100 (60%): 2 s/step, epoch ends in 1m20s; g_loss 1.235, d_loss 0.5",
                     "epoch 2/3 step 90/100 (90%): 2 s/step, epoch ends in 0m20s; g_loss 1.235, d_loss 0.5"]
    # A slow first step (tracing) does not linger: the next line's speed is that of the steps since.
    stream.seek(0)
    stream.truncate()
    progress.on_epoch_begin(1)
    now[0] += 70.0
    progress.on_train_batch_end(0, {})
    for step in range(1, 61):
        now[0] += 1.0
        progress.on_train_batch_end(step, {})
    assert stream.getvalue().splitlines() == ["epoch 2/3 step 1/100 (1%): 70 s/step, epoch ends in 1h55m",
                                              "epoch 2/3 step 61/100 (61%): 1 s/step, epoch ends in 0m39s"]
    # Unknown step count (an infinite dataset without steps_per_epoch): no percentage, no ETA.
    stream.seek(0)
    stream.truncate()
    progress.set_params({"steps": None, "epochs": 3})
    progress.on_epoch_begin(2)
    now[0] += 3 * 3600
    progress.on_train_batch_end(0, {})
    assert stream.getvalue() == "epoch 3/3 step 1: 1.08e+04 s/step\n"
    for bad in (-1, float("nan")):
        with pytest.raises(ValueError, match="interval_s must be >= 0 seconds"):
            ProgressLines(interval_s=bad)


def _tiny_stackgan():
    import numpy as np

    from zoo.stackgan import StackGAN, StackGANConfig

    config = StackGANConfig(name="tiny", base_size=8, branch_num=2, gf_dim=8, df_dim=4, embedding_dim=4,
                            text_dim=6, nz=5, r_num=1, batch_size=2)
    gan = StackGAN(config)
    gan.compile(run_eagerly=True)
    rng = np.random.default_rng(0)
    batch = (rng.standard_normal((2, 6)).astype(np.float32), rng.uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32))
    return gan, batch


def test_checkpoint_restores_running_statistics_of_layers_kept_in_lists(tmp_path):
    # StackGAN++ keeps its stages, and every batch norm in them, in Python lists, which the
    # tf.train.Checkpoint object graph does not reach: 13 of the generator's 14 batch norms came back
    # from a resume with running statistics 0 / 1.
    import numpy as np

    from zoo.training.callbacks import TrainingCheckpoint

    gan, batch = _tiny_stackgan()
    gan.train_step(batch)
    TrainingCheckpoint(gan, tmp_path).on_epoch_end(0)
    statistics = [v for net in (gan.generator, gan.discriminator) for v in net.non_trainable_variables
                  if "moving_" in v.path]
    assert len(statistics) > 4 and all(np.abs(np.array(v) - float("variance" in v.path)).max() > 0 for v in statistics)

    resumed, _ = _tiny_stackgan()
    assert TrainingCheckpoint(resumed, tmp_path).restore() == 1
    for net, saved in ((resumed.generator, gan.generator), (resumed.discriminator, gan.discriminator)):
        assert len(net.non_trainable_variables) == len(saved.non_trainable_variables)
        for v, w in zip(net.non_trainable_variables, saved.non_trainable_variables):
            np.testing.assert_array_equal(np.array(v), np.array(w), err_msg=w.path)
    for v, w in zip(resumed.generator.trainable_variables, gan.generator.trainable_variables):
        np.testing.assert_array_equal(np.array(v), np.array(w))


def test_checkpoint_written_without_running_statistics_still_restores(tmp_path, capsys):
    import numpy as np
    import tensorflow as tf

    from zoo.training.callbacks import TrainingCheckpoint

    gan, batch = _tiny_stackgan()
    gan.train_step(batch)
    epoch = tf.Variable(3, dtype=tf.int64)
    legacy = tf.train.Checkpoint(generator=gan.generator, discriminator=gan.discriminator,
                                 g_optimizer=gan.g_optimizer, d_optimizer=gan.d_optimizer,
                                 noise_state=gan.seed_generator.state.value, epoch=epoch)
    tf.train.CheckpointManager(legacy, str(tmp_path), max_to_keep=2).save(checkpoint_number=3)
    resumed, _ = _tiny_stackgan()
    assert TrainingCheckpoint(resumed, tmp_path).restore() == 3
    assert "holds no running statistics" in capsys.readouterr().err
    for v, w in zip(resumed.generator.trainable_variables, gan.generator.trainable_variables):
        np.testing.assert_array_equal(np.array(v), np.array(w))
