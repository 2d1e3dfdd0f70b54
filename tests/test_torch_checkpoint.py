import collections
import os
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from torch_files import CallGlobal, StorageView, TorchTensor, save
from zoo.convert import torch_checkpoint


def _official_dir():
    shared = os.environ.get("MSGAN_SHARED")
    root = Path(shared) if shared else Path(__file__).resolve().parents[1].parent / "shared" / "data"
    official = root / "official"
    if not official.is_dir():
        pytest.skip(f"official fixtures not found at {official}")
    return official


def _state_dict(rng):
    state = collections.OrderedDict()
    state["conv.weight"] = rng.normal(size=(4, 3, 3, 3)).astype("f4")
    state["conv.bias"] = rng.normal(size=(4,)).astype("f4")
    state["bn.num_batches_tracked"] = np.array(7, dtype="i8")
    state["embedding.ids"] = np.arange(5, dtype="i4")
    state["mask"] = np.array([True, False, True])
    state["half"] = rng.normal(size=(2, 2)).astype("f2")
    state._metadata = collections.OrderedDict({"": {"version": 1}})
    return state


@pytest.mark.parametrize("layout", ["legacy", "zip"])
def test_roundtrip_of_a_checkpoint_dict(tmp_path, layout):
    rng = np.random.default_rng(0)
    state = _state_dict(rng)
    checkpoint = {"gen": state, "ep": 199, "total_it": 312600, "lr": 2e-4,
                  "opt": {"state": {}, "param_groups": [{"betas": (0.5, 0.999), "params": [0, 1]}]}}
    path = tmp_path / f"model_{layout}.pth"
    save(path, checkpoint, layout)

    loaded = torch_checkpoint.load(path)

    assert type(loaded["gen"]) is dict and list(loaded["gen"]) == list(state)
    for key, value in state.items():
        np.testing.assert_array_equal(loaded["gen"][key], value)
        assert loaded["gen"][key].dtype == value.dtype and loaded["gen"][key].shape == value.shape
    assert loaded["ep"] == 199 and loaded["lr"] == 2e-4
    assert loaded["opt"]["param_groups"][0]["betas"] == (0.5, 0.999)


@pytest.mark.parametrize("layout", ["legacy", "zip"])
def test_strided_views_share_one_storage(tmp_path, layout):
    storage = np.arange(24, dtype="f4")
    matrix = TorchTensor(storage, 0, (4, 6), (6, 1))
    transposed = TorchTensor(storage, 0, (6, 4), (1, 6))
    row_slice = TorchTensor(storage, 7, (2, 3), (6, 1))
    path = tmp_path / "views.pth"
    save(path, {"m": matrix, "t": transposed, "s": row_slice}, layout)

    loaded = torch_checkpoint.load(path)

    full = np.arange(24, dtype="f4").reshape(4, 6)
    np.testing.assert_array_equal(loaded["m"], full)
    np.testing.assert_array_equal(loaded["t"], full.T)
    np.testing.assert_array_equal(loaded["s"], full[1:3, 1:4])
    assert loaded["t"].flags.c_contiguous


def test_legacy_storage_views_start_at_their_offset(tmp_path):
    """PyTorch < 1.6 pickled a view of a larger storage as (root key, root size, view metadata)."""
    root = np.arange(20, dtype="f4")
    view = StorageView(root, offset=8, numel=6)
    path = tmp_path / "view.pth"
    save(path, {"w": TorchTensor(view, 1, (2, 2), (3, 1)), "whole": TorchTensor(root, 0, (20,), (1,))}, "legacy")

    loaded = torch_checkpoint.load(path)

    np.testing.assert_array_equal(loaded["w"], [[9, 10], [12, 13]])
    np.testing.assert_array_equal(loaded["whole"], root)


@pytest.mark.parametrize("layout", ["legacy", "zip"])
@pytest.mark.parametrize("module, name", [("os", "system"), ("builtins", "eval"), ("torch", "load")])
def test_any_other_global_is_refused_and_never_called(tmp_path, layout, module, name):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    save(path, {"weight": np.zeros(2, "f4"), "payload": CallGlobal(module, name, [f"touch {marker}"])}, layout)

    with pytest.raises(ValueError, match=rf"^refusing to unpickle global '{module}\.{name}' in evil\.pth$"):
        torch_checkpoint.load(path)
    assert not marker.exists()


def test_a_tensor_past_its_storage_is_an_error(tmp_path):
    path = tmp_path / "overrun.pth"
    save(path, {"w": TorchTensor(np.zeros(6, "f4"), 2, (2, 3), (3, 1))}, "zip")
    with pytest.raises(ValueError, match="reaches past storage .* in overrun.pth"):
        torch_checkpoint.load(path)


@pytest.mark.parametrize("layout", ["legacy", "zip"])
def test_truncated_files_are_one_line_errors(tmp_path, layout):
    path = tmp_path / "whole.pth"
    save(path, {"w": np.ones((64, 64), "f4")}, layout)
    data = path.read_bytes()
    for cut in (len(data) - 100, len(data) // 2, 40):
        short = tmp_path / "short.pth"
        short.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="short.pth") as error:
            torch_checkpoint.load(short)
        assert "\n" not in str(error.value)


def _forge_numel(data, numel=10 ** 12):
    """Replace the element count pickled right after the first 'cpu' location (BININT1) by ``numel``."""
    marker = b"X\x03\x00\x00\x00cpuq"
    start = data.index(marker) + len(marker) + 1  # past the BINPUT memo index
    assert data[start:start + 1] == b"K"
    return data[:start] + b"\x8a\x06" + numel.to_bytes(6, "little", signed=True) + data[start + 2:]


@pytest.mark.parametrize("layout", ["legacy", "zip"])
def test_a_forged_element_count_is_refused_before_reading(tmp_path, layout):
    """A storage id claiming 10^12 elements is refused from the file's own sizes."""
    path = tmp_path / "forged.pth"
    save(path, {"w": np.ones(4, "f4")}, layout)
    if layout == "legacy":  # the count before the raw bytes too, so the two agree
        raw = struct.pack("<q", 4) + np.ones(4, "f4").tobytes()
        data = _forge_numel(path.read_bytes())
        path.write_bytes(data.replace(raw, struct.pack("<q", 10 ** 12) + raw[8:]))
    else:
        with zipfile.ZipFile(path) as source:
            records = {name: source.read(name) for name in source.namelist()}
        with zipfile.ZipFile(path, "w") as target:
            for name, payload in records.items():
                target.writestr(name, _forge_numel(payload) if name.endswith("data.pkl") else payload)
    with pytest.raises(ValueError, match=r"forged\.pth.*needs (4000000000000|4e12)"):
        torch_checkpoint.load(path)


def test_a_zip_without_its_storage_record_names_it(tmp_path):
    path = tmp_path / "whole.pth"
    save(path, {"w": np.ones(3, "f4")}, "zip")
    broken = tmp_path / "broken.pth"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.namelist():
            if "/data/" not in item:
                target.writestr(item, source.read(item))
    with pytest.raises(ValueError, match=r"storage record 'whole/data/\d+' is missing from broken.pth"):
        torch_checkpoint.load(broken)


def test_a_file_that_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "notes.pth"
    path.write_text("hello, this is text\n")
    with pytest.raises(ValueError, match="notes.pth"):
        torch_checkpoint.load(path)


def test_official_legacy_dcgan_checkpoint():
    checkpoint = torch_checkpoint.load(_official_dir() / "dcgan" / "00199.pth")

    assert set(checkpoint) == {"gen", "dis", "gen_opt", "dis_opt", "ep", "total_it"}
    generator = checkpoint["gen"]
    assert generator["deconv1.weight"].dtype == np.float32 and generator["deconv1.weight"].ndim == 4
    assert generator["deconv1_bn.num_batches_tracked"].dtype == np.int64
    assert np.all(generator["deconv1_bn.running_var"] > 0)
    assert checkpoint["dis_opt"]["param_groups"][0]["weight_decay"] == pytest.approx(1e-4)


def test_official_zip_pix2pix_checkpoints():
    official = _official_dir() / "pix2pix"
    generator = torch_checkpoint.load(official / "400_net_G.pth")
    discriminator = torch_checkpoint.load(official / "400_net_D.pth")

    assert all(isinstance(v, np.ndarray) and v.dtype == np.float32 for v in generator.values())
    assert {key.split(".")[0] for key in discriminator} == {"model0", "model1"}
    assert discriminator["model0.0.weight"].shape[1] == 6  # input: concat(A, B), 3 + 3 channels
