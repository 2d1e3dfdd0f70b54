"""An evaluation report as text: console and Markdown tables, per-class tables, card body, NDB plots.

A report is what :func:`zoo.training.evaluation.protocols.evaluate_models` returns (and
``evaluate.py --json`` writes): ``{"protocol": {...}, "models": {name: results}, "reference": ...}``.
"""
from pathlib import Path

import numpy as np

from zoo.training.evaluation.presets import OWN_CHOICES, PRESETS
from zoo.training.evaluation.protocols import REFERENCE, LabelProtocol
from zoo.metrics.ndb import plot_bin_centers, plot_bin_proportions


def model_labels(names):
    """Table names of models given by zoo name or directory: a directory's name, not its path
    (``runs/a/msgan_x`` -> ``msgan_x``), unless two models would then share a name."""
    short = [Path(name).name or name for name in names]
    return short if len(set(short)) == len(short) else list(names)


def table_columns(report):
    """``[(name, results)]``: every model, then the training images' own figures where measured.

    A model given as a directory is named by the directory alone (``runs/a/msgan_x`` -> ``msgan_x``)
    unless two models would then share a name; the JSON report keeps what was passed.
    """
    columns = list(zip(model_labels(report["models"]), report["models"].values()))
    if "reference" in report:
        columns.append((REFERENCE, report["reference"]))
    return columns


def format_table(report):
    """Console table: one row per metric (its protocol in the row name), one column per model.

    A last column gives the training images' own diversity (label task) as the level to compare with.
    """
    rows = report["protocol"]["rows"]
    columns = table_columns(report)
    models = [name for name, _ in columns]
    widths = [max(len(m), 10) for m in models]
    lines = [" | ".join(["metric (protocol)".ljust(60)] + [m.rjust(w) for m, w in zip(models, widths)])]
    lines.append("-" * len(lines[0]))
    for key, label in rows.items():
        values = [results["metrics"].get(key) for _, results in columns]
        cells = [("-" if v is None else f"{v:.4f}").rjust(w) for v, w in zip(values, widths)]
        lines.append(" | ".join([label.ljust(60)] + cells) if len(label) <= 60 else
                     label + "\n" + " | ".join([" " * 60] + cells))
    return "\n".join(lines)


def markdown_table(report):
    columns = table_columns(report)
    lines = ["| metric (protocol) | " + " | ".join(m if m == REFERENCE else f"`{m}`" for m, _ in columns) + " |",
             "|---|" + "---|" * len(columns)]
    for key, label in report["protocol"]["rows"].items():
        values = [results["metrics"].get(key) for _, results in columns]
        lines.append(f"| {label} | " + " | ".join("-" if v is None else f"{v:.4f}" for v in values) + " |")
    return "\n".join(lines)


PER_CLASS_COLUMNS = (("fid", "FID"), ("lpips", "LPIPS"), ("ndb", "NDB"), ("jsd", "JSD"), ("l1_diversity", "L1 div."),
                     ("saturation", "sat."))


def per_class_markdown(report):
    """Label preset: one row per class, each metric side by side for every model ('' otherwise).

    The means in the main table hide where models differ; e.g. one class with a far higher FID.
    Diversity columns end with the class's training images ("train") as the level to compare with.
    """
    if report["protocol"]["preset"] != "label":
        return ""
    sources = table_columns(report)
    first = sources[0][1]["per_condition"]
    # (metric, column header, per-class rows) for every model, then the training images where measured.
    cells = [(key, f"{title} train" if name == REFERENCE else f"{title} `{name}`",
              results["per_condition"])
             for key, title in PER_CLASS_COLUMNS if key in first[0]
             for name, results in sources if key in results["per_condition"][0]]
    lines = ["| class | " + " | ".join(header for _, header, _ in cells) + " |", "|---|" + "---|" * len(cells)]
    for c, row in enumerate(first):
        text = [str(rows[c][key]) if key == "ndb" else f"{rows[c][key]:.4f}" for key, _, rows in cells]
        lines.append(f"| {row['class']} | " + " | ".join(text) + " |")
    return "\n".join(lines)


def paper_deviations(protocol):
    """``"k 10 (paper 100), ..."`` for every count that differs from the preset's paper value
    (``(preset 20)`` for a value the paper does not give, :data:`presets.OWN_CHOICES`)."""
    preset = protocol["preset"]
    own = OWN_CHOICES.get(preset, ())
    changed = [f"{key.replace('_', ' ')} {protocol[key]} ({'preset' if key in own else 'paper'} {value})"
               for key, value in PRESETS[preset].items() if key in protocol and protocol[key] != value]
    return ", ".join(changed)


def card_body(report, command, machine):
    protocol = report["protocol"]
    deviations = paper_deviations(protocol)
    note = f" Counts differ from the paper's: {deviations}." if deviations else ""
    summary = f"\n\n{protocol['summary']}" if protocol.get("summary") else ""
    per_class = per_class_markdown(report)
    per_class = f"\n\nPer class (the same run; NDB = different bins of K={protocol['k']}):\n\n{per_class}" if per_class else ""
    return (f"Measured with `{command}` on {machine}.\n\n"
            f"Protocol `{protocol['preset']}`; every model scored against the same reference statistics and "
            f"NDB bins (seed {protocol['seed']}).{note}{summary}\n\n{markdown_table(report)}{per_class}")


def write_plots(report, protocol, plot_dir):
    """Per class (label) or once (image/text): the bin-proportion chart and the bin-centre picture."""
    plot_dir = Path(plot_dir)
    models = list(report["models"])
    labels = [Path(m).name or m for m in models]  # a model directory's name, not its whole path
    keys = ("train_proportions", "generated_proportions", "different_bins")
    if isinstance(protocol, LabelProtocol):
        for c, name in enumerate(protocol.class_names):
            results = [{k: np.asarray(report["models"][m]["per_condition"][c][k]) for k in keys} for m in models]
            title = f"class {name}: K={protocol.k} bins, train vs generated"
            plot_bin_proportions(results, plot_dir / f"ndb_class_{name}.png", title=title, labels=labels)
            plot_bin_centers(protocol.bins[c], results, plot_dir / f"ndb_centers_class_{name}.png",
                             protocol.image_shape, title=f"class {name}: K={protocol.k} bins", labels=labels,
                             scale=max(1, 96 // protocol.image_shape[1]))
    else:
        results = [{k: np.asarray(report["models"][m]["ndb_bins"][k]) for k in keys} for m in models]
        title = f"{protocol.name}: K={protocol.k} bins"
        plot_bin_proportions(results, plot_dir / "ndb.png", title=title, labels=labels)
        plot_bin_centers(protocol.bins, results, plot_dir / "ndb_centers.png", protocol.image_shape, title=title,
                         labels=labels, scale=max(1, 96 // protocol.image_shape[1]))
