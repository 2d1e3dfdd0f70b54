"""The captioned shapes task: caption grammar, pictures and their ground truth, caption encoder
pretraining, and the attribute classifier's scores."""
import numpy as np
import pytest

from zoo.training.shapes_classifier import build_classifier, caption_fidelity, free_spread, training_arrays
from zoo.training.shapes_data import RGB, TRUTH_CLASSES, make_shapes, named_truth, render
from zoo.stackgan import SHAPES, StackGANConfig
from zoo.stackgan.networks import build_generator
from zoo.stackgan.text import (VOCABULARY, Caption, CaptionTokenizer, all_captions, caption_split, check_caption,
                               pretrain_caption_encoder)


def test_grammar_and_split():
    captions = all_captions()
    assert len(captions) == len({c.text for c in captions}) == 360
    train, test = caption_split("train"), caption_split("test")
    assert len(test) == 33 and not {c.text for c in train} & {c.text for c in test}
    assert {c.position for c in test} == {None, "left", "right", "top", "bottom"}  # held out: every value
    assert {c.size for c in test} == {None, "small", "big"} and {c.count for c in test} == {1, 2}
    assert Caption(2, "blue", "square", position="left").text == "two blue squares on the left"
    assert Caption(1, "green", "triangle", size="big").text == "a big green triangle"
    assert all(set(c.text.split()) <= set(VOCABULARY) for c in captions)
    with pytest.raises(ValueError, match="split"):
        caption_split("val")


def test_tokenizer_ids_and_standardization():
    tokenizer = CaptionTokenizer()
    ids = tokenizer(["A red circle!", "a red circle"])
    assert ids.shape == (2, 8) and ids.dtype == np.int32
    np.testing.assert_array_equal(ids[0], ids[1])
    assert ids[0, 3:].tolist() == [0] * 5 and VOCABULARY[ids[0, 1] - 2] == "red"
    assert check_caption("a red circle") == ["a", "red", "circle"]


def test_rendered_picture_has_the_named_attributes():
    rng = np.random.default_rng(0)
    for caption in caption_split("train")[::7]:
        image, truth = render(caption, 32, rng)
        assert image.shape == (32, 32, 3) and image.dtype == np.uint8
        for name, wanted in named_truth(caption).items():
            assert TRUTH_CLASSES[name].index(truth[name]) == wanted, (caption.text, name)
        lit = image.reshape(-1, 3)[image.reshape(-1, 3).max(1) > 60].astype(float)
        direction = lit.mean(0) / np.linalg.norm(lit.mean(0))
        expected = np.asarray(RGB[caption.colour]) / np.linalg.norm(RGB[caption.colour])
        assert direction @ expected > 0.98, caption.text  # the colour, whatever the shade


def test_position_and_size_ranges():
    rng = np.random.default_rng(1)
    left = [render(Caption(2, "red", "circle", "small", "left"), 32, rng)[1] for _ in range(20)]
    assert all(t["cx"] < 0.5 and t["horizontal"] == "left" and t["size"] == "small" for t in left)
    bottom = [render(Caption(1, "blue", "square", "big", "bottom"), 32, rng)[1] for _ in range(20)]
    assert all(t["cy"] > 0.5 and 0.17 <= t["radius"] <= 0.24 for t in bottom)


def test_free_attributes_vary():
    rng = np.random.default_rng(2)
    truths = [render(Caption(1, "red", "circle"), 32, rng)[1] for _ in range(60)]
    assert np.std([t["cx"] for t in truths]) > 0.15 and np.std([t["shade"] for t in truths]) > 0.1
    assert {t["size"] for t in truths} == {"small", "big"}


def test_make_shapes_is_seeded_and_split():
    captions, images, truth = make_shapes(12, 16, "test", seed=3)
    again = make_shapes(12, 16, "test", seed=3)
    np.testing.assert_array_equal(images, again[1])
    assert images.shape == (12, 16, 16, 3) and set(truth) >= set(TRUTH_CLASSES) | {"cx", "cy", "shade"}
    assert {c.text for c in captions} <= {c.text for c in caption_split("test")}
    with pytest.raises(ValueError, match="num_examples"):
        make_shapes(0)


def test_caption_encoder_pretraining_trains_it_and_leaves_it_frozen():
    config = StackGANConfig(name="t", **dict(SHAPES, text_dim=8, word_dim=4))
    encoder = build_generator(config).text_encoder
    before = [np.array(v) for v in encoder.weights]
    accuracy, held_out = pretrain_caption_encoder(encoder, caption_split("train"), config.vocabulary,
                                                  config.max_caption_words, steps=3, held_out=caption_split("test")[:4])
    assert 0.0 <= accuracy <= 1.0 and 0.0 <= held_out <= 1.0
    assert not encoder.trainable
    assert any(np.abs(np.array(v) - b).max() > 0 for v, b in zip(encoder.weights, before))


def test_caption_fidelity_and_spread_from_predictions():
    captions = [Caption(1, "red", "circle", "big"), Caption(2, "blue", "square", position="left")]
    per_image = [captions[0]] * 2 + [captions[1]] * 2
    right = {name: np.array([named_truth(c).get(name, 0) for c in per_image]) for name in TRUTH_CLASSES}
    right.update(cx=np.array([0.2, 0.8, 0.3, 0.3]), cy=np.zeros(4), radius=np.array([0.2, 0.2, 0.1, 0.2]),
                 shade=np.array([0.5, 0.5, 0.6, 0.8]))
    assert caption_fidelity(right, per_image) == {"all": 1.0, "count": 1.0, "colour": 1.0, "shape": 1.0,
                                                   "size": 1.0, "horizontal": 1.0}
    wrong = dict(right, colour=np.array([1, 0, 2, 2]))  # red -> green in image 0
    assert caption_fidelity(wrong, per_image)["all"] == 0.75
    spread = free_spread(right, per_image, samples=2)
    assert spread["cx"] == pytest.approx(0.3)  # only the caption without a position counts
    assert spread["radius"] == pytest.approx(0.05) and spread["shade"] == pytest.approx(0.05)


def test_classifier_outputs_and_targets():
    images, targets = training_arrays(8, image_size=16, seed=0)
    model = build_classifier(16)
    outputs = model(images)
    assert set(outputs) == set(TRUTH_CLASSES) | {"regression"}
    assert all(outputs[name].shape == (8, len(classes)) for name, classes in TRUTH_CLASSES.items())
    assert targets["regression"].shape == (8, 4) and -1 <= images.min() and images.max() <= 1


def test_evaluation_files_for_the_text_preset(tmp_path):
    from zoo.training.shapes_data import write_evaluation_files

    captions, folder = write_evaluation_files(tmp_path, num_images=5, image_size=16)
    assert captions.read_text().splitlines() == [c.text for c in caption_split("test")]
    assert len(list(folder.glob("*.png"))) == 5


def test_score_writes_the_caption_fidelity_table_into_the_card(tmp_path, capsys):
    from zoo.model_dir import save_generator
    from zoo.training import shapes_classifier

    config = StackGANConfig(name="msgan_stackgan_shapes", **dict(SHAPES, gf_dim=4, df_dim=4, text_pretrain_steps=0))
    directory = tmp_path / "tiny"
    save_generator(build_generator(config), config, directory)
    (directory / "README.md").write_text("# tiny\n")
    report = shapes_classifier.main(["--score", str(directory), "--samples", "2", "--write-cards"])
    result = report[str(directory)]
    assert result["captions"] == len(caption_split("test")) and result["samples_per_caption"] == 2
    assert 0.0 <= result["fidelity"]["all"] <= 1.0 and result["free_spread"]["shade"] >= 0.0
    card = (directory / "README.md").read_text()
    assert card.startswith("# tiny\n") and "<!-- caption fidelity:start -->" in card
    assert f"| caption fidelity: every named attribute right (higher) | {result['fidelity']['all']:.4f} |" in card
    assert "held-out captions (never seen in training) x 2 samples" in card and "--write-cards" in card
    shapes_classifier.main(["--score", str(directory), "--samples", "1"])
    assert (directory / "README.md").read_text() == card  # without --write-cards the card is left alone
