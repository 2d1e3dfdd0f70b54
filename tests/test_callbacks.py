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
