"""Progress bars that stay readable when the report goes to a file or a pipe."""
import sys

import keras


def progress_bar(target, unit_name):
    """A Keras progress bar on a terminal; elsewhere one summary line when it ends.

    Keras 3 draws its bar (escape codes and all) into files and pipes too: it takes every POSIX
    system for a terminal. ``evaluate.py > report.txt`` then fills the report with bar frames.
    """
    interactive = hasattr(sys.stdout, "isatty") and sys.stdout.isatty()
    return keras.utils.Progbar(target, unit_name=unit_name, verbose=1 if interactive else 2)
