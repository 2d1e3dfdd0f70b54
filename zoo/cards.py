"""Model cards: the ``README.md`` beside a model's weights, and its marked sections.

:func:`training_card` is the card ``fit.py`` writes with a freshly trained generator. Every tool
that writes into a card (``fit.py``'s training card, ``evaluate.py``'s metrics,
``diversity.py`` / ``paired_eval.py``'s diversity, ``python -m zoo.export``'s parity) goes through
this module: a tool owns a section ``<!-- key:start --> ... <!-- key:end -->`` and replaces
only that block, so the others' sections and any text written by hand stay as they are.
"""
import re
from pathlib import Path

from zoo.paths import find_weights

CARD_FILE = "README.md"


def section_pattern(key):
    return re.compile(rf"<!-- {re.escape(key)}:start -->.*?<!-- {re.escape(key)}:end -->", re.S)


def replace_section(card_path, key, body):
    """Replace the ``<!-- key:start -->...<!-- key:end -->`` block of a card (append if absent)."""
    path = Path(card_path)
    text = path.read_text() if path.exists() else ""
    block = f"<!-- {key}:start -->\n{body.strip()}\n<!-- {key}:end -->"
    pattern = section_pattern(key)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)


def model_directory(model):
    """The saved model directory of ``model`` (a directory path, or a zoo name with weights here), or None."""
    path = Path(model)
    if path.is_dir():
        return path
    try:
        return find_weights(str(model))
    except ValueError:  # neither a directory nor a valid zoo name
        return None


def write_section(model, key, body):
    """Replace section ``key`` of ``model``'s card; the card's path, or None when it has no directory."""
    directory = model_directory(model)
    if directory is None:
        return None
    card = directory / CARD_FILE
    replace_section(card, key, body)
    return card


def training_card(config, run):
    """Markdown card for a freshly trained generator.

    Args:
        config: the model's config dataclass.
        run: dict with ``command``, ``epochs``, ``steps``, ``examples``, ``wall_time_s``,
            ``machine`` (a line), ``final_logs`` (dict), ``grid`` (file name or None) and
            optionally ``curves`` (the training-curves PNG's file name) and ``training_path``
            (precision, XLA and why: ``zoo.training.fastpath.TrainingPath.line()``).
    """
    baseline = config.lambda_ms == 0
    kind = "baseline (lambda_ms = 0, no mode seeking term)" if baseline else f"MSGAN (lambda_ms = {config.lambda_ms})"
    logs = ", ".join(f"{k} {v:.4g}" for k, v in sorted(run["final_logs"].items()))
    fields = "\n".join(f"| `{k}` | `{v}` |" for k, v in sorted(config.to_dict().items()))
    grid = (f"\n## Samples\n\nRows are conditions (classes, named on the left, or input images, shown in the first "
            f"column), the other columns are different noise vectors (fixed seed), after the last epoch:\n\n"
            f"![samples]({run['grid']})\n") if run.get("grid") else ""
    curves = (f"\n## Training curves\n\nEvery epoch of the run (resumed parts included) from `history.jsonl`: "
              f"losses, the MS ratio and the ModeCollapseMonitor's within-condition diversity on fixed noise:\n\n"
              f"![training curves]({run['curves']})\n") if run.get("curves") else ""
    return f"""# {config.name}

{config.family.upper()} on `{config.dataset}`, {kind}.
Paper: Mao et al., *Mode Seeking Generative Adversarial Networks for Diverse Image Synthesis*,
CVPR 2019 (arXiv:1903.05628).

## Training

| | |
|---|---|
| command | `{run['command']}` |
| data | `{config.dataset}`, {run['examples']} training examples |
| epochs | {run['epochs']} ({run['steps']} generator steps, batch {config.batch_size}{_passes(run)}) |
| wall time | {run['wall_time_s'] / 60:.1f} min (the finished epochs, summed over resumed processes) |
| machine | {run['machine']} |
{_training_path_row(run)}| last epoch | {logs} |

## Config

| field | value |
|---|---|
{fields}
{grid}{curves}
## Metrics

<!-- diversity:start -->
Not measured yet: `{measure_command(config)}`.
<!-- diversity:end -->
"""


def measure_command(config):
    """The command that measures a trained model of ``config``'s family and writes it into its card."""
    family, name = config.family, config.name
    if family in ("pix2pix", "bicyclegan"):
        return f"python training/paired_eval.py {name} --data-dir DATA_DIR --write-cards"
    if family == "drit":
        return f"python training/evaluate.py --preset unpaired --model {name} --data-dir DATA_DIR --write-cards"
    if family == "stackgan":
        if getattr(config, "dataset", "") == "shapes":
            return f"python training/shapes_classifier.py --score {name} --write-cards"
        return f"python training/evaluate.py --preset text --model {name} --condition-file FILE --real-dir DIR --write-cards"
    return f"python training/diversity.py {name} --write-cards"


def _training_path_row(run):
    """The ``| training path | ... |`` row (precision, XLA and why) when the run recorded one."""
    return f"| training path | {run['training_path']} |\n" if run.get("training_path") else ""


def _passes(run):
    """``, N passes over the data`` when Keras epochs are not data epochs (``--steps-per-epoch``)."""
    passes = run.get("passes")
    if passes is None or abs(passes - round(passes)) < 1e-9 and round(passes) == run["epochs"]:
        return ""
    return f" = {passes:.2f} passes over the {run['examples']} training examples"
