"""zoo.cards: each tool replaces its own card section and leaves the rest of the card alone."""
from zoo.cards import model_directory, replace_section, write_section


def test_replace_section_replaces_only_its_block_and_appends_new_ones(tmp_path):
    card = tmp_path / "README.md"
    card.write_text("# m\n\nhand-written\n\n<!-- metrics:start -->\nold\n<!-- metrics:end -->\n\ntail\n")
    replace_section(card, "metrics", "new table\n")
    replace_section(card, "export", "parity")
    text = card.read_text()
    assert text.startswith("# m\n\nhand-written\n\n<!-- metrics:start -->\nnew table\n<!-- metrics:end -->\n\ntail")
    assert "old" not in text and text.endswith("<!-- export:start -->\nparity\n<!-- export:end -->\n")
    replace_section(card, "metrics", "again")
    assert card.read_text().count("metrics:start") == 1 and "again" in card.read_text()


def test_write_section_finds_directories_and_skips_models_without_one(tmp_path):
    assert write_section(tmp_path, "diversity", "table") == tmp_path / "README.md"
    assert "table" in (tmp_path / "README.md").read_text()
    assert model_directory("msgan_dcgan_digits").name == "msgan_dcgan_digits"
    assert write_section("msgan_pix2pix_facades", "diversity", "x") is None   # no weights here
    assert write_section("../not a name", "diversity", "x") is None


def test_the_training_card_names_a_measuring_command_that_fits_the_family():
    from zoo.cards import measure_command, training_card
    from zoo.registry import get_config
    assert measure_command(get_config("msgan_dcgan_digits")).startswith("python training/diversity.py")
    assert measure_command(get_config("msgan_pix2pix_maps")).startswith("python training/paired_eval.py")
    assert measure_command(get_config("bicyclegan_maps")).startswith("python training/paired_eval.py")
    assert "--preset unpaired" in measure_command(get_config("msgan_drit_cat2dog"))
    assert measure_command(get_config("msgan_stackgan_shapes")).startswith("python training/shapes_classifier.py")
    assert "--preset text" in measure_command(get_config("msgan_stackgan_cub"))
    run = {"command": "x", "epochs": 1, "steps": 1, "examples": 1, "wall_time_s": 1.0, "machine": "m",
           "final_logs": {}, "grid": None}
    card = training_card(get_config("stackgan_shapes"), run)
    assert "python training/shapes_classifier.py --score stackgan_shapes --write-cards" in card
    assert "diversity.py" not in card
