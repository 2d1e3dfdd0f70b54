"""LPIPS v0.1: parity with the official package (when the shared references exist) and the
metric's properties on a backbone rebuilt from the seeded recipe (always)."""
from pathlib import Path

import numpy as np
import pytest

from zoo.training.convert_lpips import lpips_state_dict
from zoo.metrics.lpips import BACKBONES, DEFAULT_WEIGHTS, LPIPS, conv_keys

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "lpips"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data/lpips is absent")

ALEX_SHAPES = [(64, 3, 11, 11), (192, 64, 5, 5), (384, 192, 3, 3), (256, 384, 3, 3), (256, 256, 3, 3)]
VGG_SHAPES = [(64, 3), (64, 64), (128, 64), (128, 128), (256, 128), (256, 256), (256, 256),
              (512, 256), (512, 512), (512, 512), (512, 512), (512, 512), (512, 512)]
SHAPES = {"alex": ALEX_SHAPES, "vgg": [(o, i, 3, 3) for o, i in VGG_SHAPES]}


def seeded_backbone(net):
    """The shared README's recipe: conv k has He-scaled weights from rng(1000 + k), bias rng(2000 + k)."""
    weights = {}
    for k, (key, (out, inp, kh, kw)) in enumerate(zip(conv_keys(net), SHAPES[net])):
        scale = np.sqrt(2.0 / (inp * kh * kw))
        weights[f"{key}.weight"] = (np.random.default_rng(1000 + k).standard_normal((out, inp, kh, kw)) * scale).astype(np.float32)
        weights[f"{key}.bias"] = (np.random.default_rng(2000 + k).standard_normal(out) * 0.01).astype(np.float32)
    return weights


def seeded_weights(net, heads=None):
    """Seeded backbone + the given heads (default: random non-negative, like trained ones)."""
    weights = seeded_backbone(net)
    widths = [SHAPES[net][i][0] for i in tap_conv_indices(net)]
    rng = np.random.default_rng(7)
    for layer, width in enumerate(widths):
        weights[f"lin{layer}.model.1.weight"] = np.abs(rng.standard_normal((1, width, 1, 1))).astype(np.float32) * 0.1
    weights["scaling_layer.shift"] = np.array([-0.030, -0.088, -0.188], np.float32).reshape(1, 3, 1, 1)
    weights["scaling_layer.scale"] = np.array([0.458, 0.448, 0.450], np.float32).reshape(1, 3, 1, 1)
    weights.update(heads or {})
    return weights


def tap_conv_indices(net):
    """Forward index of the last conv of each of the five slices."""
    indices, k = [], -1
    for block in BACKBONES[net]:
        k += sum(op[0] == "conv" for op in block)
        indices.append(k)
    return indices


def nhwc(x):
    return np.ascontiguousarray(np.transpose(x, (0, 2, 3, 1)))


def images(seed, n=3, size=40):
    return np.random.default_rng(seed).uniform(-1, 1, (n, size, size, 3)).astype(np.float32)


@pytest.fixture(scope="module")
def seeded_alex():
    return LPIPS("alex", weights=seeded_weights("alex"))


def test_identical_images_have_zero_distance(seeded_alex):
    x = images(0)
    np.testing.assert_array_equal(seeded_alex(x, x), np.zeros(3, np.float32))


def test_distance_is_symmetric_positive_and_grows_with_noise(seeded_alex):
    x, y = images(1), images(2)
    d_xy, d_yx = seeded_alex(x, y), seeded_alex(y, x)
    np.testing.assert_allclose(d_xy, d_yx, rtol=1e-5)
    assert (d_xy > 0).all()
    rng = np.random.default_rng(3)
    small = np.clip(x + 0.05 * rng.standard_normal(x.shape), -1, 1).astype(np.float32)
    large = np.clip(x + 0.5 * rng.standard_normal(x.shape), -1, 1).astype(np.float32)
    assert (seeded_alex(x, small) < seeded_alex(x, large)).all()


def test_each_pair_is_independent_of_the_batch(seeded_alex):
    x, y = images(4, n=4), images(5, n=4)
    together = seeded_alex(x, y)
    alone = np.concatenate([seeded_alex(x[i:i + 1], y[i:i + 1]) for i in range(4)])
    np.testing.assert_allclose(together, alone, rtol=1e-5, atol=1e-7)


def test_uint8_and_grayscale_inputs(seeded_alex):
    rng = np.random.default_rng(6)
    gray = rng.integers(0, 256, (2, 32, 32, 1), dtype=np.uint8)
    other = rng.integers(0, 256, (2, 32, 32, 1), dtype=np.uint8)
    as_rgb = np.repeat(gray.astype(np.float32) / 127.5 - 1, 3, -1), np.repeat(other.astype(np.float32) / 127.5 - 1, 3, -1)
    np.testing.assert_allclose(seeded_alex(gray, other), seeded_alex(*as_rgb), rtol=1e-5)


def test_bad_inputs_raise_clear_errors(seeded_alex):
    with pytest.raises(ValueError, match="at least 31x31"):
        seeded_alex(images(0, size=16), images(1, size=16))
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        seeded_alex(images(0) * 100, images(1))
    with pytest.raises(ValueError, match="same shape"):
        seeded_alex(images(0, n=2), images(1, n=3))
    with pytest.raises(ValueError, match="unknown LPIPS net"):
        LPIPS("resnet")
    with pytest.raises(ValueError, match="lack"):
        LPIPS("alex", weights={"scaling_layer.shift": np.zeros((1, 3, 1, 1))})
    with pytest.raises(FileNotFoundError, match="not found"):
        LPIPS("alex", weights="/nonexistent/lpips.npz")
    with pytest.raises(FileNotFoundError, match="convert_lpips.py"):
        LPIPS("vgg")


def test_converter_maps_torchvision_keys_to_the_official_state_dict(tmp_path):
    net = "alex"
    seeded = seeded_weights(net)
    torchvision = {f"features.{key.rsplit('.', 1)[1]}.{part}": seeded[f"{key}.{part}"]
                   for key in conv_keys(net) for part in ("weight", "bias")}
    heads = {k: v for k, v in seeded.items() if k.startswith("lin")}
    state = lpips_state_dict(net, torchvision, heads)
    assert set(state) == set(seeded)
    path = tmp_path / "alex.npz"
    np.savez(path, **state)
    x, y = images(8, n=2), images(9, n=2)
    np.testing.assert_allclose(LPIPS(net, weights=path)(x, y), LPIPS(net, weights=seeded)(x, y), rtol=1e-6)
    with pytest.raises(ValueError, match="features.0.weight"):
        lpips_state_dict(net, {}, heads)


@needs_shared
@pytest.mark.parametrize("net", ["alex", "vgg"])
def test_seeded_backbone_matches_the_official_package(net):
    reference = np.load(SHARED / f"lpips_{net}_reference.npz")
    assert [tuple(s) for s in reference["conv_shapes_oihw"]] == SHAPES[net]
    official = {k[len("weights/"):]: reference[k] for k in reference.files if k.startswith("weights/")}
    metric = LPIPS(net, weights={**seeded_backbone(net), **official})
    x0, x1 = nhwc(reference["x0_nchw"]), nhwc(reference["x1_nchw"])
    np.testing.assert_allclose(metric(x0, x1), reference["distance"], atol=1e-4)
    np.testing.assert_allclose(metric(x0, x0), reference["distance_same"], atol=1e-4)


def real_alex_weights():
    """The shipped copy when present (what users get), else the shared original."""
    return DEFAULT_WEIGHTS["alex"] if DEFAULT_WEIGHTS["alex"].is_file() else SHARED / "lpips_alex_v0.1.npz"


@needs_shared
@pytest.mark.parametrize("size", [64, 256])
def test_real_alexnet_weights_match_the_official_distances(size):
    reference = np.load(SHARED / "lpips_alex_real_reference.npz")
    metric = LPIPS("alex", weights=real_alex_weights())
    x0, x1 = nhwc(reference[f"x0_nchw_{size}"]), nhwc(reference[f"x1_nchw_{size}"])
    np.testing.assert_allclose(metric(x0, x1), reference[f"distance_{size}"], atol=1e-4)
    np.testing.assert_allclose(metric(x0, x0), reference[f"distance_same_{size}"], atol=1e-4)


@needs_shared
def test_official_example_images():
    from PIL import Image

    def read(name):
        return np.asarray(Image.open(SHARED / f"{name}.png").convert("RGB"))[None]

    metric = LPIPS("alex", weights=real_alex_weights())
    # The README rounds the official values to 3 decimals.
    assert abs(float(metric(read("ex_ref"), read("ex_p0"))[0]) - 0.722) < 6e-4
    assert abs(float(metric(read("ex_ref"), read("ex_p1"))[0]) - 0.138) < 6e-4


@pytest.mark.skipif(not DEFAULT_WEIGHTS["alex"].is_file(), reason="shipped LPIPS weights absent")
def test_default_alex_weights_are_the_shipped_real_metric():
    metric = LPIPS()
    assert metric.source == str(DEFAULT_WEIGHTS["alex"])
    x = images(10, n=2, size=64)
    assert (metric(x, x) == 0).all() and (metric(x, images(11, n=2, size=64)) > 0).all()


def test_random_pairs_never_pair_a_sample_with_itself():
    from zoo.metrics import random_pairs

    pairs = random_pairs(5, 200, seed=0)
    assert pairs.shape == (200, 2) and (pairs[:, 0] != pairs[:, 1]).all()
    assert pairs.min() == 0 and pairs.max() == 4
    np.testing.assert_array_equal(pairs, random_pairs(5, 200, seed=0))
    with pytest.raises(ValueError, match="at least 2 samples"):
        random_pairs(1, 3)


def test_lpips_diversity_is_zero_for_a_collapsed_condition(seeded_alex):
    from zoo.metrics import lpips_diversity

    rng = np.random.default_rng(12)
    diverse = rng.uniform(-1, 1, (4, 32, 32, 3)).astype(np.float32)
    collapsed = np.repeat(diverse[:1], 4, axis=0)
    mean, per_condition = lpips_diversity(np.stack([diverse, collapsed]), seeded_alex, num_pairs=5)
    assert per_condition[1] == 0 and per_condition[0] > 0
    assert mean == pytest.approx(per_condition.mean())
    with pytest.raises(ValueError, match="conditions, n"):
        lpips_diversity(diverse, seeded_alex)


def test_converter_cli_without_torch_says_what_to_install(tmp_path, capsys):
    try:
        import torch  # noqa: F401
        pytest.skip("torch is installed")
    except ImportError:
        pass
    from zoo.training.convert_lpips import main

    assert main(["--out", str(tmp_path / "x.npz")]) == 2
    assert "pip install torch" in capsys.readouterr().err
    assert main(["--out", str(tmp_path / "x.npz"), "--backbone", "a.pth"]) == 2
    assert "both --backbone and --heads" in capsys.readouterr().err
    assert not (tmp_path / "x.npz").exists()


def test_alexnet_fid_features_shape_range_and_sensitivity():
    from zoo.metrics import alexnet_features, fid_from_features

    features = alexnet_features()
    rng = np.random.default_rng(0)
    smooth = np.repeat(np.repeat(rng.integers(0, 256, (40, 8, 8, 3), dtype=np.uint8), 8, axis=1), 8, axis=2)
    noisy = rng.integers(0, 256, (40, 64, 64, 3), dtype=np.uint8)
    a, b = features(smooth), features(noisy)
    assert a.shape == (40, 256) and np.isfinite(a).all() and (a >= 0).all()  # pooled ReLU outputs
    assert not np.allclose(a, b)
    # The same images as uint8 and as [-1, 1] floats give the same features.
    np.testing.assert_allclose(features(smooth.astype(np.float32) / 127.5 - 1.0), a, rtol=1e-4, atol=1e-4)
    half = fid_from_features(a[:20], a[20:])
    assert fid_from_features(a, b) > 2 * half  # different kinds of images are much further apart
    assert "not Inception" in features.name
    with pytest.raises(ValueError, match="at least 31x31"):
        features(np.zeros((2, 16, 16, 3), np.uint8))
