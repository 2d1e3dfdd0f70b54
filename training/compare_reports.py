"""Put several ``evaluate.py --json`` reports side by side: checkpoints of one run, seeds, protocols.

``evaluate.py`` scores models side by side within one report (same reference statistics, same NDB
bins). This reads several such reports and prints, as Markdown:

* one row per report and model with the protocol's metrics (and the training images' own
  diversity where the report measured it), then the protocol counts that differ between reports;
* ``--per-class METRIC ...`` (label preset): one row per class, every report's models side by
  side, and in how many classes the report's last model (``--model``) beats its first
  (``--baseline``), in the metric's own direction;
* ``--plot PNG``: one panel per metric, a line per model position across the reports (x = the
  report labels when they are numbers, e.g. epochs; else their order).

    # the CIFAR-10 pair at kept checkpoints (interim generators) and at the shipped epoch 45
    python training/compare_reports.py 24=runs/eval_e24.json 30=runs/eval_e30.json \\
        36=runs/eval_e36.json 45=runs/eval_e45.json --per-class lpips ndb --plot runs/eval_trend.png

A report is given as ``LABEL=PATH`` or as ``PATH`` (labelled by its file name). Every report must
come from the same preset with the same number of models (baseline first, as evaluate.py writes).
"""
import argparse
import json
import sys
from pathlib import Path

from zoo.training.curves import plot_panels
from zoo.training.evaluation.protocols import REFERENCE
from zoo.training.evaluation.report import model_labels

# (key, column title, direction: +1 higher is better, -1 lower is better, 0 neither)
METRICS = (("fid", "FID", -1), ("kid", "KID", -1), ("lpips", "LPIPS", +1), ("ndb", "NDB", -1),
           ("jsd", "JSD", -1), ("l1_diversity", "L1 div.", +1), ("colour_l1", "colour L1", 0),
           ("residual_l1", "structure L1", 0), ("saturation", "sat.", 0))
TITLES = {key: title for key, title, _ in METRICS}
DIRECTIONS = {key: direction for key, _, direction in METRICS}
DEFAULT_METRICS = ("fid", "kid", "lpips", "ndb", "jsd", "l1_diversity", "saturation")
# Protocol entries worth a note when they differ between reports (they change what a figure means).
PROTOCOL_KEYS = ("preset", "features", "lpips", "samples_per_class", "conditions", "samples_per_condition",
                 "lpips_pairs", "k", "ndb_n_init", "alpha", "seed")


def parse_spec(spec):
    """``"LABEL=PATH"`` -> ``(LABEL, PATH)``; a bare path (or one whose name holds ``=``) is labelled by its stem."""
    label, sep, path = spec.partition("=")
    if not sep or not label or Path(spec).is_file():
        return Path(spec).stem, Path(spec)
    return label, Path(path)


def load_report(path):
    """An ``evaluate.py --json`` report; a one-line error naming ``path`` for anything else."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"report not found: {path}")
    try:
        report = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: not JSON ({getattr(error, 'msg', error)})") from None
    if not isinstance(report, dict) or not isinstance(report.get("models"), dict) or "protocol" not in report:
        raise ValueError(f"{path}: not an evaluate.py report (needs 'protocol' and 'models')")
    if not report["models"]:
        raise ValueError(f"{path}: the report holds no models")
    return report


def load_reports(specs):
    """``[(label, report)]`` for ``LABEL=PATH`` specs, checked to be comparable (same preset, same model count)."""
    reports = [(label, load_report(path)) for label, path in map(parse_spec, specs)]
    labels = [label for label, _ in reports]
    if len(set(labels)) < len(labels):
        raise ValueError(f"two reports share a label: {', '.join(labels)} (name them LABEL=PATH)")
    first_label, first = reports[0]
    for label, report in reports[1:]:
        if report["protocol"].get("preset") != first["protocol"].get("preset"):
            raise ValueError(f"reports mix presets: {first['protocol'].get('preset')} ({first_label}) and "
                             f"{report['protocol'].get('preset')} ({label})")
        if len(report["models"]) != len(first["models"]):
            raise ValueError(f"reports hold different numbers of models: {len(first['models'])} ({first_label}) "
                             f"and {len(report['models'])} ({label})")
    return reports


def short_names(report):
    """The report's model names as evaluate.py's tables show them: a directory's name, not its path."""
    return model_labels(report["models"])


def present_metrics(reports, metrics=None):
    """``metrics`` (default :data:`DEFAULT_METRICS`) that at least one model of one report has."""
    wanted = list(metrics) if metrics else list(DEFAULT_METRICS)
    unknown = [m for m in wanted if not any(m in r["metrics"] for _, rep in reports for r in rep["models"].values())]
    if metrics and unknown:
        raise ValueError(f"metric {unknown[0]!r} is in none of the reports; known: "
                         f"{', '.join(sorted({k for _, rep in reports for r in rep['models'].values() for k in r['metrics']}))}")
    return [m for m in wanted if m not in unknown]


def _cell(value, key):
    if value is None:
        return "-"
    return f"{value:.1f}" if key == "ndb" else f"{value:.4f}"


def summary_table(reports, metrics):
    """Markdown: a row per report and model (then the training images where measured), a column per metric."""
    lines = ["| report | model | " + " | ".join(TITLES.get(m, m) for m in metrics) + " |",
             "|---|---|" + "---|" * len(metrics)]
    for label, report in reports:
        sources = list(zip(short_names(report), report["models"].values()))
        reference = report.get("reference", {}).get("metrics", {})
        if any(m in reference for m in metrics):
            sources.append((REFERENCE, {"metrics": reference}))
        for name, results in sources:
            shown = name if name == REFERENCE else f"`{name}`"
            lines.append(f"| {label} | {shown} | " +
                         " | ".join(_cell(results["metrics"].get(m), m) for m in metrics) + " |")
    return "\n".join(lines)


def protocol_differences(reports):
    """``"lpips_pairs: 50 (45-old), 500 (24, 30)"`` lines for every protocol entry that is not the same everywhere."""
    lines = []
    for key in PROTOCOL_KEYS:
        values = {}
        for label, report in reports:
            values.setdefault(json.dumps(report["protocol"].get(key)), []).append(label)
        if len(values) > 1:
            lines.append(f"{key}: " + "; ".join(f"{json.loads(v)} ({', '.join(labels)})" for v, labels in values.items()))
    return lines


def _classes(label, report):
    rows = report["models"][next(iter(report["models"]))].get("per_condition")
    if report["protocol"].get("preset") != "label" or not isinstance(rows, list) or not rows or "class" not in rows[0]:
        raise ValueError(f"per-class tables need label-preset reports; {label} is '{report['protocol'].get('preset')}'")
    return [row["class"] for row in rows]


def per_class_table(reports, metric):
    """Markdown: a row per class (and their mean), a column per report and model, then the training images."""
    classes = _classes(*reports[0])
    columns = []  # (header, per-class rows)
    for label, report in reports:
        if _classes(label, report) != classes:
            raise ValueError(f"{label} has other classes than {reports[0][0]}")
        for name, results in zip(short_names(report), report["models"].values()):
            if metric in results["per_condition"][0]:
                columns.append((f"{label} `{name}`", results["per_condition"]))
        reference = report.get("reference", {}).get("per_condition") or []
        if reference and metric in reference[0]:
            columns.append((f"{label} train", reference))
    if not columns:
        raise ValueError(f"no report has a per-class {metric!r}")
    lines = [f"| {TITLES.get(metric, metric)} per class | " + " | ".join(h for h, _ in columns) + " |",
             "|---|" + "---|" * len(columns)]
    for c, name in enumerate(classes):
        lines.append(f"| {name} | " + " | ".join(_cell(rows[c][metric], metric) for _, rows in columns) + " |")
    means = [sum(row[metric] for row in rows) / len(rows) for _, rows in columns]
    lines.append("| **mean** | " + " | ".join(_cell(m, metric) for m in means) + " |")
    return "\n".join(lines)


def class_wins(report, metric):
    """``(classes where the last model beats the first, classes)`` in ``metric``'s direction; None if it has none.

    evaluate.py lists ``--baseline`` first and ``--model`` last, so this counts the classes where
    the model beats its baseline (ties count for neither).
    """
    direction = DIRECTIONS.get(metric, 0)
    models = list(report["models"].values())
    if direction == 0 or len(models) < 2 or metric not in models[0]["per_condition"][0]:
        return None
    first, last = models[0]["per_condition"], models[-1]["per_condition"]
    wins = sum(direction * (b[metric] - a[metric]) > 0 for a, b in zip(first, last))
    return wins, len(first)


def wins_table(reports, metrics):
    """Markdown: per metric, in how many classes each report's last model beats its first."""
    lines = ["| classes where the last model beats the first | " + " | ".join(label for label, _ in reports) + " |",
             "|---|" + "---|" * len(reports)]
    for metric in metrics:
        counts = [class_wins(report, metric) for _, report in reports]
        if all(c is None for c in counts):
            continue
        better = "higher" if DIRECTIONS[metric] > 0 else "lower"
        lines.append(f"| {TITLES.get(metric, metric)} ({better} is better) | " +
                     " | ".join("-" if c is None else f"{c[0]} of {c[1]}" for c in counts) + " |")
    return "\n".join(lines) if len(lines) > 2 else ""


def trend_positions(labels):
    """The reports' x positions: their labels as numbers when all are numbers, else 0, 1, 2, ..."""
    try:
        return [float(label) for label in labels]
    except ValueError:
        return list(range(len(labels)))


def plot_trends(reports, path, metrics, names=None):
    """PNG: a panel per metric, a line per model position across the reports (+ training images, gray)."""
    xs = trend_positions([label for label, _ in reports])
    names = list(names) if names else short_names(reports[-1][1])
    if len(names) != len(reports[-1][1]["models"]):
        raise ValueError(f"--names needs {len(reports[-1][1]['models'])} names (one per model), got {len(names)}")
    panels = []
    for metric in metrics:
        series = {name: [] for name in names}
        series[REFERENCE] = []
        for x, (_, report) in zip(xs, reports):
            for name, results in zip(names, report["models"].values()):
                if metric in results["metrics"]:
                    series[name].append((x, results["metrics"][metric]))
            reference = report.get("reference", {}).get("metrics", {})
            if metric in reference:
                series[REFERENCE].append((x, reference[metric]))
        if not series[REFERENCE]:
            del series[REFERENCE]
        better = {1: " (higher is better)", -1: " (lower is better)"}.get(DIRECTIONS.get(metric, 0), "")
        panels.append((TITLES.get(metric, metric) + better, series))
    labels = ", ".join(label for label, _ in reports)
    x_labels = {x: label for x, (label, _) in zip(xs, reports)}
    return plot_panels(panels, path, title=f"evaluate.py reports {labels}", x_labels=x_labels,
                       reference=REFERENCE)


def build_text(reports, metrics, per_class=()):
    parts = [summary_table(reports, metrics)]
    differences = protocol_differences(reports)
    if differences:
        parts.append("Protocols differ between reports:\n" + "\n".join(f"- {line}" for line in differences))
    for metric in per_class:
        parts.append(per_class_table(reports, metric))
    if per_class:
        table = wins_table(reports, [m for m in metrics if DIRECTIONS.get(m, 0)])
        if table:
            parts.append(table)
    return "\n\n".join(parts) + "\n"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python training/compare_reports.py",
                                     description="Put several evaluate.py --json reports side by side.",
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("reports", nargs="+", metavar="[LABEL=]REPORT.json")
    parser.add_argument("--metrics", nargs="+", metavar="METRIC",
                        help=f"columns and panels (default: {' '.join(DEFAULT_METRICS)}, those present)")
    parser.add_argument("--per-class", nargs="+", default=[], metavar="METRIC",
                        help="label preset: a per-class table of each METRIC, and per-class win counts")
    parser.add_argument("--plot", help="PNG: a panel per metric across the reports")
    parser.add_argument("--names", nargs="+", help="the plot's series names, one per model (default: the last report's)")
    parser.add_argument("--markdown", help="also write the tables to this file")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        reports = load_reports(args.reports)
        metrics = present_metrics(reports, args.metrics)
        unknown = [m for m in args.per_class if m not in TITLES]
        if unknown:
            raise ValueError(f"unknown --per-class metric {unknown[0]!r}; known: {', '.join(TITLES)}")
        text = build_text(reports, metrics, args.per_class)
        if args.plot:
            plot_trends(reports, args.plot, metrics, args.names)
    except (ValueError, OSError) as error:
        return _error(error)
    print(text, end="")
    if args.plot:
        print(f"wrote {args.plot}")
    if args.markdown:
        try:
            Path(args.markdown).parent.mkdir(parents=True, exist_ok=True)
            Path(args.markdown).write_text(text)
        except OSError as error:  # the tables are printed above: nothing is lost
            return _error(error)
    return 0


def _error(error):
    """One line on stderr, exit status 2; an OS error keeps its errno text and the path."""
    own = not isinstance(error, OSError) or error.errno is None
    print(f"compare_reports.py: error: {error.args[0] if own and error.args else error}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
