"""Evaluation progress: a bar on a terminal, one clean line in a file or pipe."""
import io
import sys

from zoo.training.evaluation.progress import progress_bar


def test_progress_into_a_file_is_one_line_without_escape_codes(capsys):
    bar = progress_bar(3, "class")
    for _ in range(3):
        bar.add(1)
    out = capsys.readouterr().out
    assert "\x1b" not in out and out.count("\n") == 1 and out.startswith("3/3 - ")


def test_progress_on_a_terminal_draws_the_bar(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stdout", Terminal())
    bar = progress_bar(3, "class")
    for _ in range(3):
        bar.add(1)
    assert "━" in sys.stdout.getvalue()
