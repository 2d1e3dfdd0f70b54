"""The zoo's registry: every paper model named, specs complete, listing and filtering."""
import json

import pytest

import zoo
from zoo import registry
from zoo.__main__ import card_metrics, main as zoo_main
from zoo.dcgan import DCGANConfig
from zoo.model_dir import save_generator

PAPER_MODELS = ["msgan_dcgan_cifar10", "msgan_pix2pix_facades", "msgan_pix2pix_maps",
                "msgan_bicyclegan_facades", "msgan_bicyclegan_maps", "msgan_drit_yosemite",
                "msgan_drit_cat2dog", "msgan_stackgan_cub"]
TINY = DCGANConfig(name="msgan_dcgan_digits", dataset="digits", image_size=8, channels=1, d=8,
                   class_names=tuple(str(i) for i in range(10)))


@pytest.fixture
def zoo_home(tmp_path, monkeypatch):
    """An empty $MSGAN_ZOO_HOME and an empty package model folder."""
    monkeypatch.setenv("MSGAN_ZOO_HOME", str(tmp_path / "home"))
    monkeypatch.setattr("zoo.paths.PACKAGE_MODELS", tmp_path / "package")
    return tmp_path / "home"


@pytest.fixture
def clean_registry():
    """Undo registrations a test makes."""
    specs, configs = dict(registry._SPECS), dict(registry._REGISTRY)
    yield
    registry._SPECS.clear(), registry._SPECS.update(specs)
    registry._REGISTRY.clear(), registry._REGISTRY.update(configs)


def test_every_paper_model_and_its_baseline_twin_is_named():
    names = {entry["name"] for entry in zoo.list_models()}
    for name in PAPER_MODELS + ["msgan_dcgan_digits"]:
        assert name in names
        assert name[len("msgan_"):] in names


def test_every_spec_is_complete_and_twins_differ_only_in_lambda():
    for entry in zoo.list_models():
        for field in ("family", "task", "dataset", "data", "preprocessing", "paper", "weights"):
            assert entry[field], f"{entry['name']}: empty {field}"
        assert entry["name"].endswith("_" + entry["dataset"])
        assert (entry["lambda_ms"] > 0) == entry["name"].startswith("msgan_")
        json.dumps(entry)  # plain data
    msgan, baseline = zoo.get_spec("msgan_dcgan_cifar10"), zoo.get_spec("dcgan_cifar10")
    assert baseline.config.replace(name=msgan.name, lambda_ms=msgan.lambda_ms) == msgan.config
    assert "baseline" in baseline.paper and "1903.05628" in msgan.paper


@pytest.mark.parametrize("name", ["msgan_drit_cat2dog", "drit_yosemite", "msgan_stackgan_cub", "stackgan_cub"])
def test_every_paper_model_is_implemented(name):
    spec = zoo.get_spec(name)
    assert spec.implemented and spec.config is not None and name in zoo.model_names()


def test_a_spec_without_family_code_has_a_clear_error(monkeypatch):
    monkeypatch.setattr(registry, "_SPECS", dict(registry._SPECS))
    registry.add_spec("msgan_future_maps", "future", "maps")
    for name in ("msgan_future_maps", "future_maps"):
        spec = zoo.get_spec(name)
        assert not spec.implemented and spec.config is None
        with pytest.raises(registry.ModelNotImplementedError, match="not implemented") as error:
            zoo.get_config(name)
        assert isinstance(error.value, ValueError) and "\n" not in str(error.value)
        with pytest.raises(ValueError, match="not implemented"):
            zoo.load(name)
        assert name not in zoo.model_names()


def test_unknown_and_invalid_names():
    with pytest.raises(KeyError, match="did you mean msgan_pix2pix_maps"):
        zoo.get_spec("msgan_pix2pix_map")
    for bad in ("../saved_models/x", "a/b", "", "MSGAN", "x" * 80, None):
        with pytest.raises(ValueError, match="invalid model name"):
            registry.validate_name(bad)


def test_list_models_filters(zoo_home):
    drit = zoo.list_models(family="drit")
    assert {e["name"] for e in drit} == {"msgan_drit_yosemite", "drit_yosemite", "msgan_drit_cat2dog", "drit_cat2dog"}
    assert all(e["task"] == "image -> image (unpaired)" for e in drit)
    assert {e["name"] for e in zoo.list_models(pattern="*_cifar10")} == {"msgan_dcgan_cifar10", "dcgan_cifar10"}
    assert {e["name"] for e in zoo.list_models(dataset="maps", family="pix2pix")} <= {"msgan_pix2pix_maps", "pix2pix_maps"}
    assert zoo.list_models(weights_here=True) == []
    implemented = {e["name"] for e in zoo.list_models(implemented=True)}
    assert implemented == set(zoo.model_names())


def test_weights_here_flag_follows_the_lookup_dirs(zoo_home):
    from zoo.dcgan import build_generator

    save_generator(build_generator(TINY), TINY, zoo_home / "msgan_dcgan_digits")
    here = zoo.list_models(weights_here=True)
    assert [e["name"] for e in here] == ["msgan_dcgan_digits"]
    assert here[0]["weights_dir"] == str(zoo_home / "msgan_dcgan_digits")


def test_register_upgrades_a_named_spec_and_adds_its_twin(clean_registry):
    registry.add_spec("msgan_dcgan_future", "dcgan", "cifar10", paper="A future paper", weights="elsewhere")
    with pytest.raises(ValueError, match="not implemented"):
        zoo.get_config("msgan_dcgan_future")
    registry.register(DCGANConfig(name="msgan_dcgan_future", d=8))
    spec = zoo.get_spec("msgan_dcgan_future")
    assert spec.implemented and spec.paper == "A future paper" and spec.config.d == 8
    assert zoo.get_config("dcgan_future").lambda_ms == 0.0
    assert {"msgan_dcgan_future", "dcgan_future"} <= set(zoo.model_names())
    # A config for a name no spec listed gets a spec derived from it.
    registry.register(DCGANConfig(name="msgan_dcgan_other", dataset="cifar10"))
    assert zoo.get_spec("msgan_dcgan_other").task == "label -> image"


def test_python_m_zoo_prints_the_table_with_card_metrics(zoo_home, capsys):
    from zoo.dcgan import build_generator

    directory = zoo_home / "msgan_dcgan_digits"
    save_generator(build_generator(TINY), TINY, directory)
    (directory / "README.md").write_text(
        "# card\n\n| model | lambda_ms | mean over classes | lowest class |\n|---|---|---|---|\n"
        "| `msgan_dcgan_digits` | 1 | 0.3117 | 0.2001 |\n| `dcgan_digits` | 0 | 0.1 | 0.05 |\n")
    zoo_main([])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["name", "task"]
    row = next(line for line in lines if line.startswith("msgan_dcgan_digits "))
    assert "yes" in row and "mean over classes 0.3117" in row and "lowest class 0.2001" in row
    drit_row = next(line for line in lines if line.startswith("msgan_drit_cat2dog "))
    assert "not implemented" not in drit_row and "convertible" in drit_row
    zoo_main(["--weights-here"])
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()[2:]] == ["msgan_dcgan_digits"]


def test_card_metrics_reads_only_the_models_row():
    card = "| model | FID |\n|---|---|\n| `other` | 9 |\n| `m` | 12.5 |\n\ntext | not a row"
    assert card_metrics(card, "m") == {"FID": "12.5"}
    assert card_metrics(card, "absent") == {}
    sectioned = "<!-- fid:start -->\n" + card + "\n<!-- fid:end -->"
    assert card_metrics(sectioned, "m") == {"fid: FID": "12.5"}


def test_evaluation_table_of_a_card_gives_fid_and_lpips_first():
    from zoo.__main__ import evaluation_metrics

    card = ("| metric (protocol) | `base` | `m` |\n|---|---|---|\n"
            "| NDB (K=50) | 48.0000 | 46.0000 |\n"
            "| LPIPS diversity, higher is more diverse (LPIPS v0.1 alex) | 0.15 | 0.31 |\n"
            "| FID, lower is better (FID-AlexNet: conv5) | 214.0 | 172.4 |\n"
            "| L1 diversity, higher is more diverse | 0.05 | 0.13 |\n")
    # The FID says which features it used: FID-AlexNet is not comparable with an Inception FID.
    assert evaluation_metrics(card, "m") == {"FID-AlexNet": "172.4", "LPIPS diversity": "0.31", "NDB": "46.0000"}
    assert list(evaluation_metrics(card, "base").values())[0] == "214.0"
    assert evaluation_metrics(card, "absent") == {}
    inception = card.replace("(FID-AlexNet: conv5)", "(Inception pool3, 2048-d)")
    assert list(evaluation_metrics(inception, "m").items())[0] == ("FID", "172.4")
