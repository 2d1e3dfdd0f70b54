"""training/evaluation/paired.py and its command line training/paired_eval.py."""
import shutil

import numpy as np
import pytest
from PIL import Image

from zoo.training import paired_eval
from zoo.training.evaluation.paired import evaluate, table
from zoo.paths import find_weights


def test_scores_separate_diversity_from_fidelity():
    targets = np.zeros((2, 4, 4, 3), np.float32)
    same = np.full((2, 3, 4, 4, 3), 0.5, np.float32)            # 3 identical samples per input, 0.5 off
    spread = same + np.arange(3, dtype=np.float32)[None, :, None, None, None] * 0.1
    collapsed, diverse = evaluate(same, targets), evaluate(spread, targets)
    assert collapsed["pairwise_l1"] == 0 and collapsed["l1_to_target"] == pytest.approx(0.5)
    assert diverse["pairwise_l1"] == pytest.approx(0.4 / 3) and diverse["best_of_n_l1"] == pytest.approx(0.5)
    assert diverse["l1_to_target"] == pytest.approx(0.6)
    text = table(["a", "b"], [collapsed, diverse]).splitlines()
    assert "LPIPS" not in text[0] and text[2].startswith("| `a` | 0.0000 |") and len(text) == 4


@pytest.mark.skipif(find_weights("pix2pix_maps") is None, reason="shipped pix2pix_maps weights absent")
def test_cli_writes_the_diversity_section_and_grid(tmp_path):
    model = tmp_path / "pix2pix_maps"
    shutil.copytree(find_weights("pix2pix_maps"), model)
    (tmp_path / "data" / "val").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(2):
        Image.fromarray(rng.integers(0, 256, (32, 64, 3), dtype=np.uint8)).save(tmp_path / "data" / "val" / f"{i}.png")
    results = paired_eval.main([str(model), "--data-dir", str(tmp_path / "data"), "--inputs", "2", "--samples", "3",
                                "--lpips-pairs", "0", "--grid-columns", "2", "--write-cards"])
    assert len(results) == 1 and results[0]["pairwise_l1"] > 0
    card = (model / "README.md").read_text()
    assert card.count("<!-- diversity:start -->") == 1 and "`pix2pix_maps` |" in card
    assert Image.open(model / "val_samples.png").size[0] > 0
    with pytest.raises(SystemExit, match="paired_eval.py: error"):
        paired_eval.main(["no_such_model", "--data-dir", str(tmp_path / "data")])


@pytest.mark.parametrize("script", ["training/paired_eval.py", "training/diversity.py", "training/fit.py"])
def test_help_answers_without_loading_tensorflow(script):
    # --help is what a user runs first; it must not wait ~10 s for TensorFlow to start.
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    code = ("import runpy, sys\n"
            f"sys.argv = [{script!r}, '--help']\n"
            "try:\n"
            f"    runpy.run_path({str(root / script)!r}, run_name='__main__')\n"
            "except SystemExit:\n"
            "    pass\n"
            "print('TF', sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras'))[:3])\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=root)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "usage:" in run.stdout and run.stdout.rstrip().endswith("TF []"), run.stdout[-500:]
