"""Train the MNIST digit classifier that counts the modes of Stacked MNIST.

    python training/train_mnist_classifier.py          # writes saved_models/mnist_classifier/

Only the MNIST test set (10,000 digits) is available offline. :func:`zoo.lab.stacked_mnist.split_mnist`
splits it with a fixed seed: the classifier trains on the "classifier" half, and its accuracy is
measured on the "gan" half, which it never sees and which is exactly the set of digits the Stacked
MNIST GANs learn from. Inputs are 28x28x1 in [-1, 1], the range of the generators' channels.

Keras and TensorFlow are imported inside the functions: ``--help`` and a bad flag answer before
TensorFlow loads.
"""
import argparse
import json
import shlex
import sys
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "saved_models" / "mnist_classifier"
DEFAULT_MNIST = ROOT.parent / "shared" / "data" / "mnist"
MODEL_FILE = "model.keras"


def build_classifier(seed=0):
    """``(N, 28, 28, 1)`` digits in [-1, 1] -> ``(N, 10)`` class probabilities (about 110k weights, 0.5 MB)."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((28, 28, 1), name="digit")
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(inputs)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    # Flatten, not global pooling: where a stroke is tells a 6 from a 9 (pooling lost ~2 points).
    x = layers.Flatten()(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Dense(64, activation="relu", name="features")(x)
    outputs = layers.Dense(10, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="mnist_classifier")


def card(run):
    return f"""# mnist_classifier

A small CNN digit classifier (28x28 grayscale, inputs in [-1, 1]) used by
`bench/stacked_mnist.py` to label each channel of generated Stacked MNIST images, i.e. to count
which of the 1,000 digit triples a generator produces.

| | |
|---|---|
| command | `{run['command']}` |
| data | the real MNIST **test set** (`t10k` IDX files, the only MNIST here), split with seed {run['split_seed']}: {run['train']} digits train this classifier, {run['held_out']} (the GAN part) are held out |
| held-out accuracy | **{run['held_out_accuracy']:.4f}** on the {run['held_out']} digits of the GAN part, never used for training |
| all three channels right | {run['held_out_accuracy'] ** 3:.4f} (accuracy cubed: the chance a real stacked image gets its mode right, if errors are independent) |
| epochs | {run['epochs']} (Adam 1e-3, batch 64, random shifts of up to 2 pixels) |
| weights | {run['parameters']} parameters |
| wall time | {run['wall_time_s']:.0f} s |
| machine | {run['machine']} |

Use:

```python
import keras
from zoo.lab.stacked_mnist import classify_channels
classifier = keras.saving.load_model("saved_models/mnist_classifier/{MODEL_FILE}")
digits = classify_channels(classifier, stacked_images)   # (N, 28, 28, 3) in [-1, 1] -> (N, 3)
```
"""


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python training/train_mnist_classifier.py",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--mnist-dir", default=str(DEFAULT_MNIST), help="folder with the t10k IDX files")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output directory")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0, help="weights seed")
    parser.add_argument("--split-seed", type=int, default=0, help="seed of the classifier/GAN split")
    args = parser.parse_args(argv)

    import keras
    import numpy as np

    from zoo.machine import machine_line
    from zoo.lab.mnist_files import load_mnist
    from zoo.lab.stacked_mnist import split_mnist, to_unit_range

    try:
        images, labels = load_mnist(args.mnist_dir)
    except FileNotFoundError as error:
        parser.error(str(error))
    start = time.perf_counter()
    split = split_mnist(images, labels, seed=args.split_seed)
    x_train, y_train = split["classifier"]
    x_held, y_held = split["gan"]
    x_train, x_held = to_unit_range(x_train)[..., None], to_unit_range(x_held)[..., None]
    model = build_classifier(args.seed)
    # Shifts make it robust to the off-centre strokes a generator may draw; fill -1 is background.
    augment = keras.Sequential([keras.layers.RandomTranslation(2 / 28, 2 / 28, fill_mode="constant",
                                                               fill_value=-1.0, seed=args.seed)])
    inputs = keras.Input((28, 28, 1))
    trainer = keras.Model(inputs, model(augment(inputs)))
    trainer.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    trainer.fit(x_train, y_train.astype(np.int32), batch_size=64, epochs=args.epochs, verbose=2)
    predictions = model.predict(x_held, batch_size=1000, verbose=0).argmax(axis=-1)
    accuracy = float((predictions == y_held).mean())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model.save(out / MODEL_FILE)
    run = {"command": shlex.join(["python", "training/train_mnist_classifier.py",
                                  *(argv if argv is not None else sys.argv[1:])]),
           "held_out_accuracy": accuracy, "split_seed": args.split_seed, "seed": args.seed,
           "train": len(x_train), "held_out": len(x_held), "epochs": args.epochs,
           "parameters": model.count_params(), "wall_time_s": time.perf_counter() - start,
           "machine": machine_line()}
    (out / "README.md").write_text(card(run))
    (out / "metrics.json").write_text(json.dumps(run, indent=2) + "\n")
    print(f"held-out accuracy {accuracy:.4f} on {len(x_held)} digits; wrote {out}")
    return run


if __name__ == "__main__":
    main()
