"""The shapes task's attribute classifier: caption fidelity and the spread of free attributes.

    python training/shapes_classifier.py                       # train; writes saved_models/shapes_classifier/
    python training/shapes_classifier.py --score DIR [DIR...]  # score model directories on held-out captions
    python training/shapes_classifier.py --score DIR [DIR...] --write-cards  # ... and put the table in their cards

A small CNN trained on pictures of :mod:`zoo.training.shapes_data` (captions of both splits: it is a
measuring instrument, not the GAN) to predict every ground-truth attribute: count, colour,
shape, size class, horizontal and vertical half (softmax heads) and the mean centre, radius
and shade (regression). Its accuracy on freshly drawn pictures goes into its card.

Scores of a generator (:func:`score_sampler`), on held-out captions with ``samples`` images each:

* **caption fidelity**: the fraction of generated images whose predicted attributes equal every
  attribute the caption names (and per attribute, over the captions naming it);
* **free spread**: per caption, the standard deviation over its samples of what the caption leaves
  free: centre ``cx``/``cy`` (captions without position), radius (without size), shade (always),
  averaged over captions. A mode-collapsed generator draws one place and one shade per caption.
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np


from zoo.cards import write_section
from zoo.machine import machine_line
from zoo.paths import PACKAGE_MODELS
from zoo.training.shapes_data import TRUTH_CLASSES, make_shapes, named_truth

DEFAULT_OUT = PACKAGE_MODELS / "shapes_classifier"
WEIGHTS_FILE = "classifier.weights.h5"
REGRESSED = ("cx", "cy", "radius", "shade")


def build_classifier(image_size=32, seed=0):
    """``(N, S, S, 3)`` in [-1, 1] -> dict of logits per class attribute and ``regression`` ``(N, 4)``."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((image_size, image_size, 3), name="image")
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(inputs)
    for filters in (64, 64, 64):  # to 4x4 at 32 px, flattened: positions stay readable
        x = layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Dense(128, activation="relu", name="features")(layers.Flatten()(x))
    outputs = {name: layers.Dense(len(classes), name=name)(x) for name, classes in TRUTH_CLASSES.items()}
    outputs["regression"] = layers.Dense(len(REGRESSED), name="regression")(x)
    return keras.Model(inputs, outputs, name="shapes_classifier")


def load_classifier(directory=DEFAULT_OUT, image_size=32):
    """The trained classifier: :func:`build_classifier` with the weights in ``directory`` (no
    deserialized code, only weight tensors)."""
    path = Path(directory) / WEIGHTS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no classifier weights at {path}; train them with python training/shapes_classifier.py")
    model = build_classifier(image_size)
    model.load_weights(path)
    return model


def training_arrays(num_examples, image_size=32, seed=0):
    """Pictures of both caption splits in [-1, 1] and their targets (the classifier's outputs)."""
    half = num_examples // 2
    parts = [make_shapes(half, image_size, "train", seed), make_shapes(num_examples - half, image_size, "test", seed + 1)]
    images = np.concatenate([p[1] for p in parts]).astype(np.float32) / 127.5 - 1.0
    targets = {name: np.concatenate([p[2][name] for p in parts]) for name in TRUTH_CLASSES}
    targets["regression"] = np.concatenate([np.stack([p[2][n] for n in REGRESSED], axis=1) for p in parts])
    return images, targets


def train(num_examples=20_000, epochs=10, image_size=32, seed=0, batch_size=64, verbose=2):
    """``(model, accuracies)``: the trained classifier and its per-attribute accuracy (and regression
    MAE) on 2,000 fresh pictures."""
    import keras

    model = build_classifier(image_size, seed)
    losses = {name: keras.losses.SparseCategoricalCrossentropy(from_logits=True) for name in TRUTH_CLASSES}
    losses["regression"] = keras.losses.MeanSquaredError()
    # The regressed values are fractions in [0, 1]: their squared errors need weight to matter.
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=losses,
                  loss_weights={**{name: 1.0 for name in TRUTH_CLASSES}, "regression": 20.0})
    images, targets = training_arrays(num_examples, image_size, seed)
    model.fit(images, targets, batch_size=batch_size, epochs=epochs, verbose=verbose, shuffle=True)
    test_images, test_targets = training_arrays(2_000, image_size, seed + 100)
    return model, accuracies(model, test_images, test_targets)


def predict(model, images):
    """Predicted classes per attribute ``(N,)`` and regressed values ``(N,)`` for images in [-1, 1]."""
    raw = model.predict(np.asarray(images, np.float32), verbose=0, batch_size=256)
    predicted = {name: np.argmax(np.asarray(raw[name]), axis=-1) for name in TRUTH_CLASSES}
    regression = np.asarray(raw["regression"])
    predicted.update({name: regression[:, i] for i, name in enumerate(REGRESSED)})
    return predicted


def accuracies(model, images, targets):
    """Per-attribute accuracy and, for the regressed values, mean absolute error."""
    predicted = predict(model, images)
    result = {name: float(np.mean(predicted[name] == targets[name])) for name in TRUTH_CLASSES}
    result.update({f"{name}_mae": float(np.mean(np.abs(predicted[name] - targets["regression"][:, i])))
                   for i, name in enumerate(REGRESSED)})
    return result


def caption_fidelity(predicted, captions):
    """``{"all": fraction of images with every named attribute right, <attribute>: accuracy over the
    images whose caption names it}``; ``predicted`` as :func:`predict` returns, one caption per image."""
    right_all = np.ones(len(captions), bool)
    per_attribute = {}
    for i, caption in enumerate(captions):
        for name, wanted in named_truth(caption).items():
            ok = predicted[name][i] == wanted
            per_attribute.setdefault(name, []).append(ok)
            right_all[i] &= ok
    return {"all": float(np.mean(right_all)), **{k: float(np.mean(v)) for k, v in per_attribute.items()}}


def free_spread(predicted, captions, samples):
    """Mean over captions of the per-caption std of each free attribute (images grouped ``samples`` per caption)."""
    spreads = {"cx": [], "cy": [], "radius": [], "shade": []}
    for c, caption in enumerate(captions[::samples]):
        rows = slice(c * samples, (c + 1) * samples)
        free = ["shade"] + ([] if caption.position else ["cx", "cy"]) + ([] if caption.size else ["radius"])
        for name in free:
            spreads[name].append(float(np.std(predicted[name][rows])))
    return {name: float(np.mean(v)) if v else None for name, v in spreads.items()}


def score_sampler(sampler, model, captions, samples=10, seed=0):
    """Caption fidelity and free-attribute spread of ``sampler`` (a :class:`zoo.stackgan.TextSampler`)."""
    images = sampler.sample([c.text for c in captions], samples, seed=seed)
    images = images.reshape(-1, *images.shape[2:]).astype(np.float32) / 127.5 - 1.0
    per_image = [c for c in captions for _ in range(samples)]
    predicted = predict(model, images)
    return {"captions": len(captions), "samples_per_caption": samples,
            "fidelity": caption_fidelity(predicted, per_image), "free_spread": free_spread(predicted, per_image, samples)}


def card(result, run):
    rows = "\n".join(f"| {name} | {value:.4f} |" for name, value in result.items())
    return f"""# shapes_classifier

Attribute classifier of the StackGAN++ shapes task (`training/shapes_classifier.py`): predicts
count, colour, shape, size class, horizontal / vertical half (softmax heads) and the mean centre,
radius and shade (regression) of a {run['image_size']} px picture of `training/shapes_data.py`.
It scores generators: caption fidelity (named attributes present) and the spread of the free ones.

Trained on {run['examples']:,} pictures (both caption splits), {run['epochs']} epochs, seed {run['seed']};
command: `{run['command']}`. Accuracy (and MAE of the regressed values, in fractions of the image
or of full brightness) on 2,000 fresh pictures:

| attribute | accuracy / MAE |
|---|---|
{rows}
"""


def score_table(report, command, machine):
    """Markdown: caption fidelity and free-attribute spread per scored model (a card section)."""
    names = list(report)
    first = report[names[0]]
    attributes = sorted({a for r in report.values() for a in r["fidelity"] if a != "all"})
    spreads = [k for k in first["free_spread"] if any(r["free_spread"][k] is not None for r in report.values())]

    def cell(value):
        return "-" if value is None else f"{value:.4f}"

    rows = [f"| {label} | " + " | ".join(cell(get(report[n])) for n in names) + " |" for label, get in [
        ("caption fidelity: every named attribute right (higher)", lambda r: r["fidelity"]["all"]),
        *[(f"  {a} right, over captions naming it", lambda r, a=a: r["fidelity"].get(a)) for a in attributes],
        *[(f"free spread: std of {k} over a caption's samples (higher = more varied)",
           lambda r, k=k: r["free_spread"][k]) for k in spreads]]]
    return "\n".join([
        "## Caption fidelity and what the caption leaves free",
        "",
        f"{first['captions']} held-out captions (never seen in training) x {first['samples_per_caption']} samples, "
        "read by the shipped attribute classifier (`saved_models/shapes_classifier`, trained on the generator's "
        "ground truth): fidelity = the named attributes are there; spread = the free ones (centre without a named "
        "position, radius without a named size, shade always) vary. Command: "
        f"`{command}`; {machine}.",
        "",
        "| metric | " + " | ".join(f"`{Path(n).name}`" for n in names) + " |",
        "|---|" + "---|" * len(names),
        *rows])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python training/shapes_classifier.py", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    parser.add_argument("--examples", type=int, default=20_000)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--score", nargs="+", metavar="MODEL", help="score these zoo names or model directories")
    parser.add_argument("--samples", type=int, default=10, help="--score: images per held-out caption")
    parser.add_argument("--write-cards", action="store_true",
                        help="--score: put the table into the scored models' cards (section 'caption fidelity')")
    args = parser.parse_args(argv)
    if args.score:
        import zoo
        from zoo.stackgan.text import caption_split

        try:
            model = load_classifier(args.out)
        except FileNotFoundError as error:
            print(f"shapes_classifier.py: error: {error}", file=sys.stderr)
            raise SystemExit(2)
        try:
            samplers = {name: zoo.load(name) for name in args.score}
        except (FileNotFoundError, ValueError) as error:
            print(f"shapes_classifier.py: error: {error}", file=sys.stderr)
            raise SystemExit(2)
        report = {name: score_sampler(sampler, model, caption_split("test"), args.samples, args.seed)
                  for name, sampler in samplers.items()}
        print(json.dumps(report, indent=1))
        command = "python training/shapes_classifier.py " + " ".join(argv if argv is not None else sys.argv[1:])
        table = score_table(report, command, machine_line())
        print(table)
        if args.write_cards:
            for name in args.score:
                if write_section(name, "caption fidelity", table) is None:
                    print(f"shapes_classifier.py: no card for {name} (no saved model directory)", file=sys.stderr)
        return report
    model, result = train(args.examples, args.epochs, seed=args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    bare = build_classifier(32)  # without the optimizer, which save_weights would also write
    bare.set_weights(model.get_weights())
    bare.save_weights(out / WEIGHTS_FILE)
    run = {"image_size": 32, "examples": args.examples, "epochs": args.epochs, "seed": args.seed,
           "command": "python training/shapes_classifier.py " + " ".join(argv if argv is not None else sys.argv[1:])}
    (out / "README.md").write_text(card(result, run))
    (out / "accuracy.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
