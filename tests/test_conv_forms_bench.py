"""bench/conv_forms.py's matrix-product forms are the same linear maps as Keras' layers."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

_SPEC = importlib.util.spec_from_file_location("conv_forms", Path(__file__).resolve().parent.parent / "bench" / "conv_forms.py")
conv_forms = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(conv_forms)


@pytest.mark.parametrize("size, cin, cout", [(2, 3, 4), (4, 5, 2), (8, 2, 3)])
def test_gemm_forms_match_keras_layers(size, cin, cout):
    import keras

    rng = np.random.default_rng(size)
    x = rng.standard_normal((2, size, size, cin)).astype("float32")
    conv = keras.layers.Conv2D(cout, 4, strides=2, padding="same", use_bias=False)
    deconv = keras.layers.Conv2DTranspose(cout, 4, strides=2, padding="same", use_bias=False)
    expected_conv, expected_deconv = np.asarray(conv(x)), np.asarray(deconv(x))
    assert expected_conv.shape == (2, size // 2, size // 2, cout)
    np.testing.assert_allclose(conv_forms.conv_std(x, conv.kernel), expected_conv, atol=1e-5)
    np.testing.assert_allclose(conv_forms.conv_gemm(x, conv.kernel), expected_conv, atol=1e-5)
    np.testing.assert_allclose(conv_forms.deconv_std(x, deconv.kernel), expected_deconv, atol=1e-5)
    np.testing.assert_allclose(conv_forms.deconv_gemm(x, deconv.kernel), expected_deconv, atol=1e-5)
    np.testing.assert_allclose(conv_forms.deconv_subpixel(x, deconv.kernel), expected_deconv, atol=1e-5)
    np.testing.assert_allclose(conv_forms.deconv_hybrid(x, deconv.kernel), expected_deconv, atol=1e-5)


def test_hybrid_deconv_has_the_standard_ops_gradients():
    import tensorflow as tf

    rng = np.random.default_rng(3)
    x = tf.constant(rng.standard_normal((2, 4, 4, 5)).astype("float32"))
    w = tf.Variable(rng.standard_normal((4, 4, 3, 5)).astype("float32"))
    weights = tf.constant(rng.standard_normal((2, 8, 8, 3)).astype("float32"))
    grads = {}
    for name in ("std", "subpixel", "hybrid"):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(getattr(conv_forms, f"deconv_{name}")(x, w) * weights)
        grads[name] = [np.asarray(g) for g in tape.gradient(loss, [x, w])]
    for name in ("subpixel", "hybrid"):
        for got, expected in zip(grads[name], grads["std"]):
            np.testing.assert_allclose(got, expected, atol=1e-4)


def test_cli_runs_one_net_end_to_end(capsys, monkeypatch):
    monkeypatch.setitem(conv_forms.NETS, "tiny", [("deconv", 1, 2, 3, 2), ("conv", 1, 4, 3, 2)])
    conv_forms.main(["--net", "tiny", "--repeats", "1", "--threads", "1"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    rows = [json.loads(line) for line in lines]
    assert all(row["maxdiff"] < 1e-5 for row in rows[:2])
    assert set(rows[2]["total_ms"]) == {"std", "gemm", "subpixel", "hybrid", "best"}
    # best = the fastest form of each layer
    for column in (0, 1):
        assert rows[2]["total_ms"]["best"][column] <= min(t[column] for t in rows[2]["total_ms"].values())


def test_cli_times_only_the_chosen_layers(capsys, monkeypatch):
    monkeypatch.setitem(conv_forms.NETS, "tiny", [("deconv", 1, 2, 3, 2), ("conv", 1, 4, 3, 2)])
    conv_forms.main(["--net", "tiny", "--layers", "1", "--repeats", "1", "--threads", "1"])
    rows = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert [row.get("layer") for row in rows] == ["conv", None]
    assert "subpixel_fwd_ms" not in rows[0]


@pytest.mark.parametrize("layers", ["2", "a", "0,"])
def test_cli_rejects_bad_layer_indices(layers, capsys, monkeypatch):
    monkeypatch.setitem(conv_forms.NETS, "tiny", [("deconv", 1, 2, 3, 2), ("conv", 1, 4, 3, 2)])
    with pytest.raises(SystemExit) as exit_info:
        conv_forms.main(["--net", "tiny", "--layers", layers])
    assert exit_info.value.code == 2
    assert f"--layers must be comma-separated row indices 0..1 of --net tiny, got '{layers}'" in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--repeats", "--threads"])
def test_cli_rejects_non_positive_counts(flag, capsys):
    with pytest.raises(SystemExit) as exit_info:
        conv_forms.main([flag, "0"])
    assert exit_info.value.code == 2
    assert f"{flag} must be >= 1, got 0" in capsys.readouterr().err
