"""Every ```python block of README.md runs, on the shipped small models, so the guide cannot rot.

A block that cannot run offline and fast is skipped only when the line right before it is
``<!-- no-test: reason -->``. Blocks run in a scratch directory holding a link to
``saved_models/`` (the README's paths are relative to the repository root) and the ONNX file
that the README's ``python -m zoo.export`` command writes, so nothing lands in the repository.
"""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
NO_TEST = re.compile(r"^<!--\s*no-test:\s*(?P<reason>\S.*?)\s*-->$")
FENCE = re.compile(r"^```(?P<lang>\S*)\s*$")


def python_blocks(text):
    """``(line number, code, no-test reason or None)`` for each fenced ``python`` block of ``text``.

    The reason is taken from a ``<!-- no-test: reason -->`` line directly above the fence
    (blank lines between them are allowed); any other comment does not count.
    """
    lines = text.splitlines()
    blocks = []
    index = 0
    while index < len(lines):
        fence = FENCE.match(lines[index])
        if not fence:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        if end == len(lines):
            raise ValueError(f"README.md line {index + 1}: code block never closed")
        if fence.group("lang") == "python":
            before = index - 1
            while before >= 0 and not lines[before].strip():
                before -= 1
            marker = NO_TEST.match(lines[before].strip()) if before >= 0 else None
            blocks.append((index + 1, "\n".join(lines[index + 1:end]) + "\n",
                           marker.group("reason") if marker else None))
        index = end + 1
    return blocks


BLOCKS = python_blocks(README.read_text(encoding="utf-8"))


def test_the_extractor_sees_blocks_and_honours_only_the_marker():
    text = ("<!-- no-test: needs data -->\n```python\nskipped()\n```\n"
            "<!-- a comment -->\n```python\nrun()\n```\n```bash\nls\n```\n```python\nalso_run()\n```\n")
    assert python_blocks(text) == [(2, "skipped()\n", "needs data"), (6, "run()\n", None),
                                   (12, "also_run()\n", None)]
    with pytest.raises(ValueError, match="never closed"):
        python_blocks("```python\nx = 1\n")


def test_the_readme_has_runnable_python_blocks():
    assert sum(reason is None for _, _, reason in BLOCKS) >= 5


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A scratch working directory that looks like the repository root to the README's snippets."""
    from zoo.export.onnx import export_onnx
    import zoo

    directory = tmp_path_factory.mktemp("readme")
    (directory / "saved_models").symlink_to(ROOT / "saved_models", target_is_directory=True)
    # What `python -m zoo.export msgan_dcgan_digits --format all --out exported/` writes, ONNX half.
    export_onnx(zoo.load("msgan_dcgan_digits"), directory / "exported")
    return directory


@pytest.mark.parametrize("line, code, reason", BLOCKS, ids=[f"line{line}" for line, _, _ in BLOCKS])
def test_readme_python_block_runs(line, code, reason, workdir, monkeypatch):
    if reason is not None:
        pytest.skip(f"README.md line {line}: {reason}")
    monkeypatch.chdir(workdir)
    exec(compile(code, f"README.md:{line}", "exec"), {"__name__": "__readme__"})


def test_readme_links_point_at_files_of_the_repository():
    links = re.findall(r"\]\(([^)\s]+)\)", README.read_text(encoding="utf-8"))
    local = [link.split("#")[0] for link in links if not link.startswith(("http://", "https://", "#"))]
    assert local and [link for link in local if not (ROOT / link).exists()] == []
