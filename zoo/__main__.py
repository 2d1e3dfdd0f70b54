"""``python -m zoo``: the zoo as a table (name, task, dataset, weights here?, authors' weights, key metrics).

"authors' weights": ``convertible`` when the authors released a checkpoint for the name and
``python -m zoo.convert`` turns it into a zoo model directory (``--json`` gives the command),
``released`` when they did but this version has no converter for it, ``-`` when none was released.

    python -m zoo                      # every named model
    python -m zoo --weights-here       # only those with weights on this machine
    python -m zoo --family dcgan --pattern 'msgan_*'
    python -m zoo --json               # the full specs as JSON

Key metrics come from ``<weights dir>/metrics.json`` (``{"metric": value}``) when present, else
from the model card: the model's column of its ``training/evaluate.py`` table (FID, LPIPS, ...)
if it has one, else a row whose first cell is the model's name, under its header.
"""
import argparse
import json
import re
import sys
from pathlib import Path

ROW = re.compile(r"^\|(.*)\|\s*$")
SECTION = re.compile(r"^<!-- ([a-z0-9_-]+):(start|end) -->$")
METRIC_ROWS = ("FID", "KID", "LPIPS", "NDB", "JSD")  # the rows of evaluate.py's card table


def _cells(line):
    return [cell.strip().strip("`").strip() for cell in ROW.match(line).group(1).split("|")]


def table_rows(card_text):
    """``(section, header, cells)`` for every data row of the card's markdown tables.

    ``header`` is the row's table header; ``section`` the enclosing ``<!-- key:start -->``
    card section (None outside one).
    """
    header, section = None, None
    for line in card_text.splitlines():
        marker = SECTION.match(line.strip())
        if marker:
            section = marker.group(1) if marker.group(2) == "start" else None
        if not ROW.match(line.strip()):
            header = None
            continue
        cells = _cells(line.strip())
        if all(set(cell) <= set("-: ") for cell in cells):
            continue
        if header is None:
            header = cells
        elif len(cells) == len(header):
            yield section, header, cells


def card_metrics(card_text, name):
    """``{column: value}`` from the first markdown table row whose first cell is ``name``.

    Inside a ``<!-- key:start -->`` card section the columns are named ``key: column``.
    """
    for section, header, cells in table_rows(card_text):
        if cells[0] == name:
            prefix = f"{section}: " if section else ""
            return {prefix + column: value for column, value in zip(header[1:], cells[1:])
                    if column not in ("lambda_ms", "model")}
    return {}


def evaluation_metrics(card_text, name):
    """``{metric: value}`` from the card's ``evaluate.py`` table (metrics as rows, models as columns).

    The metric is the row label up to its first comma or parenthesis (``FID``, ``LPIPS
    diversity``, ``NDB/K``, ...), except that a FID on other features than Inception is named
    after them (``FID-AlexNet``, ``FID-digits``, ``FID-CIFAR``: not comparable with an Inception
    FID); FID and LPIPS come first. ``{}`` without such a table.
    """
    found = {}
    for _, header, cells in table_rows(card_text):
        if name in header[1:] and cells[0].startswith(METRIC_ROWS):
            metric = re.split(r",| \(", cells[0])[0].strip()
            # A FID on other features than Inception names them (FID-AlexNet, FID-digits, FID-CIFAR).
            features = re.search(r"\((FID-[\w]+)", cells[0]) if metric == "FID" else None
            found.setdefault(features.group(1) if features else metric, cells[header.index(name)])
    def rank(metric):
        return 0 if metric.startswith("FID") else 1 if metric == "LPIPS diversity" else 2
    return dict(sorted(found.items(), key=lambda item: rank(item[0])))


def key_metrics(entry, limit=2):
    """A short ``metric value; ...`` string for a list_models() entry ('' when none)."""
    if not entry["weights_here"]:
        return ""
    directory = Path(entry["weights_dir"])
    metrics = {}
    if (directory / "metrics.json").is_file():
        try:
            metrics = json.loads((directory / "metrics.json").read_text())
        except json.JSONDecodeError:
            metrics = {}
    if not metrics and (directory / "README.md").is_file():
        card = (directory / "README.md").read_text()
        metrics = evaluation_metrics(card, entry["name"]) or card_metrics(card, entry["name"])
    items = [(k, v) for k, v in metrics.items() if isinstance(v, (int, float, str))][:limit]
    return "; ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in items)


def table(entries):
    rows = [("name", "task", "dataset", "weights here?", "authors' weights", "key metrics")]
    for entry in entries:
        here = "yes" if entry["weights_here"] else ("no" if entry["implemented"] else "no (not implemented)")
        official = "convertible" if entry["convertible"] else ("released" if entry["official_checkpoint"] else "-")
        rows.append((entry["name"], entry["task"], entry["dataset"], here, official, key_metrics(entry)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m zoo", description="List the models of the zoo.")
    parser.add_argument("--family", help="only this family (dcgan, pix2pix, bicyclegan, drit, stackgan)")
    parser.add_argument("--dataset", help="only this dataset")
    parser.add_argument("--pattern", help="shell wildcard on the name, e.g. 'msgan_*'")
    parser.add_argument("--weights-here", action="store_true", help="only models with weights on this machine")
    parser.add_argument("--json", action="store_true", help="print the full specs as JSON")
    args = parser.parse_args(argv)

    # After parsing: the registry builds the families (Keras, TensorFlow), --help need not wait for that.
    from zoo.registry import list_models

    entries = list_models(family=args.family, dataset=args.dataset, pattern=args.pattern,
                          weights_here=True if args.weights_here else None)
    if args.json:
        json.dump(entries, sys.stdout, indent=2)
        print()
    else:
        print(table(entries))
    return entries


if __name__ == "__main__":
    main()
