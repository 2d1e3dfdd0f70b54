"""bench/metrics.py: real images are sampled from every class folder, and scored per folder."""

import numpy as np
import pytest
from PIL import Image


def _class_folders(root, classes, per_class):
    """``per_class`` 8x8 images per class folder, each class a different flat colour."""
    for index, name in enumerate(classes):
        folder = root / name
        folder.mkdir(parents=True)
        for i in range(per_class):
            Image.new("RGB", (8, 8), (index * 60, 255 - index * 60, i)).save(folder / f"{i:04d}.png")


def test_real_images_cover_every_class_and_any_prefix_is_mixed(tmp_path, load_script):
    bench = load_script("bench/metrics.py")
    _class_folders(tmp_path, ["a", "b", "c", "d"], per_class=10)
    # 14 of 40: a plain every-n-th slice ([::2][:14]) would hold classes a, b and c only.
    images = bench.real_images(tmp_path, 14, 8)
    assert images.shape == (14, 8, 8, 3) and images.min() >= -1 and images.max() <= 1
    classes = np.rint((images[:, 0, 0, 0] + 1) * 127.5 / 60).astype(int)
    assert np.bincount(classes, minlength=4).min() >= 3
    assert len(set(classes[:7])) >= 3  # shuffled: the first half is not a block of classes


def test_generated_dirs_are_scored_on_the_same_bins(tmp_path, load_script):
    bench = load_script("bench/metrics.py")
    _class_folders(tmp_path / "train", ["a", "b", "c", "d"], per_class=30)
    _class_folders(tmp_path / "same", ["a", "b", "c", "d"], per_class=10)
    _class_folders(tmp_path / "half", ["a", "b"], per_class=20)
    figures = bench.main(["--real-dir", str(tmp_path / "train"), "--generated-dir", str(tmp_path / "same"),
                          "--generated-dir", str(tmp_path / "half"), "--train", "120", "--generated", "40",
                          "--size", "8", "--k", "4", "--n-init", "1"])
    scores = figures["per_generated_dir"]
    assert scores[str(tmp_path / "same")]["ndb"] == 0
    assert scores[str(tmp_path / "half")]["ndb"] >= 2  # two of four bins are empty
    assert scores[str(tmp_path / "half")]["jsd"] > scores[str(tmp_path / "same")]["jsd"]


def test_bad_arguments_are_one_line_errors(tmp_path, capsys, load_script):
    bench = load_script("bench/metrics.py")
    cases = [(["--n-init", "0"], "--n-init must be >= 1"),
             (["--k", "1"], "--k must be >= 2"),
             (["--generated-dir", str(tmp_path)], "--generated-dir needs --real-dir"),
             (["--real-dir", str(tmp_path / "missing")], "not a folder"),
             (["--real-dir", str(tmp_path), "--generated-dir", str(tmp_path / "missing")], "not a folder")]
    for argv, message in cases:
        with pytest.raises(SystemExit) as exit_info:
            bench.main(argv)
        assert exit_info.value.code == 2
        error = capsys.readouterr().err.strip().splitlines()[-1]
        assert message in error
