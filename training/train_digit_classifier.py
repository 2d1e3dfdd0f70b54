"""Train the small digit classifier whose penultimate layer gives "FID-digits".

    python training/train_digit_classifier.py                     # writes saved_models/digits_classifier/

The common MNIST practice, applied to scikit-learn's 8x8 digits: FID computed on the features of
a classifier trained on the real data, since Inception features of 8x8 digits mean little.
Data: ``load_digits`` (1,797 images, [-1, 1] as the generators produce them), a stratified
80/20 split with a fixed seed; the held-out accuracy is measured on the 20% and written to the
model card.

Keras, TensorFlow and scikit-learn are imported inside the functions: ``--help`` and a bad flag
answer before TensorFlow loads.
"""
import argparse
import json
import shlex
import sys
import time
from pathlib import Path


DEFAULT_OUT = Path(__file__).resolve().parent.parent / "saved_models" / "digits_classifier"
MODEL_FILE = "model.keras"
FEATURE_LAYER = "features"


def build_classifier(feature_dim=64, seed=0):
    """``(N, 8, 8, 1)`` digits in [-1, 1] -> 10 class probabilities; layer ``features`` is the embedding."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((8, 8, 1), name="digit")
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(inputs)
    x = layers.Conv2D(64, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.3)(x)
    features = layers.Dense(feature_dim, activation="relu", name=FEATURE_LAYER)(x)
    outputs = layers.Dense(10, activation="softmax", name="probabilities")(features)
    return keras.Model(inputs, outputs, name="digits_classifier")


def split_digits(seed=0, test_fraction=0.2):
    from sklearn.model_selection import train_test_split

    from zoo.training.data import digits_arrays

    images, labels = digits_arrays()
    return train_test_split(images, labels, test_size=test_fraction, stratify=labels, random_state=seed)


def card(accuracy, run):
    return f"""# digits_classifier

A small CNN trained on scikit-learn's `load_digits` (8x8 grayscale digits, inputs in [-1, 1]).
Its penultimate layer `{FEATURE_LAYER}` ({run['feature_dim']}-d, ReLU) is the feature space of
**FID-digits**, the digits analogue of the common "FID with an MNIST classifier" practice: an
Inception FID of 8x8 digits is not meaningful. FID-digits is comparable only to other FID-digits
values computed with this exact file.

| | |
|---|---|
| command | `{run['command']}` |
| data | `load_digits`, stratified split (seed {run['seed']}): {run['train']} train / {run['test']} held out |
| held-out accuracy | **{accuracy:.4f}** ({run['test']} images never used for training) |
| epochs | {run['epochs']} (Adam 1e-3, batch 64) |
| wall time | {run['wall_time_s']:.0f} s |
| machine | {run['machine']} |

Use:

```python
from zoo.metrics import KerasFeatures
features = KerasFeatures("saved_models/digits_classifier/{MODEL_FILE}", layer="{FEATURE_LAYER}", name="digits classifier")
```
"""


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python training/train_digit_classifier.py", description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output directory")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--feature-dim", type=int, default=64)
    args = parser.parse_args(argv)

    import keras

    from zoo.machine import machine_line

    start = time.perf_counter()
    x_train, x_test, y_train, y_test = split_digits(args.seed)
    model = build_classifier(args.feature_dim, args.seed)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=64, epochs=args.epochs, verbose=2)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model.save(out / MODEL_FILE)
    run = {"command": shlex.join(["python", "training/train_digit_classifier.py", *(argv if argv is not None else sys.argv[1:])]),
           "seed": args.seed, "train": len(x_train), "test": len(x_test), "epochs": args.epochs,
           "feature_dim": args.feature_dim, "wall_time_s": time.perf_counter() - start, "machine": machine_line()}
    (out / "README.md").write_text(card(accuracy, run))
    (out / "metrics.json").write_text(json.dumps({"held_out_accuracy": accuracy, **run}, indent=2) + "\n")
    print(f"held-out accuracy {accuracy:.4f} on {len(x_test)} digits; wrote {out}")
    return accuracy


if __name__ == "__main__":
    main()
