"""ModeCollapseMonitor: a generator that ignores z is flagged, a healthy one is not."""
import numpy as np
import pytest

from zoo.training.monitor import ModeCollapseMonitor, oscillation
from zoo.lab.gan2d import GAN2DConfig
from zoo.lab.harness import train_gan2d
from zoo.lab.toy import get_mixture

NZ, CLASSES = 6, 3


class ScaledNoiseGenerator:
    """``G([one_hot, z]) = one_hot @ A + noise_scale * z @ B``: noise_scale 0 ignores z."""

    def __init__(self, noise_scale=1.0):
        rng = np.random.default_rng(0)
        self.a = rng.standard_normal((CLASSES, 4, 4, 1)).reshape(CLASSES, -1).astype(np.float32)
        self.b = rng.standard_normal((NZ, 16)).astype(np.float32) * 0.3
        self.noise_scale = noise_scale

    def __call__(self, inputs, training=False):
        condition, z = inputs
        out = np.tanh(condition @ self.a + self.noise_scale * (z @ self.b))
        return out.reshape(-1, 4, 4, 1)


class FakeZooModel:
    """What the monitor needs from a zoo model: ``.generator`` and ``.nz``."""

    def __init__(self, generator):
        self.generator = generator
        self.nz = NZ


def run_epochs(monitor, model, epochs, noise_scales=None, losses=None):
    monitor.set_model(model)
    monitor.on_train_begin()
    logs_per_epoch = []
    for epoch in range(epochs):
        if noise_scales is not None:
            model.generator.noise_scale = noise_scales[epoch]
        logs = dict(losses[epoch]) if losses is not None else {"d_loss": 1.3, "g_loss": 0.7}
        monitor.on_epoch_end(epoch, logs)
        logs_per_epoch.append(logs)
    return logs_per_epoch


def _monitor(**kwargs):
    return ModeCollapseMonitor(np.eye(CLASSES, dtype=np.float32), samples_per_condition=6, verbose=0, **kwargs)


def test_healthy_generator_raises_no_alert():
    monitor = _monitor(min_diversity=0.05)
    logs = run_epochs(monitor, FakeZooModel(ScaledNoiseGenerator(1.0)), 4)
    assert monitor.alerts == []
    assert logs[-1]["diversity"] > 0.1
    assert logs[-1]["collapse_alerts"] == 0.0


def test_generator_that_ignores_z_is_flagged_as_low_diversity():
    monitor = _monitor(min_diversity=0.05)
    logs = run_epochs(monitor, FakeZooModel(ScaledNoiseGenerator(0.0)), 2)
    assert logs[0]["diversity"] == 0.0
    assert [kind for _, kind, _ in monitor.alerts] == ["low_diversity", "low_diversity"]
    assert logs[0]["collapse_alerts"] == 1.0


def test_collapse_relative_to_the_early_value_is_flagged():
    monitor = _monitor()  # no absolute threshold: only the relative drop can fire
    run_epochs(monitor, FakeZooModel(ScaledNoiseGenerator()), 4, noise_scales=[1.0, 0.8, 0.1, 0.01])
    kinds = [(epoch, kind) for epoch, kind, _ in monitor.alerts]
    assert kinds == [(3, "collapse"), (4, "collapse")]
    assert monitor.history["diversity"][0] > 10 * monitor.history["diversity"][-1]


def test_zig_zag_losses_are_flagged_as_mode_hopping():
    zig_zag = [{"d_loss": 0.4 if e % 2 else 1.6, "g_loss": 2.5 if e % 2 else 0.6} for e in range(6)]
    smooth = [{"d_loss": 1.4 - 0.02 * e, "g_loss": 0.7 + 0.01 * e} for e in range(6)]
    monitor = _monitor(oscillation_window=5)
    run_epochs(monitor, FakeZooModel(ScaledNoiseGenerator()), 6, losses=zig_zag)
    assert {kind for _, kind, _ in monitor.alerts} == {"oscillation"}
    assert any("g_loss" in message for _, _, message in monitor.alerts)
    calm = _monitor(oscillation_window=5)
    run_epochs(calm, FakeZooModel(ScaledNoiseGenerator()), 6, losses=smooth)
    assert calm.alerts == []


def test_oscillation_score():
    assert oscillation([1, 2, 1, 2, 1]) == (1.0, pytest.approx(1 / 1.4))
    assert oscillation([3, 2, 1, 0.5])[0] == 0.0
    with pytest.raises(ValueError, match=">= 3"):
        oscillation([1, 2])


def test_warning_is_printed_in_the_progress_output(capsys):
    monitor = ModeCollapseMonitor(np.eye(CLASSES), samples_per_condition=4, min_diversity=0.05, verbose=1)
    run_epochs(monitor, FakeZooModel(ScaledNoiseGenerator(0.0)), 1)
    assert "ModeCollapseMonitor epoch 1: WARNING within-condition diversity" in capsys.readouterr().out


def test_tensorboard_scalars_and_image_grid_are_written(tmp_path):
    monitor = _monitor(log_dir=tmp_path / "tb")
    run_epochs(monitor, FakeZooModel(ScaledNoiseGenerator()), 2)
    monitor.on_train_end()
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(tmp_path / "tb"), size_guidance={"tensors": 0}).Reload()
    tags = set(events.Tags()["tensors"])
    assert {"mode_collapse/diversity", "mode_collapse/fixed_noise_samples"} <= tags
    assert len(events.Tensors("mode_collapse/diversity")) == 2


def test_monitor_runs_inside_fit_of_a_zoo_gan_and_logs_to_history():
    monitor = ModeCollapseMonitor(np.zeros((1, 0), np.float32), samples_per_condition=16, verbose=0)
    config = GAN2DConfig(nz=8, g_hidden=(16,), d_hidden=(16,), batch_size=16, steps=4)
    _, info = train_gan2d(config, get_mixture("ring8"), callbacks=[monitor], steps_per_execution=2)
    assert info["history"]["diversity"][0] > 0
    assert "collapse_alerts" in info["history"]


def test_a_resumed_monitor_keeps_the_runs_early_value_and_measures_drift_across_the_restart():
    model = FakeZooModel(ScaledNoiseGenerator(1.0))
    first = _monitor()
    logs = run_epochs(first, model, 2, noise_scales=[0.8, 0.9])
    records = [{"epoch": e + 1, **log} for e, log in enumerate(logs)]
    # The first epoch's drift is measured from the generator as training began (scale 1.0).
    assert records[0]["sample_drift"] > 0

    # A new process at epoch 3 whose generator has collapsed to 5 % of the early noise.
    model.generator.noise_scale = 0.05
    resumed = _monitor()
    assert resumed.resume_from(records) == 2
    resumed.set_model(model)
    resumed.on_train_begin()
    resumed.on_epoch_end(2, {"d_loss": 1.3, "g_loss": 0.7})
    assert [(epoch, kind) for epoch, kind, _ in resumed.alerts] == [(3, "collapse")]
    assert resumed.history["diversity"][:2] == first.history["diversity"]
    # The generator did not change since the restart: the drift is measured, and it is 0.
    assert resumed.history["sample_drift"][-1] == 0.0
    assert resumed.history["sample_drift"][:2] == [records[0]["sample_drift"], records[1]["sample_drift"]]

    # Without the records, the collapsed generator's own first epoch is the reference: no alert.
    fresh = _monitor()
    run_epochs(fresh, model, 1)
    assert fresh.alerts == []


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="samples_per_condition"):
        ModeCollapseMonitor(np.eye(2), samples_per_condition=1)
    with pytest.raises(ValueError, match="collapse_ratio"):
        ModeCollapseMonitor(np.eye(2), collapse_ratio=1.5)
    with pytest.raises(ValueError, match="conditions"):
        ModeCollapseMonitor(np.zeros(3))
