"""bench/train_step.py's official peers (by family) and bench/torch_pix2pix_step.py.

The project does not depend on PyTorch: the tests that run the PyTorch peer use this Python when
it can import torch, else the interpreter named by ``MSGAN_TORCH_PYTHON`` (e.g.
``/root/torchvenv/bin/python``), and skip when there is neither.
"""
import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import keras
import pytest

from zoo.registry import get_config, get_family

ROOT = Path(__file__).resolve().parents[1]
TINY_PIX2PIX = {"image_size": 64, "ngf": 4, "ndf": 4}


def torch_python():
    if importlib.util.find_spec("torch") is not None:
        return sys.executable
    python = os.environ.get("MSGAN_TORCH_PYTHON")
    if not python or not Path(python).exists():
        pytest.skip("PyTorch is not importable here and MSGAN_TORCH_PYTHON names no interpreter with it")
    return python


def option(command, name):
    return command[command.index(name) + 1]


def test_official_peer_is_chosen_by_family(load_script):
    bench = load_script("bench/train_step.py")
    dcgan = bench.official_command(get_config("msgan_dcgan_cifar10").replace(lambda_ms=0.0), "PY", 1, None)
    assert dcgan[0] == "PY" and Path(dcgan[1]).name == "torch_dcgan_step.py" and "--serve" in dcgan
    assert option(dcgan, "--batch-size") == "32" and option(dcgan, "--lambda-ms") == "0.0"
    assert option(dcgan, "--threads") == "2"  # NOTES' thread count when --threads is not given

    config = get_config("msgan_pix2pix_maps").replace(image_size=128, ngf=16, num_d=3)
    pix2pix = bench.official_command(config, "PY", 2, 4)
    assert Path(pix2pix[1]).name == "torch_pix2pix_step.py" and Path(pix2pix[1]).exists()
    assert [option(pix2pix, k) for k in ("--size", "--ngf", "--ndf", "--num-d", "--nz", "--threads", "--warmup")] == [
        "128", "16", "64", "3", "8", "4", "2"]


def test_a_family_without_an_official_peer_is_a_one_line_error(load_script, capsys):
    bench = load_script("bench/train_step.py")
    with pytest.raises(ValueError, match="no PyTorch re-implementation of the official bicyclegan step"):
        bench.official_command(get_config("msgan_bicyclegan_maps"), "PY", 1, 2)
    with pytest.raises(SystemExit) as exit_info:  # before any model is built
        bench.main(["--model", "msgan_bicyclegan_maps", "--official", sys.executable, "--size", "64"])
    message = capsys.readouterr().err.strip()
    assert exit_info.value.code == 2
    assert message.startswith("train_step.py: error: --official: no PyTorch") and "\n" not in message
    with pytest.raises(ValueError, match="official CIFAR-10 DCGAN step"):  # the DCGAN peer has fixed widths
        bench.official_command(get_config("msgan_dcgan_digits"), "PY", 1, 2)


def test_model_flops_counts_convolutions_per_sample(load_script):
    bench = load_script("bench/train_step.py")
    image = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 4, strides=2, padding="same")(image)  # 4x4 outputs x (4*4*3) x 4
    x = keras.layers.Conv2DTranspose(5, 4, strides=2, padding="same")(x)  # 4x4 inputs scatter 4*4*5 x 4
    x = keras.layers.Dense(7)(keras.layers.Flatten()(x))  # 8*8*5 x 7
    model = keras.Model(image, x)
    assert bench.model_flops(model) == 2 * (16 * 48 * 4 + 16 * 80 * 4 + 320 * 7)


def test_torch_peer_rejects_bad_sizes_before_importing_torch(load_script, capsys):
    peer = load_script("bench/torch_pix2pix_step.py")
    for argv, message in ((["--size", "100"], "power of two"), (["--size", "32"], "too small for 2 PatchGANs")):
        with pytest.raises(SystemExit) as exit_info:
            peer.main(argv)
        assert exit_info.value.code == 2
        error = capsys.readouterr().err
        assert error.startswith("torch_pix2pix_step.py: error: ") and message in error and error.count("\n") == 1


def test_torch_peer_says_when_torch_is_missing(load_script):
    if importlib.util.find_spec("torch") is not None:
        pytest.skip("PyTorch is importable here")
    with pytest.raises(SystemExit, match="PyTorch is not installed"):
        load_script("bench/torch_pix2pix_step.py").main(["--size", "64", "--steps", "1"])


def test_torch_peer_builds_our_networks_and_trains(load_script):
    """Same parameters and FLOPs as our Keras G and D at the same size, finite losses."""
    python = torch_python()
    config = get_config("msgan_pix2pix_maps").replace(**TINY_PIX2PIX)
    command = [python, str(ROOT / "bench" / "torch_pix2pix_step.py"), "--size", "64", "--ngf", "4", "--ndf", "4",
               "--steps", "2", "--warmup", "1", "--threads", "1"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    line = json.loads(result.stdout.strip().splitlines()[-1])
    ours = load_script("bench/train_step.py").network_counts(get_family("pix2pix").gan_class(config))
    assert {k: line[k] for k in ours} == ours and ours["g_params"] > 0 and ours["d_flops"] > 0
    for losses in (line["losses_first"], line["losses_last"]):
        assert all(math.isfinite(v) for v in losses.values())
        assert losses["ms_ratio"] > 0 and losses["g_loss"] > losses["g_l1"]  # MS and GAN terms add to L1
    assert line["images_per_s"] > 0 and line["size"] == 64


def test_train_step_times_the_pix2pix_peer_in_every_round(load_script, capsys):
    python = torch_python()
    bench = load_script("bench/train_step.py")
    bench.main(["--model", "msgan_pix2pix_maps", "--size", "64", "--set", "ngf=4", "--set", "ndf=4",
                "--compare", "float32", "--rounds", "2", "--steps", "1", "--warmup", "1",
                "--official", python])
    lines = [json.loads(x) for x in capsys.readouterr().out.strip().splitlines()]
    official = [x for x in lines if x.get("path") == "official"]
    assert [x["round"] for x in official] == [1, 2]
    assert official[0]["model"].startswith("official Pix2Pix+MS") and official[0]["images_per_s"] > 0
    summary = lines[-1]
    assert summary["networks"]["same"] is True and summary["networks"]["ours"]["g_params"] > 0
    assert len(summary["x_official"]["float32"]) == 2 and summary["x_official"]["official"] == [1.0, 1.0]
