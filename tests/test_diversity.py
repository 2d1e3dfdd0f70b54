import numpy as np
import pytest

from zoo.metrics.diversity import mean_pairwise_l1, per_condition_l1_diversity


def test_mean_pairwise_l1_closed_form():
    samples = np.array([[0.0, 0.0], [1.0, 1.0], [3.0, 1.0]])
    # pairs: (0,1) -> 1, (0,2) -> 2, (1,2) -> 1
    assert mean_pairwise_l1(samples) == pytest.approx(4 / 3)
    assert mean_pairwise_l1(np.ones((5, 4, 4, 1))) == 0.0


def test_per_condition_diversity_finds_the_collapsed_condition():
    rng = np.random.default_rng(0)
    healthy = rng.uniform(-1, 1, (10, 4, 4, 1))
    collapsed = np.repeat(healthy[:1], 10, axis=0)
    mean, per = per_condition_l1_diversity(np.stack([healthy, collapsed]))
    assert per[1] == 0.0 and per[0] > 0.5
    assert mean == pytest.approx(per.mean())
    with pytest.raises(ValueError):
        mean_pairwise_l1(np.ones((1, 3)))


def test_class_diversity_of_the_shipped_digits_models():
    import zoo
    from zoo.training.evaluation.class_diversity import class_diversity

    ms = class_diversity(zoo.load("msgan_dcgan_digits"), num_samples=10, seed=0)
    baseline = class_diversity(zoo.load("dcgan_digits"), num_samples=10, seed=0)
    assert len(ms["per_class"]) == 10 and ms["min"] <= ms["mean"]
    assert ms["mean"] > baseline["mean"]  # the published claim of the cards (0.372 vs 0.335)


def test_diversity_cli_bad_models_are_one_line_errors(capsys, tmp_path):
    from zoo.training.diversity import main
    from zoo.model_dir import save_generator
    from zoo.pix2pix import Pix2PixConfig, build_generator

    image_model = tmp_path / "msgan_pix2pix_maps"
    config = Pix2PixConfig(name="msgan_pix2pix_maps", image_size=16, ngf=4, ndf=4)
    save_generator(build_generator(config), config, image_model)
    for argv, message in ((["nosuch_model"], "unknown model 'nosuch_model'"),
                          ([str(image_model)], "is not a class-conditioned model")):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert message in err[-1]


def test_colour_split_separates_tint_from_structure():
    from zoo.metrics.diversity import colour_split

    rng = np.random.default_rng(0)
    base = rng.uniform(-0.5, 0.5, (8, 8, 3))
    # The same picture in three tints: all the difference is colour.
    tinted = np.stack([base + np.array(shift) for shift in ([0.0, 0, 0], [0.3, 0, 0], [0, 0.3, -0.3])])
    scores = colour_split(tinted)
    assert scores["residual_l1"] == pytest.approx(0.0, abs=1e-12)
    assert scores["colour_l1"] == pytest.approx(mean_pairwise_l1(tinted))
    # Different pictures with one mean colour: all the difference is structure.
    shapes = rng.uniform(-0.5, 0.5, (4, 8, 8, 3))
    shapes -= shapes.mean(axis=(1, 2), keepdims=True)
    scores = colour_split(shapes)
    assert scores["colour_l1"] == pytest.approx(0.0, abs=1e-12)
    assert scores["residual_l1"] == pytest.approx(mean_pairwise_l1(shapes))
    # Saturation: 0 for gray pixels, the std over RGB otherwise; absent for one-channel images.
    gray = np.repeat(rng.uniform(-1, 1, (3, 4, 4, 1)), 3, axis=-1)
    assert colour_split(gray)["saturation"] == pytest.approx(0.0, abs=1e-12)
    red = np.zeros((2, 4, 4, 3))
    red[..., 0] = 1.0
    assert colour_split(red)["saturation"] == pytest.approx(np.std([1.0, 0.0, 0.0]))
    assert "saturation" not in colour_split(gray[..., :1])
    with pytest.raises(ValueError, match=r"\(n, H, W, C\)"):
        colour_split(np.zeros((3, 4, 4)))


def test_saturation_needs_rgb():
    from zoo.metrics.diversity import saturation

    assert saturation(np.array([[1.0, -1.0, 0.0]])) == pytest.approx(np.std([1.0, -1.0, 0.0]))
    with pytest.raises(ValueError, match="RGB"):
        saturation(np.zeros((2, 4, 4, 1)))
