"""Moved to :mod:`zoo.machine` (``export/`` needs it and imports nothing from ``training/``).

Re-exported here only while scripts being edited elsewhere still import this path.
"""
from zoo.machine import cpu_flags, cpu_model, describe_machine, machine_line, set_threads  # noqa: F401
