"""Training curves: history.jsonl in, one PNG with a panel per logged quantity out."""
import json

import numpy as np
import pytest
from PIL import Image

from zoo.training.curves import curve_keys, plot_curves, plot_history, read_history

BLUE = (31, 119, 180)


def write_history(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_read_history_keeps_one_record_per_epoch_in_order(tmp_path):
    path = write_history(tmp_path / "history.jsonl", [
        {"epoch": 2, "g_loss": 3.0}, {"epoch": 1, "g_loss": 5.0},
        {"epoch": 2, "g_loss": 2.5},  # a re-run epoch after an interruption: the last line wins
    ])
    assert [(r["epoch"], r["g_loss"]) for r in read_history(path)] == [(1, 5.0), (2, 2.5)]


@pytest.mark.parametrize("text, message", [
    ('{"epoch": 1}\nnot json\n', "line 2: not JSON"),
    ('{"g_loss": 1.0}\n', "line 1: no 'epoch' field"),
])
def test_read_history_errors_name_the_file_and_line(tmp_path, text, message):
    path = tmp_path / "history.jsonl"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as error:
        read_history(path)
    assert str(path) in str(error.value)
    with pytest.raises(FileNotFoundError, match="history file not found"):
        read_history(tmp_path / "absent.jsonl")


def test_lenient_reading_skips_half_written_lines_and_warns(tmp_path, capsys):
    path = tmp_path / "history.jsonl"
    path.write_text('{"epoch": 1, "g_loss": 2.0}\n{"epoch": 2, "g_lo\n{"epoch": 2, "g_loss": 1.5}\n[1, 2]\n')
    assert [r["epoch"] for r in read_history(path, strict=False)] == [1, 2]
    assert "skipped 2 unreadable line(s) (2, 4)" in capsys.readouterr().err


def test_curve_keys_put_losses_and_diversity_first_and_skip_bookkeeping():
    records = [{"epoch": 1, "zeta": 1.0, "diversity": 0.5, "d_loss": 1.0, "g_loss": 2.0, "collapse_alerts": 0.0,
                "sample_drift": 0.1, "ms_ratio": 0.4, "flag": True, "note": "text"}]
    assert curve_keys(records) == ["d_loss", "g_loss", "ms_ratio", "diversity", "zeta"]


def test_plot_draws_one_panel_per_quantity(tmp_path):
    records = [{"epoch": e, "d_loss": 1.0 + 0.1 * e, "g_loss": 3.0 - 0.2 * e, "diversity": 0.5} for e in range(1, 7)]
    path = plot_history(write_history(tmp_path / "h.jsonl", records), tmp_path / "curves.png", title="t",
                        columns=2, panel=(300, 120))
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB"))
    assert pixels.shape[:2] == (22 + 2 * 120 + 4, 2 * 300 + 8)  # 3 panels on 2 rows of 2
    blue = np.all(pixels == BLUE, axis=-1)
    for column, row in ((0, 0), (1, 0), (0, 1)):  # a line in every used panel (the constant one too)
        panel = blue[22 + row * 120:22 + (row + 1) * 120, 4 + column * 300:4 + (column + 1) * 300]
        assert panel.sum() > 100
    assert not blue[22 + 120:, 4 + 300:].any()  # the fourth slot stays empty
    # d_loss rises: its line ends higher (smaller y) than it starts.
    d_panel = blue[22:22 + 120, 4:4 + 300]
    ys, xs = np.nonzero(d_panel)
    assert ys[xs == xs.max()].mean() < ys[xs == xs.min()].mean()


def test_plot_handles_one_epoch_and_refuses_nothing(tmp_path):
    plot_curves([{"epoch": 1, "g_loss": 2.0}], tmp_path / "one.png")
    assert (tmp_path / "one.png").is_file()
    with pytest.raises(ValueError, match="nothing to plot"):
        plot_curves([{"epoch": 1, "note": "x"}], tmp_path / "none.png")
