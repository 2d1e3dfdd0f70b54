"""Atomic writes: build in a temporary sibling, then rename into place.

A failed or interrupted export leaves the destination as it was: either absent or the
previous complete version (``--overwrite`` swaps it only once the new one is complete).
"""
import contextlib
import os
import shutil
import tempfile
from pathlib import Path


class ExportExistsError(FileExistsError):
    """The destination exists and ``overwrite`` was not asked for."""


def refuse_existing(path, overwrite):
    path = Path(path)
    if path.exists() and not overwrite:
        raise ExportExistsError(f"{path} already exists: pass --overwrite (overwrite=True) to replace it")


@contextlib.contextmanager
def atomic_path(final, overwrite=False, is_dir=True):
    """Yield a temporary path next to ``final``; on success move it to ``final``.

    Args:
        final: the destination file or directory.
        overwrite: replace an existing ``final`` (only after the new one is complete).
        is_dir: the yielded path is a directory to fill (else a file path to write).
    """
    final = Path(final)
    refuse_existing(final, overwrite)
    final.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    staged = scratch / final.name
    if is_dir:
        staged.mkdir()
    try:
        yield staged
        refuse_existing(final, overwrite)  # another writer may have won meanwhile
        if final.exists():
            # Park the old version inside the scratch dir, so the swap is two renames.
            os.replace(final, scratch / (final.name + ".old"))
        os.replace(staged, final)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
