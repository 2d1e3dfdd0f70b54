"""A regular (non-editable) install carries the shipped models and finds them."""
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from zoo.paths import _package_models

ROOT = Path(__file__).resolve().parent.parent


def test_package_models_is_the_installed_copy_else_the_checkout(tmp_path):
    here = tmp_path / "site" / "zoo"
    here.mkdir(parents=True)
    (tmp_path / "site" / "saved_models").mkdir()  # a checkout (or a stray top-level folder) beside zoo/
    assert _package_models(here) == tmp_path / "site" / "saved_models"
    (here / "saved_models").mkdir()  # a regular install: the copy inside the package wins
    assert _package_models(here) == here / "saved_models"


@pytest.mark.skipif(not (ROOT / "setup.py").is_file(), reason="needs the source checkout")
def test_the_wheel_ships_every_saved_model_file_and_zoo_load_finds_it(tmp_path):
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
                            "-q", "-w", str(tmp_path / "wheel")], capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-2000:]
    wheel, = (tmp_path / "wheel").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {"zoo/saved_models/" + path.relative_to(ROOT / "saved_models").as_posix()
               for path in (ROOT / "saved_models").rglob("*") if path.is_file()}
    assert shipped and not shipped - names, sorted(shipped - names)[:5]
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")  # what `pip install --target` lays out
    code = ("import zoo, zoo.paths; print(zoo.paths.PACKAGE_MODELS); "
            "print(zoo.load('msgan_dcgan_digits').sample(3, 2, seed=0).shape)")
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=600,
                         env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin",
                              "TF_CPP_MIN_LOG_LEVEL": "3", "MSGAN_ZOO_HOME": str(tmp_path / "empty")})
    assert run.returncode == 0, run.stderr[-2000:]
    where, shape = run.stdout.split("\n")[-3:-1]
    assert where == str(tmp_path / "site" / "zoo" / "saved_models") and shape == "(2, 8, 8, 1)"


@pytest.mark.skipif(not (ROOT / "setup.py").is_file(), reason="needs the source checkout")
def test_the_sdist_carries_the_sources_and_every_saved_model_file(tmp_path):
    # What `pip install msgan-zoo-*.tar.gz` builds from: it must bring saved_models/ along (setuptools adds the
    # package_data files; MANIFEST.in lists them too).
    import tarfile

    build = subprocess.run([sys.executable, "setup.py", "-q", "sdist", "-d", str(tmp_path)], cwd=ROOT,
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-2000:]
    sdist, = tmp_path.glob("*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    needed = {path.relative_to(ROOT).as_posix() for top in ("saved_models", "zoo", "training", "export")
              for path in (ROOT / top).rglob("*")
              if path.is_file() and "__pycache__" not in path.parts and (top == "saved_models" or path.suffix == ".py")}
    needed |= {"setup.py", "README.md"}
    assert any(name.startswith("saved_models/") for name in needed)
    assert not needed - names, sorted(needed - names)[:5]
