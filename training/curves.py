"""Training curves as one PNG: a panel per logged quantity, epoch on the x axis.

``fit.py`` draws ``curves.png`` from ``history.jsonl`` (all epochs, resumed runs included) when it
publishes a model, and the model card shows it: losses, the MS ratio and the ModeCollapseMonitor's
diversity at a glance, without starting TensorBoard.

    python -c "from training.curves import plot_history; plot_history('runs/NAME/history.jsonl', 'curves.png')"
"""
import json
import math
import sys
from pathlib import Path

import numpy as np

# Shown first when present, in this order; other numeric keys follow alphabetically.
PREFERRED = ("d_loss", "g_loss", "g_l1", "ms_ratio", "diversity", "diversity_min")
# Bookkeeping, not curves.
SKIPPED = ("epoch", "collapse_alerts", "sample_drift", "learning_rate", "lr")


def read_history(path, strict=True):
    """The records of a ``history.jsonl``, one per epoch (the last line of an epoch wins), sorted.

    ``strict=False`` skips lines that are not a JSON record with an ``epoch`` (e.g. half a line
    left by a run killed while writing) and warns once on stderr, instead of raising.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"history file not found: {path}")
    by_epoch, skipped = {}, []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            problem = None if isinstance(record, dict) and "epoch" in record else "no 'epoch' field"
        except json.JSONDecodeError as error:
            problem = f"not JSON ({error.msg})"
        if problem is not None:
            if strict:
                raise ValueError(f"{path}, line {number}: {problem}")
            skipped.append(number)
            continue
        by_epoch[int(record["epoch"])] = record
    if skipped:
        print(f"warning: {path}: skipped {len(skipped)} unreadable line(s) ({', '.join(map(str, skipped[:5]))})",
              file=sys.stderr)
    return [by_epoch[e] for e in sorted(by_epoch)]


def curve_keys(records):
    """The numeric keys worth a panel: :data:`PREFERRED` first, then the rest alphabetically."""
    present = {k for r in records for k, v in r.items()
               if k not in SKIPPED and isinstance(v, (int, float)) and not isinstance(v, bool)}
    return [k for k in PREFERRED if k in present] + sorted(present - set(PREFERRED))


def plot_curves(records, path, keys=None, title=None, columns=2, panel=(360, 150)):
    """Draw ``records`` (dicts with ``epoch``) as a grid of line panels; returns ``path``.

    Args:
        records: per-epoch logs, e.g. :func:`read_history`'s.
        path: output ``.png``.
        keys: the quantities to draw (default :func:`curve_keys`).
        title: a line above the panels.
        columns: panels per row.
        panel: ``(width, height)`` of one panel in pixels.
    """
    from PIL import Image, ImageDraw

    records = sorted(records, key=lambda r: r["epoch"])
    keys = list(keys) if keys is not None else curve_keys(records)
    if not records or not keys:
        raise ValueError("nothing to plot: no epochs or no numeric quantities in the records")
    width, height = panel
    rows = math.ceil(len(keys) / columns)
    top = 22 if title else 4
    image = Image.new("RGB", (columns * width + 8, top + rows * height + 4), "white")
    draw = ImageDraw.Draw(image)
    if title:
        draw.text((6, 4), title, fill="black")
    for i, key in enumerate(keys):
        x0, y0 = 4 + (i % columns) * width, top + (i // columns) * height
        points = [(r["epoch"], float(r[key])) for r in records if isinstance(r.get(key), (int, float))]
        points = [(e, v) for e, v in points if math.isfinite(v)]
        _panel(draw, key, points, x0, y0, width, height)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def plot_history(history_path, path, strict=True, **kwargs):
    """:func:`plot_curves` of a ``history.jsonl`` file (``strict``: see :func:`read_history`)."""
    return plot_curves(read_history(history_path, strict=strict), path, **kwargs)


def _panel(draw, key, points, x0, y0, width, height):
    left, right, top, bottom = 52, 10, 16, 18
    ax0, ay0, ax1, ay1 = x0 + left, y0 + top, x0 + width - right, y0 + height - bottom
    draw.text((ax0, y0 + 2), key, fill="black")
    draw.line([ax0, ay0, ax0, ay1, ax1, ay1], fill=(90, 90, 90))
    if not points:
        draw.text((ax0 + 6, ay0 + 6), "no finite values", fill=(150, 150, 150))
        return
    epochs = np.array([p[0] for p in points], float)
    values = np.array([p[1] for p in points], float)
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-12:
        low, high = low - 0.5 * (abs(low) or 1.0), high + 0.5 * (abs(high) or 1.0)
    first, last = float(epochs.min()), float(epochs.max())
    span = (last - first) or 1.0
    xs = ax0 + (epochs - first) / span * (ax1 - ax0) if last > first else np.full(len(epochs), (ax0 + ax1) / 2)
    ys = ay1 - (values - low) / (high - low) * (ay1 - ay0)
    for label, y in ((high, ay0), (low, ay1)):
        draw.text((x0 + 2, y - 6), f"{label:.4g}", fill="black")
    draw.text((ax0, ay1 + 3), f"{first:g}", fill="black")
    draw.text((ax1 - 24, ay1 + 3), f"{last:g}", fill="black")
    color = (31, 119, 180)
    if len(xs) > 1:
        draw.line(list(zip(xs.tolist(), ys.tolist())), fill=color, width=2)
    for x, y in zip(xs.tolist(), ys.tolist()):
        draw.ellipse([x - 1.5, y - 1.5, x + 1.5, y + 1.5], fill=color)
