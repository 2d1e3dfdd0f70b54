"""A paired model must follow its input: fidelity metrics, and a tiny Pix2Pix that overfits.

The overfit check trains the real Pix2Pix train step (U-Net G, PatchGAN D, LSGAN + L1)
(the baseline, lambda_ms = 0: at the paper's lambda_ms = 1 the mode seeking term outweighs
the L1 term while the outputs are still alike, and a short run does not learn the input) on a
few tiny synthetic pairs whose target is a fixed function of the input; its outputs must
be much closer to their own targets than to the other inputs' targets. The negative control
trains the same model with the input cut out of the generator (multiplied by zero): it must
fail the same threshold, so the check catches a regression that drops the condition.
"""
import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from zoo.metrics.fidelity import edge_map, fidelity_ratio, photo_vs_noise, structure_fidelity
from zoo.registry import get_config, get_family

SIZE, PAIRS, STEPS, THRESHOLD = 16, 6, 250, 1.5


def test_fidelity_ratio_of_known_distances():
    targets = np.stack([np.full((2, 2, 1), v, np.float32) for v in (0.0, 1.0, -1.0)])
    ratio, own, other = fidelity_ratio(targets + 0.1, targets)
    assert own == pytest.approx(0.1)
    # |t_i + 0.1 - t_j| over i != j: (1.1 + 0.9 + 0.9 + 2.1 + 1.1 + 1.9) / 6 = 8 / 6
    assert other == pytest.approx(8 / 6)
    assert ratio == pytest.approx(other / own)
    constant = np.zeros_like(targets)
    assert fidelity_ratio(constant, targets)[0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="differ in shape"):
        fidelity_ratio(targets[:2], targets)
    with pytest.raises(ValueError, match="at least 2"):
        fidelity_ratio(targets[:1], targets[:1])


def _road_tiles(count, size=32, seed=0):
    """``count`` map-like tiles: a flat colour each, with a few random bright lines ("roads")."""
    rng = np.random.default_rng(seed)
    tiles = np.empty((count, size, size, 3), np.float32)
    for i in range(count):
        tiles[i] = rng.uniform(-0.5, 0.5, 3)
        for _ in range(3):
            if rng.random() < 0.5:
                tiles[i, rng.integers(2, size - 2), :] = 0.9
            else:
                tiles[i, :, rng.integers(2, size - 2)] = 0.9
    return tiles


def test_structure_fidelity_tells_own_structure_from_a_template_with_the_right_colour():
    targets = _road_tiles(8)
    assert edge_map(targets).shape == (8, 31, 31)
    faithful = structure_fidelity(0.5 * targets + 0.1, targets)  # own roads, other contrast/colour
    assert faithful["own"] == pytest.approx(1.0)
    assert faithful["gap"] > 0.8
    assert faithful["between_targets"] == pytest.approx(faithful["other"], abs=1e-9)
    assert faithful["own_se"] == pytest.approx(0.0, abs=1e-6)  # every tile correlates 1 with its own
    # Half the tiles drawn faithfully, half flat (no edges: correlation 0): own 0.5, se of [1, 1, 1, 1, 0, 0, 0, 0].
    half = structure_fidelity(np.concatenate([targets[:4], np.zeros_like(targets[4:])]), targets)
    assert half["own"] == pytest.approx(0.5, abs=1e-6)
    assert half["own_se"] == pytest.approx(np.std([1, 1, 1, 1, 0, 0, 0, 0], ddof=1) / np.sqrt(8), abs=1e-6)
    # Each tile's own flat colour plus one shared template of roads: the L1 ratio calls this a
    # model that follows its input; the edges say it draws the same picture for every input.
    template = _road_tiles(1, seed=99)[0] - _road_tiles(1, seed=99)[0].mean(axis=(0, 1))
    painted = targets.mean(axis=(1, 2), keepdims=True) + 0.3 * template
    assert fidelity_ratio(painted, targets)[0] > 1.2
    fake = structure_fidelity(painted, targets)
    assert abs(fake["gap"]) < 0.1
    assert fake["between_outputs"] == pytest.approx(1.0)
    assert fake["between_outputs"] > fake["between_targets"] + 0.5
    with pytest.raises(ValueError, match="differ in shape"):
        structure_fidelity(targets[:2], targets)
    with pytest.raises(ValueError, match="at least 2"):
        structure_fidelity(targets[:1], targets[:1])
    with pytest.raises(ValueError, match="N, H, W, C"):
        edge_map(targets[0])


def test_photo_vs_noise_separates_the_two_sources():
    inputs = np.arange(3, dtype=np.float32)[:, None, None]  # 3 inputs
    noise = 0.1 * np.arange(4, dtype=np.float32)[None, :, None]  # 4 z
    samples = np.broadcast_to(inputs + noise, (3, 4, 5)).copy()
    result = photo_vs_noise(samples)
    assert result["across_inputs"] == pytest.approx((1 + 2 + 1) / 3)
    assert result["across_noise"] == pytest.approx(0.1 * (1 + 2 + 3 + 1 + 2 + 1) / 6)
    assert result["ratio"] > 1
    with pytest.raises(ValueError, match="K >= 2"):
        photo_vs_noise(samples[:, :1])


def synthetic_pairs(seed=0):
    """``PAIRS`` blocky random inputs in [-1, 1]; target = the input's channels reversed and negated."""
    rng = np.random.default_rng(seed)
    blocks = rng.uniform(-1, 1, (PAIRS, SIZE // 4, SIZE // 4, 3)).astype(np.float32)
    inputs = np.repeat(np.repeat(blocks, 4, axis=1), 4, axis=2)
    return inputs, -inputs[..., ::-1].copy()


def without_condition(generator):
    """The same generator with its input multiplied by zero: it cannot see the photo."""
    condition, z = generator.inputs
    blind = keras.layers.Lambda(lambda c: c * 0.0)(condition)
    return keras.Model([condition, z], generator([blind, z]), name="blind_generator")


def overfit(cut_condition=False):
    keras.utils.set_random_seed(0)
    config = get_config("pix2pix_maps").replace(
        image_size=SIZE, ngf=8, ndf=8, nz=2, n_layers_d=1, num_d=2, epochs=1, niter=1, niter_decay=0, seed=0)
    gan = get_family("pix2pix").gan_class(config)
    if cut_condition:
        gan.generator = without_condition(gan.generator)
    gan.compile(jit_compile=False)
    inputs, targets = synthetic_pairs()
    data = tf.data.Dataset.from_tensor_slices((inputs, targets)).shuffle(PAIRS, seed=0).repeat().batch(2)
    gan.fit(data, epochs=1, steps_per_epoch=STEPS, verbose=0)
    z = np.random.default_rng(1).standard_normal((3, config.nz)).astype(np.float32)
    samples = np.stack([np.asarray(gan.generator([inputs, np.repeat(zk[None], PAIRS, 0)])) for zk in z], axis=1)
    return float(np.mean([fidelity_ratio(samples[:, k], targets)[0] for k in range(len(z))])), samples


def test_pix2pix_overfits_pairs_and_follows_its_input():
    ratio, samples = overfit()
    assert ratio > THRESHOLD, f"fidelity ratio {ratio:.2f} on the training pairs"
    assert photo_vs_noise(samples)["ratio"] > 1


def test_a_generator_that_ignores_its_input_fails_the_check():
    ratio, samples = overfit(cut_condition=True)
    assert ratio < THRESHOLD
    assert ratio == pytest.approx(1.0, abs=0.05)
    assert photo_vs_noise(samples)["across_inputs"] < 1e-6


def test_paired_eval_reports_fidelity_and_photo_vs_noise():
    from zoo.training.evaluation.paired import evaluate, table

    targets = np.stack([np.full((4, 4, 3), v, np.float32) for v in (-0.5, 0.0, 0.5)])
    shift = 0.05 * np.arange(3, dtype=np.float32)[None, :, None, None, None]
    following = targets[:, None] + shift                          # 3 inputs x 3 z, near their own target
    ignoring = np.broadcast_to(shift, following.shape).copy()     # the same output for every input
    good, bad = evaluate(following, targets), evaluate(ignoring, targets)
    assert good["fidelity_ratio"] > 3 and good["across_inputs_l1"] > good["across_z_l1"]
    assert bad["fidelity_ratio"] == pytest.approx(1.0, abs=0.2) and bad["across_inputs_l1"] == 0
    assert "fidelity ratio" in table(["good", "bad"], [good, bad]).splitlines()[0]


def test_bench_evaluates_a_trained_unet_at_another_size(tmp_path, load_script):
    """``bench/paired_fidelity.py --eval-size`` runs the trained weights at a larger size (the
    fully convolutional G on bigger inputs, its depth kept), instead of failing on a deeper U-Net."""
    bench = load_script("bench/paired_fidelity.py")
    rng = np.random.default_rng(0)
    for split in ("train", "val"):
        (tmp_path / "data" / split).mkdir(parents=True)
        for i in range(3):
            pair = rng.integers(0, 256, (32, 64, 3), dtype=np.uint8)
            Image.fromarray(pair).save(tmp_path / "data" / split / f"{i + 1}.png")
    out = tmp_path / "result.jsonl"
    bench.main(["--model", "pix2pix_maps", "--data-dir", str(tmp_path / "data"), "--set", "image_size=16",
                "--set", "ngf=4", "--set", "ndf=4", "--set", "n_layers_d=1", "--steps", "2",
                "--eval-size", "32", "--eval-inputs", "3", "--eval-z", "2", "--json", str(out)])
    record = json.loads(out.read_text().splitlines()[-1])
    assert record["eval"] == "val 1-3 at 32"
    assert record["config"]["image_size"] == 16
    assert np.isfinite(record["fidelity_ratio"]) and record["fidelity_ratio"] > 0


def test_bench_refuses_an_eval_size_the_unet_cannot_halve_before_training(tmp_path, load_script, capsys):
    bench = load_script("bench/paired_fidelity.py")
    with pytest.raises(SystemExit, match="--eval-size 40: the 16 px U-Net halves its input 4 times, so the size must be a multiple of 16"):
        bench.main(["--model", "pix2pix_maps", "--data-dir", str(tmp_path / "no_data_needed"), "--set", "image_size=16",
                    "--eval-size", "40"])
