"""Model cards: the ``README.md`` beside a model's weights, and its marked sections.

Every tool that writes into a card (``fit.py``'s training card, ``evaluate.py``'s metrics,
``diversity.py`` / ``paired_eval.py``'s diversity, ``python -m export``'s parity) goes through
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
