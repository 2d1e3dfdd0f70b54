"""Training curves as one PNG: a panel per logged quantity, epoch on the x axis.

``fit.py`` draws ``curves.png`` from ``history.jsonl`` (all epochs, resumed runs included) when it
publishes a model, and the model card shows it: losses, the MS ratio and the ModeCollapseMonitor's
diversity at a glance, without starting TensorBoard.

    python -c "from zoo.training.curves import plot_history; plot_history('runs/NAME/history.jsonl', 'curves.png')"

:func:`plot_panels` draws several named series per panel with a legend (``compare_reports.py``'s
metrics across checkpoints, one line per model).
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
# Series colours in order of appearance (matplotlib's first four), and the reference series' gray.
COLORS = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40))
REFERENCE_COLOR = (150, 150, 150)


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
        _panel(draw, key, [(key, points, COLORS[0])], x0, y0, width, height)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def plot_panels(panels, path, title=None, columns=2, panel=(360, 150), x_labels=None, reference=None):
    """Several named series per panel (e.g. two models across checkpoints), with a colour legend.

    Args:
        panels: ``[(panel title, {series name: [(x, y), ...]})]``; a series keeps its colour in
            every panel (the order of first appearance picks it).
        path, title, columns, panel: as in :func:`plot_curves`.
        x_labels: ``{x: text}`` written under the x axis at those positions (default: the
            first and last x).
        reference: the name of a series drawn gray, the level to compare with (e.g. the
            training images' own diversity).
    """
    from PIL import Image, ImageDraw

    if not panels:
        raise ValueError("nothing to plot: no panels")
    names = list(dict.fromkeys(name for _, series in panels for name in series))
    palette = iter(COLORS)
    colours = {name: REFERENCE_COLOR if name == reference else next(palette, (0, 0, 0)) for name in names}
    width, height = panel
    rows = math.ceil(len(panels) / columns)
    top = (22 if title else 4) + 16
    image = Image.new("RGB", (columns * width + 8, top + rows * height + 4), "white")
    draw = ImageDraw.Draw(image)
    if title:
        draw.text((6, 4), title, fill="black")
    x = 6
    for name in names:  # the legend: one coloured name per series
        draw.rectangle([x, top - 12, x + 8, top - 4], fill=colours[name])
        draw.text((x + 12, top - 15), name, fill="black")
        x += 24 + int(draw.textlength(name))
    for i, (key, series) in enumerate(panels):
        x0, y0 = 4 + (i % columns) * width, top + (i // columns) * height
        _panel(draw, key, [(name, points, colours[name]) for name, points in series.items()], x0, y0, width, height,
               x_labels)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def plot_history(history_path, path, strict=True, **kwargs):
    """:func:`plot_curves` of a ``history.jsonl`` file (``strict``: see :func:`read_history`)."""
    return plot_curves(read_history(history_path, strict=strict), path, **kwargs)


def _panel(draw, key, series, x0, y0, width, height, x_labels=None):
    """One panel: ``series`` is ``[(name, [(x, y), ...], colour)]`` on shared axes (non-finite y skipped)."""
    left, right, top, bottom = 52, 10, 16, 18
    ax0, ay0, ax1, ay1 = x0 + left, y0 + top, x0 + width - right, y0 + height - bottom
    draw.text((ax0, y0 + 2), key, fill="black")
    draw.line([ax0, ay0, ax0, ay1, ax1, ay1], fill=(90, 90, 90))
    series = [(name, [(float(e), float(v)) for e, v in points if math.isfinite(float(v))], colour)
              for name, points, colour in series]
    everything = [p for _, points, _ in series for p in points]
    if not everything:
        draw.text((ax0 + 6, ay0 + 6), "no finite values", fill=(150, 150, 150))
        return
    epochs = np.array([p[0] for p in everything], float)
    values = np.array([p[1] for p in everything], float)
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-12:
        low, high = low - 0.5 * (abs(low) or 1.0), high + 0.5 * (abs(high) or 1.0)
    first, last = float(epochs.min()), float(epochs.max())
    span = (last - first) or 1.0
    for label, y in ((high, ay0), (low, ay1)):
        draw.text((x0 + 2, y - 6), f"{label:.4g}", fill="black")
    to_x = (lambda e: ax0 + (e - first) / span * (ax1 - ax0)) if last > first else (lambda e: (ax0 + ax1) / 2)
    if x_labels:
        for e, text in x_labels.items():
            draw.text((to_x(float(e)) - 3 * len(str(text)), ay1 + 3), str(text), fill="black")
    else:
        draw.text((ax0, ay1 + 3), f"{first:g}", fill="black")
        draw.text((ax1 - 24, ay1 + 3), f"{last:g}", fill="black")
    for _, points, colour in series:
        if not points:
            continue
        xs = np.array([to_x(p[0]) for p in points], float)
        ys = ay1 - (np.array([p[1] for p in points], float) - low) / (high - low) * (ay1 - ay0)
        if len(xs) > 1:
            draw.line(list(zip(xs.tolist(), ys.tolist())), fill=colour, width=2)
        for x, y in zip(xs.tolist(), ys.tolist()):
            draw.ellipse([x - 1.5, y - 1.5, x + 1.5, y + 1.5], fill=colour)
