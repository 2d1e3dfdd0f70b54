"""The official checkpoints in our networks: ``python -m zoo.convert`` and parity with the official code.

Parity tests read ``../shared/data/official`` (checkpoints written by the official MSGAN code and
what it computes from them; skipped when absent). The CLI and error tests write their own small
checkpoints in the official layouts with ``tests/torch_files.py``.
"""
import hashlib
import json
import os
import re
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.export.__main__ import main as export_main
from zoo.export.parity import parity
from torch_files import CallGlobal, save
from zoo.training.callbacks import TrainingCheckpoint
from zoo.__main__ import main as zoo_cli
from zoo.convert import torch_checkpoint
from zoo.convert.__main__ import convert, main
from zoo.dcgan import DCGAN
from zoo.dcgan import convert as dcgan_convert
from zoo.losses import bce_with_logits
from zoo.pix2pix import Pix2Pix
from zoo.pix2pix import convert as pix2pix_convert
from zoo.registry import get_config, get_spec

ROOT = Path(__file__).resolve().parents[1]
FORWARD_TOLERANCE = 1e-4
LOSS_TOLERANCE = 1e-3


def _official(name):
    shared = os.environ.get("MSGAN_SHARED")
    root = Path(shared) if shared else ROOT.parent / "shared" / "data"
    folder = root / "official" / name
    if not folder.is_dir():
        pytest.skip(f"official fixtures not found at {folder}")
    return folder


def _nhwc(x):
    return np.transpose(x, (0, 2, 3, 1))


def _nchw(x):
    return np.transpose(np.asarray(x), (0, 3, 1, 2))


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def _relative(ours, official):
    return abs(float(ours) / float(official) - 1.0)


@pytest.fixture(autouse=True, scope="module")
def _full_float32():
    """Parity is float32 against float32: no TensorFloat-32 matmuls (10-bit mantissa) on GPUs that have them."""
    enabled = tf.config.experimental.tensor_float_32_execution_enabled()
    tf.config.experimental.enable_tensor_float_32_execution(False)
    yield
    tf.config.experimental.enable_tensor_float_32_execution(enabled)


# -- forward parity on the official fixtures -------------------------------------------------------
@pytest.fixture(scope="module")
def dcgan_official():
    folder = _official("dcgan")
    gan, config, info = dcgan_convert.convert_gan(get_config("msgan_dcgan_cifar10"), folder / "00199.pth")
    return gan, config, info, np.load(folder / "reference.npz")


@pytest.fixture(scope="module")
def pix2pix_official():
    folder = _official("pix2pix")
    gan, config = pix2pix_convert.convert_gan(get_config("msgan_pix2pix_maps"), folder / "400_net_G.pth",
                                              folder / "400_net_D.pth")
    return gan, config, np.load(folder / "reference.npz")


def test_dcgan_generator_and_discriminator_match_the_official_eval_outputs(dcgan_official):
    gan, config, info, ref = dcgan_official
    one_hot = np.eye(config.num_classes, dtype=np.float32)[ref["eval_label"]]

    images = _nchw(gan.generator([one_hot, ref["eval_z"]], training=False))
    logits = np.asarray(gan.discriminator([_nhwc(ref["eval_x"]), one_hot], training=False))[:, 0]

    assert np.abs(images - ref["eval_G"]).max() <= FORWARD_TOLERANCE
    assert np.abs(_sigmoid(logits) - ref["eval_D"]).max() <= FORWARD_TOLERANCE  # official D ends in a sigmoid
    assert (config.nz, config.num_classes, config.image_size) == (100, 10, 32)
    assert (info["ep"], info["total_it"]) == (199, 312600)


def test_pix2pix_generator_and_both_discriminator_scales_match(pix2pix_official):
    gan, config, ref = pix2pix_official
    images = _nchw(gan.generator([_nhwc(ref["eval_A"]), ref["eval_z"]], training=False))
    scores = gan.discriminator([_nhwc(ref["eval_B"]), _nhwc(ref["eval_A"])], training=False)

    assert np.abs(images - ref["eval_G"]).max() <= FORWARD_TOLERANCE
    for k, score in enumerate(scores):
        assert _nchw(score).shape == ref[f"eval_D{k}"].shape
        assert np.abs(_nchw(score) - ref[f"eval_D{k}"]).max() <= FORWARD_TOLERANCE
    assert (config.ngf, config.ndf, config.nz, config.num_d) == (16, 16, 8, 2)  # read from the shapes


# -- train-step parity ----------------------------------------------------------------------------
class _OfficialNoise:
    """Mixin: the train step's z1, z2 are the official ones (``draw_noise`` is the documented seam),
    assigned before each step."""

    z_pair = None

    def draw_noise(self, batch_size):
        return tf.convert_to_tensor(self.z_pair)


class _DCGANWithOfficialNoise(_OfficialNoise, DCGAN):
    pass


class _Pix2PixWithOfficialNoise(_OfficialNoise, Pix2Pix):
    pass


def _replaying(cls, gan, config, batch_size):
    model = cls(config)
    model.generator.set_weights(gan.generator.get_weights())
    model.discriminator.set_weights(gan.discriminator.get_weights())
    model.compile()
    model.z_pair = tf.Variable(tf.zeros((2 * batch_size, config.nz)), trainable=False)
    return model


def _step_losses(model, batch, z1, z2):
    """One ``train_step``; returns its logged losses with the MS term ``1 / (ratio + eps)``."""
    for metric in model.metrics:
        metric.reset_state()
    model.z_pair.assign(np.concatenate([z1, z2]).astype(np.float32))
    batch = tuple(tf.constant(np.asarray(x, dtype=np.float32)) for x in batch)
    logs = {k: float(v) for k, v in model.train_step(batch).items()}
    logs["ms"] = 1.0 / (logs["ms_ratio"] + 1e-5)
    return logs


def test_dcgan_train_step_gives_the_official_losses_for_three_steps(dcgan_official):
    gan, config, _, ref = dcgan_official
    model = _replaying(_DCGANWithOfficialNoise, gan, config, len(ref["step0_x"]))
    # The official Adam(weight_decay=1e-4) is L2 added to the gradient (ConditionalGAN.apply_update,
    # tests/test_base.py), not Keras' decoupled weight_decay; three steps cannot resolve it (5e-4).
    assert model.weight_decay == pytest.approx(1e-4)
    assert model.g_optimizer.weight_decay is None and model.d_optimizer.weight_decay is None
    for step in range(3):
        one_hot = np.eye(config.num_classes, dtype=np.float32)[ref[f"step{step}_label"]]
        logs = _step_losses(model, (one_hot, _nhwc(ref[f"step{step}_x"])),
                            ref[f"step{step}_z1"], ref[f"step{step}_z2"])
        ours = {"loss_D": logs["d_loss"], "loss_G_GAN": logs["g_loss"] - logs["ms"], "loss_lz": logs["ms"]}
        for name, value in ours.items():
            assert _relative(value, ref[f"step{step}_{name}"]) <= LOSS_TOLERANCE, (step, name)


def test_pix2pix_train_step_gives_the_official_losses_for_three_steps(pix2pix_official):
    gan, config, ref = pix2pix_official
    model = _replaying(_Pix2PixWithOfficialNoise, gan, config, len(ref["step0_A"]))
    for step in range(3):
        logs = _step_losses(model, (_nhwc(ref[f"step{step}_A"]), _nhwc(ref[f"step{step}_B"])),
                            ref[f"step{step}_z1"], ref[f"step{step}_z2"])
        l1 = config.lambda_l1 * logs["g_l1"]
        ours = {"loss_D": logs["d_loss"], "loss_G_GAN": logs["g_loss"] - logs["ms"] - l1,
                "loss_G_L1": l1, "loss_lz": logs["ms"]}
        for name, value in ours.items():
            assert _relative(value, ref[f"step{step}_{name}"]) <= LOSS_TOLERANCE, (step, name)


def _official_bce(logits, target):
    """The official loss in float32: ``BCELoss(sigmoid(x))``, logs clamped at -100 as PyTorch does."""
    probability = (1.0 / (1.0 + np.exp(-np.asarray(logits, np.float32)))).astype(np.float32)
    with np.errstate(divide="ignore"):  # log(0) = -inf, then clamped, as PyTorch does
        log_p = np.maximum(np.log(probability), -100.0)
        log_not_p = np.maximum(np.log(np.float32(1.0) - probability), -100.0)
    return float(-np.mean(target * log_p + (1 - target) * log_not_p))


def test_bce_on_logits_is_the_official_loss_until_the_sigmoid_saturates():
    """On purpose: our D outputs logits and the loss is BCE on logits (stable in float16). It equals
    the official sigmoid + BCELoss wherever float32 can tell p from 0 and 1; past that (|logit|
    >~ 17) the official loss is stuck at a clamped log and ours stays exact."""
    moderate = np.linspace(-8.0, 8.0, 33, dtype=np.float32)
    for target in (0.0, 1.0):
        ours = float(bce_with_logits(moderate, target))
        assert abs(ours - _official_bce(moderate, target)) <= 1e-5 * max(1.0, ours)
    saturated = np.array([20.0], np.float32)
    assert _official_bce(saturated, 0.0) == pytest.approx(100.0)  # log(1 - 1.0) clamped
    assert float(bce_with_logits(saturated, 0.0)) == pytest.approx(20.0, rel=1e-6)


# -- small checkpoints in the official layouts ----------------------------------------------------
def _torch_conv(kernel):
    """Keras (kh, kw, a, b) -> torch (b, a, kh, kw): inverse of the converter's layout change."""
    return np.transpose(kernel, (3, 2, 0, 1))


def _dcgan_checkpoint(config, seed=0):
    """The official ``save()`` dict of a random DCGAN with ``config``'s widths, and that model."""
    keras.utils.set_random_seed(seed)
    model = DCGAN(config)
    rng = np.random.default_rng(seed)
    gen, dis = {}, {}
    for state, network in ((gen, model.generator), (dis, model.discriminator)):
        for layer in network.layers:
            weights = layer.get_weights()
            name = "conv%d" % (config.stages + 1) if layer.name == "logit_conv" else layer.name
            if isinstance(layer, keras.layers.BatchNormalization):
                stats = [rng.normal(size=w.shape).astype("f4") for w in weights[:3]]
                stats.append(rng.uniform(0.5, 2.0, size=weights[3].shape).astype("f4"))
                layer.set_weights(stats)
                for key, value in zip(("weight", "bias", "running_mean", "running_var"), stats):
                    state[f"{name}.{key}"] = value
                state[f"{name}.num_batches_tracked"] = np.array(5, dtype=np.int64)
            elif weights:
                kernel = rng.normal(scale=0.3, size=weights[0].shape).astype("f4")
                bias = rng.normal(scale=0.1, size=weights[1].shape).astype("f4")
                layer.set_weights([kernel, bias])
                state[f"{name}.weight"], state[f"{name}.bias"] = _torch_conv(kernel), bias
    opt = {"state": {}, "param_groups": [{"lr": 2e-4, "betas": (0.5, 0.999), "weight_decay": 1e-4}]}
    return {"dis": dis, "gen": gen, "dis_opt": opt, "gen_opt": opt, "ep": 3, "total_it": 40}, model


@pytest.fixture(scope="module")
def small_dcgan(tmp_path_factory):
    """``(path, checkpoint, model)``: a legacy-format ``00199.pth`` of a 8x8 DCGAN (d 4, nz 5)."""
    config = get_config("msgan_dcgan_cifar10").replace(image_size=8, d=4, nz=5)
    checkpoint, model = _dcgan_checkpoint(config)
    path = tmp_path_factory.mktemp("official") / "00199.pth"
    save(path, checkpoint, "legacy")
    return path, checkpoint, model


def test_cli_writes_a_directory_zoo_load_evaluate_and_fit_resume_take(small_dcgan, tmp_path, capsys):
    path, _, model = small_dcgan
    out = tmp_path / "converted"

    main(["msgan_dcgan_cifar10", str(path), "--out", str(out)])

    assert "wrote" in capsys.readouterr().out
    config = json.loads((out / "config.json").read_text())
    assert (config["d"], config["nz"], config["image_size"], config["bn_epsilon"]) == (4, 5, 8, 1e-5)
    sampler = zoo.load("msgan_dcgan_cifar10", weights=out)
    one_hot = np.eye(10, dtype=np.float32)[[1, 7]]
    z = np.random.default_rng(1).standard_normal((2, 5)).astype(np.float32)
    expected = np.asarray(model.generator([one_hot, z], training=False))
    np.testing.assert_allclose(sampler.generate(one_hot, z), expected, atol=1e-6)
    assert zoo.load(str(out)).config.d == 4  # a bare directory, as evaluate.py --model DIR loads it

    card = (out / "README.md").read_text()
    assert f"`{path.name}`" in card and "torch legacy format" in card
    assert hashlib.sha256(path.read_bytes()).hexdigest() in card

    resumed = DCGAN(zoo.load(str(out)).config)  # what fit.py --resume builds, then restores
    resumed.compile()
    assert TrainingCheckpoint(resumed, out / "checkpoints").restore() == 0
    np.testing.assert_allclose(resumed.discriminator.get_weights()[0], model.discriminator.get_weights()[0])
    assert [p.name for p in tmp_path.iterdir()] == ["converted"]  # no staging folder left behind


def test_a_converted_directory_exports_with_parity(small_dcgan, tmp_path):
    path, _, _ = small_dcgan
    converted = tmp_path / "converted"
    main(["msgan_dcgan_cifar10", str(path), "--out", str(converted)])
    written = export_main([str(converted), "--format", "all", "--out", str(tmp_path / "exported")])
    differences = parity(zoo.load(str(converted)), written["savedmodel"], written["onnx"], batch=6, seed=2)
    assert len(differences) == 3 and max(differences.values()) < 1e-4, differences


def _with_adam_state(checkpoint, step, seed=3):
    """``checkpoint`` with torch Adam states: random moments in torch layout for every parameter."""
    rng = np.random.default_rng(seed)
    result = dict(checkpoint)
    for opt_key, net_key in (("gen_opt", "gen"), ("dis_opt", "dis")):
        params = [k for k in checkpoint[net_key] if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))]
        state = {i: {"step": np.array(float(step), np.float32),
                     "exp_avg": rng.normal(scale=0.01, size=checkpoint[net_key][k].shape).astype("f4"),
                     "exp_avg_sq": rng.uniform(1e-4, 1e-3, size=checkpoint[net_key][k].shape).astype("f4")}
                 for i, k in enumerate(params)}
        result[opt_key] = {"state": state, "param_groups": [
            {"lr": 2e-4, "betas": (0.5, 0.999), "eps": 1e-8, "weight_decay": 1e-4, "params": list(range(len(params)))}]}
    return result


def test_the_official_adam_state_continues_in_the_fit_checkpoint(small_dcgan, tmp_path):
    _, checkpoint, _ = small_dcgan
    official = _with_adam_state(checkpoint, step=40)
    save(tmp_path / "00199.pth", official, "legacy")
    out = convert("msgan_dcgan_cifar10", tmp_path / "00199.pth", tmp_path / "out")

    resumed = DCGAN(zoo.load(str(out)).config)
    resumed.compile()
    TrainingCheckpoint(resumed, out / "checkpoints").restore()

    optimizer, variables = resumed.g_optimizer, resumed.generator.trainable_variables
    slot = [v.path for v in variables].index("deconv1/kernel")  # torch parameter 0, (in, out, kh, kw)
    torch_state = official["gen_opt"]["state"][0]
    assert int(optimizer.iterations) == 40
    np.testing.assert_array_equal(optimizer._momentums[slot].numpy(), torch_state["exp_avg"].transpose(2, 3, 1, 0))
    # The next Keras step is the official run's step 41 (torch's Adam update, in numpy).
    gradient = np.random.default_rng(4).normal(size=torch_state["exp_avg"].shape).astype(np.float32)
    weight = official["gen"]["deconv1.weight"]
    m = 0.5 * torch_state["exp_avg"] + 0.5 * gradient
    v = 0.999 * torch_state["exp_avg_sq"] + 0.001 * gradient ** 2
    expected = weight - 2e-4 * (m / (1 - 0.5 ** 41)) / (np.sqrt(v) / np.sqrt(1 - 0.999 ** 41) + 1e-8)
    grads = [np.zeros(v_.shape, np.float32) for v_ in variables]
    grads[slot] = gradient.transpose(2, 3, 1, 0)
    optimizer.apply(grads, variables)
    np.testing.assert_allclose(variables[slot].numpy(), expected.transpose(2, 3, 1, 0), rtol=1e-5, atol=1e-8)


def test_zip_and_legacy_files_convert_alike(small_dcgan, tmp_path):
    path, checkpoint, _ = small_dcgan
    zipped = tmp_path / "00199.pth"
    save(zipped, checkpoint, "zip")
    outs = [convert("msgan_dcgan_cifar10", p, tmp_path / f"out{i}") for i, p in enumerate((path, zipped))]
    weights = [zoo.load(str(o)).generator.get_weights() for o in outs]
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)


def _broken(tmp_path, checkpoint, change):
    broken = {"gen": dict(checkpoint["gen"]), "dis": dict(checkpoint["dis"]), "ep": 1}
    change(broken)
    path = tmp_path / "00199.pth"
    save(path, broken, "legacy")
    return path


@pytest.mark.parametrize("change, message", [
    (lambda c: c["gen"].pop("deconv1_bn.running_var"), r"^00199\.pth\['gen'\] has no tensor 'deconv1_bn\.running_var'$"),
    (lambda c: c["dis"].__setitem__("conv2.weight", np.zeros((8, 3, 4, 4), "f4")),
     r"00199\.pth\['dis'\]\['conv2\.weight'\] has a shape that fits no layer here"),
    (lambda c: c["gen"].__setitem__("extra.weight", np.zeros(3, "f4")), r"no place in the generator: extra\.weight"),
    (lambda c: c.pop("dis"), r"not an official DCGAN-Mode-Seeking checkpoint"),
    (lambda c: c.__setitem__("payload", CallGlobal("os", "system", ["true"])),
     r"^refusing to unpickle global 'os\.system' in 00199\.pth$"),
])
def test_bad_checkpoints_are_one_line_errors_and_write_nothing(small_dcgan, tmp_path, capsys, change, message):
    path = _broken(tmp_path, small_dcgan[1], change)
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_:
        main(["msgan_dcgan_cifar10", str(path), "--out", str(out)])
    error = capsys.readouterr().err.strip()
    assert exit_.value.code == 2 and "\n" not in error
    assert re.search(message, error.split("error: ", 1)[1])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["00199.pth"]


def test_truncated_file_another_family_and_usage_errors(small_dcgan, tmp_path, capsys):
    path = small_dcgan[0]
    truncated = tmp_path / "cut.pth"
    truncated.write_bytes(path.read_bytes()[:-1000])
    pix2pix_like = tmp_path / "400_net_G.pth"
    save(pix2pix_like, {"model.down.0.weight": np.zeros((4, 11, 4, 4), "f4")}, "zip")
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file").write_text("x")
    cases = [
        (["msgan_dcgan_cifar10", str(truncated)], "cut.pth is truncated"),
        (["msgan_dcgan_cifar10", str(pix2pix_like)], "400_net_G.pth is not an official DCGAN-Mode-Seeking checkpoint"),
        (["msgan_pix2pix_maps", str(path)], "not an official Pix2Pix generator"),
        (["msgan_dcgan_cifar10", str(path), "--discriminator", str(path)], "--discriminator: the dcgan family"),
        (["dcgan_cifar10", str(path)], "dcgan_cifar10: no released checkpoint"),
        (["msgan_dcgan_cifar10", str(tmp_path / "none.pth")], "checkpoint file not found"),
        (["msgan_dcgan_cifar10", str(path), "--out", str(tmp_path / "taken")], "exists and is not empty"),
        (["msgan_dcgan_cifar10", str(path), "--out", str(tmp_path / "taken" / "file" / "out")], "file"),
    ]
    for args, expected in cases:
        argv = args if "--out" in args else [*args, "--out", str(tmp_path / "out")]
        with pytest.raises(SystemExit):
            main(argv)
        error = capsys.readouterr().err.strip()
        assert expected in error and "\n" not in error, (args, error)
    assert not (tmp_path / "out").exists() and (tmp_path / "taken" / "file").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_overwrite_replaces_a_directory(small_dcgan, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    convert("msgan_dcgan_cifar10", small_dcgan[0], out, overwrite=True)
    assert not (out / "old.txt").exists() and (out / "generator.weights.h5").is_file()


def test_pix2pix_cli_with_the_discriminator(tmp_path):
    folder = _official("pix2pix")
    ref = np.load(folder / "reference.npz")
    out = tmp_path / "maps"
    main(["msgan_pix2pix_maps", str(folder / "400_net_G.pth"), "--out", str(out),
          "--discriminator", str(folder / "400_net_D.pth")])
    sampler = zoo.load("msgan_pix2pix_maps", weights=out)
    images = _nchw(sampler.generator([_nhwc(ref["eval_A"]), ref["eval_z"]], training=False))
    assert np.abs(images - ref["eval_G"]).max() <= FORWARD_TOLERANCE
    assert sampler.config.direction == "BtoA"  # the official default; the release's test commands set none
    assert (out / "discriminator.weights.h5").is_file() and (out / "checkpoints" / "checkpoint").is_file()
    assert "torch zip format" in (out / "README.md").read_text()


def test_pix2pix_files_from_old_torch_or_data_parallel_convert_alike(tmp_path):
    """A legacy-format copy of 400_net_G.pth with a ``module.`` prefix (nn.DataParallel) and the
    instance-norm running statistics PyTorch < 0.4 saved gives the same generator (CLI, G only)."""
    folder = _official("pix2pix")
    state = torch_checkpoint.load(folder / "400_net_G.pth")
    old_style = {f"module.{key}": value for key, value in state.items()}
    old_style["module.model.submodule.down.2.running_mean"] = np.zeros(32, np.float32)
    old_style["module.model.submodule.down.2.running_var"] = np.ones(32, np.float32)
    save(tmp_path / "400_net_G.pth", old_style, "legacy")

    out = convert("msgan_pix2pix_facades", tmp_path / "400_net_G.pth", tmp_path / "facades")
    reference, _ = pix2pix_convert.convert_generator(get_config("msgan_pix2pix_facades"), folder / "400_net_G.pth")

    converted = zoo.load("msgan_pix2pix_facades", weights=out).generator
    for ours, expected in zip(converted.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(ours, expected)
    assert not (out / "discriminator.weights.h5").exists() and not (out / "checkpoints").exists()
    assert "torch legacy format" in (out / "README.md").read_text()


# -- registry ---------------------------------------------------------------------------------------
def test_registry_says_which_paper_models_convert_and_load_names_the_command(monkeypatch, tmp_path, capsys):
    assert get_spec("msgan_dcgan_cifar10").convertible and get_spec("msgan_pix2pix_facades").convertible
    assert not get_spec("dcgan_cifar10").convertible  # the authors released MS models only
    assert get_spec("msgan_pix2pix_maps").convert_command == \
        "python -m zoo.convert msgan_pix2pix_maps 400_net_G.pth --out DIR"
    zoo_cli(["--pattern", "*pix2pix_facades"])
    listing = capsys.readouterr().out
    row = next(line for line in listing.splitlines() if line.startswith("msgan_pix2pix_facades"))
    assert "convertible" in row
    assert "convertible" not in next(line for line in listing.splitlines() if line.startswith("pix2pix_facades"))

    monkeypatch.setenv("MSGAN_ZOO_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError) as error:
        zoo.load("msgan_pix2pix_facades")
    assert "python -m zoo.convert msgan_pix2pix_facades 400_net_G.pth --out DIR" in str(error.value)
    assert "training/fit.py" in str(error.value)
