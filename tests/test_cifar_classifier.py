"""training/train_cifar_classifier.py on a tiny image-folder tree written here, and FID-CIFAR:
the trained ``features`` layer through KerasFeatures, evaluate.py's ``--features cifar10``."""
import json

import keras
import numpy as np
import pytest
from PIL import Image

from zoo.training.evaluation import sources
from zoo.training import train_cifar_classifier as tcc
from zoo.metrics import KerasFeatures
from zoo.metrics.fid import feature_statistics, frechet_distance

TINY = ["--widths", "4,8,8", "--batch-size", "16", "--threads", "1", "--verbose", "0"]


def write_tree(root, per_class=(4, 2), size=32, classes=tcc.CIFAR10_CLASSES):
    """``root/train/<class>/*.jpg`` and ``root/test/<class>/*.jpg``: each class a distinct mean colour."""
    rng = np.random.default_rng(0)
    for split, count in zip(("train", "test"), per_class):
        for c, name in enumerate(classes):
            (root / split / name).mkdir(parents=True)
            colour = rng.integers(0, 256, 3)
            for i in range(count):
                pixels = np.clip(colour + rng.normal(0, 30, (size, size, 3)), 0, 255).astype(np.uint8)
                Image.fromarray(pixels).save(root / split / name / f"{i:04d}.jpg", quality=75)
    return root


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Two invocations, as a killed run needs: a 3-epoch plan stopped after epoch 1, then ``--resume``
    with the plan cut to 2 epochs (the schedule re-planned), to the end. 36 images, batch 16: 3 steps/epoch."""
    root = tmp_path_factory.mktemp("cifar")
    data = write_tree(root / "data")
    args = TINY + ["--data-dir", str(data), "--limit", "36", "--out", str(root / "model"),
                   "--checkpoint-dir", str(root / "checkpoints")]
    first = tcc.main(args + ["--epochs", "3", "--stop-after", "1"])
    after_first = json.loads((root / "checkpoints" / tcc.STATE_FILE).read_text())
    shipped_after_first = (root / "model" / tcc.MODEL_FILE).exists()
    second = tcc.main(args + ["--epochs", "2", "--resume"])
    return {"root": root, "data": data, "status": (first, second), "after_first": after_first,
            "shipped_after_first": shipped_after_first, "args": args}


def test_train_stop_and_resume_end_to_end(trained, capsys):
    root = trained["root"]
    assert trained["status"] == (0, 0)
    assert trained["after_first"]["epochs_done"] == 1 and not trained["shipped_after_first"]
    state = json.loads((root / "checkpoints" / tcc.STATE_FILE).read_text())
    assert state["epochs_done"] == 2 and len(state["history"]) == 2 and len(state["commands"]) == 2
    assert state["replanned"] == [{"after_epoch": 1, "from_epochs": 3, "to_epochs": 2}]
    # The checkpoint carries the re-planned schedule: at its last step (6 of 6) the cosine is at 0;
    # the original 3-epoch plan would still be at ~0.03 there.
    checkpoint = keras.models.load_model(root / "checkpoints" / tcc.CHECKPOINT_FILE)
    assert int(checkpoint.optimizer.iterations) == 6
    assert float(checkpoint.optimizer.learning_rate) == pytest.approx(0.0, abs=1e-6)
    assert float(tcc.learning_rate_schedule(9)(6)) > 0.01
    # A finished run cannot be stretched, and a plan cannot end before the epochs already done.
    assert tcc.main(trained["args"] + ["--epochs", "3", "--resume"]) == 2
    assert "after epoch 2 of 2" in capsys.readouterr().err
    metrics = json.loads((root / "model" / "metrics.json").read_text())
    assert metrics["train"] == 36 and metrics["test"] == 20 and metrics["epochs"] == 2
    assert 0.0 <= metrics["test_accuracy"] <= 1.0 and metrics["multiply_adds"] > 0
    card = (root / "model" / "README.md").read_text()
    assert f"{metrics['test_accuracy']:.4f}" in card and "JPEG quality 75" in card and "--resume" in card
    assert "resumed 1 time(s)" in card and "re-planned from 3 to 2 epochs after epoch 1" in card and "machine" in card


def test_features_layer_loads_through_keras_features(trained):
    features = KerasFeatures(trained["root"] / "model" / tcc.MODEL_FILE, layer=tcc.FEATURE_LAYER)
    images = np.random.default_rng(1).integers(0, 256, (5, 32, 32, 3), dtype=np.uint8)
    out = features(images)
    assert out.shape == (5, 128) and np.isfinite(out).all() and (out >= 0).all()  # ReLU features
    # uint8 input is rescaled to the [-1, 1] the classifier was trained on.
    np.testing.assert_allclose(features(images.astype(np.float32) / 127.5 - 1), out, atol=1e-5)


def test_fid_cifar_is_zero_for_identical_sets_and_grows_with_a_shift(trained):
    features = KerasFeatures(trained["root"] / "model" / tcc.MODEL_FILE, layer=tcc.FEATURE_LAYER)
    rng = np.random.default_rng(2)
    real = rng.integers(40, 216, (300, 32, 32, 3)).astype(np.uint8)
    same_distribution = rng.integers(40, 216, (300, 32, 32, 3)).astype(np.uint8)
    shifted = np.clip(real.astype(int) + 60, 0, 255).astype(np.uint8)
    stats = {name: feature_statistics(features(images))
             for name, images in (("real", real), ("same", same_distribution), ("shifted", shifted))}
    identical = frechet_distance(*stats["real"], *stats["real"])
    resampled = frechet_distance(*stats["real"], *stats["same"])
    moved = frechet_distance(*stats["real"], *stats["shifted"])
    assert all(np.isfinite([identical, resampled, moved]))
    assert abs(identical) < 1e-9  # float round-off of the sqrtm may leave e.g. -8e-13
    assert resampled >= 0 and moved > resampled


def test_bad_trees_and_resume_without_checkpoint_are_one_line_errors(tmp_path, capsys):
    data = write_tree(tmp_path / "three", per_class=(2, 1), classes=("a", "b", "c"))
    safe = ["--checkpoint-dir", str(tmp_path / "c"), "--out", str(tmp_path / "o")]
    assert tcc.main(TINY + safe + ["--data-dir", str(data)]) == 2
    assert "found 3 class folders" in capsys.readouterr().err
    assert tcc.main(TINY + safe + ["--data-dir", str(tmp_path / "missing")]) == 2
    assert "no 'train' folder" in capsys.readouterr().err
    good = write_tree(tmp_path / "good", per_class=(1, 1))
    assert tcc.main(TINY + ["--data-dir", str(good), "--resume", "--checkpoint-dir", str(tmp_path / "empty"),
                            "--out", str(tmp_path / "o")]) == 2
    assert "no checkpoint to resume" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        tcc.parse_args(["--widths", "8,8"])


def test_network_cost_is_compact():
    model = tcc.build_classifier()
    assert model.get_layer(tcc.FEATURE_LAYER).units == 128 and model.output.shape[-1] == 10
    # The brief for a CPU shared with GAN trainings: tens of M multiply-adds per image, no more.
    assert 15e6 < tcc.multiply_adds(model) < 60e6


def test_evaluate_features_cifar10(trained, tmp_path, monkeypatch):
    assert sources.feature_spec("auto", "cifar10") == "inception"  # users online keep the paper's FID
    assert sources.feature_spec("auto", "digits") == "digits"
    monkeypatch.setattr(sources, "CIFAR10_CLASSIFIER", tmp_path / "absent.keras")
    with pytest.raises(FileNotFoundError, match="train_cifar_classifier.py"):
        sources.make_features("cifar10", "cifar10")
    monkeypatch.setattr(sources, "CIFAR10_CLASSIFIER", trained["root"] / "model" / tcc.MODEL_FILE)
    features = sources.make_features("cifar10", "cifar10")
    assert features.name == "FID-CIFAR: shipped cifar10_classifier/features (JPEG q75 CIFAR-10)"
    assert features(np.zeros((2, 32, 32, 3), np.uint8)).shape == (2, 128)
