"""Train the CIFAR-10 classifier whose penultimate layer gives "FID-CIFAR".

    python training/train_cifar_classifier.py --data-dir ../shared/data/cifar10 --threads 1
    python training/train_cifar_classifier.py --data-dir ../shared/data/cifar10 --threads 1 --resume   # after a kill

The real Inception graph of the FID literature cannot be downloaded on offline machines, so the
label task also gets a FID on the features of a CIFAR-10 classifier trained here (the common
"FID with a dataset classifier" practice). Data: the *training split* of an image-folder tree
(``<data-dir>/train/<class>/*.jpg``; test accuracy on ``<data-dir>/test``), or
``tfds.load("cifar10")`` without ``--data-dir``. Inputs are images in [-1, 1], what the
generators produce. The net is a compact BN conv net (3 stages of two 3x3 convs, 24/48/96
channels by default, about 22 M multiply-adds per image), random crop (pad 4) + horizontal
flip, SGD with Nesterov momentum and a warm-up + cosine learning-rate schedule. A checkpoint is
written after every epoch; ``--resume`` continues a killed run from the last one, and
``--resume --epochs N`` re-plans the schedule of an unfinished run to N epochs in all.
"""
import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from zoo.training.data import AUTOTUNE, DataError, check_image_sizes, list_image_folder, scale_image, tfds_dataset
from zoo.machine import machine_line, set_threads

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "saved_models" / "cifar10_classifier"
DEFAULT_CHECKPOINTS = ROOT / "runs" / "cifar10_classifier"
MODEL_FILE = "model.keras"
CHECKPOINT_FILE = "checkpoint.keras"
STATE_FILE = "state.json"
FEATURE_LAYER = "features"
IMAGE_SIZE, NUM_CLASSES = 32, 10
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def build_classifier(widths=(24, 48, 96), feature_dim=128, seed=0):
    """``(N, 32, 32, 3)`` images in [-1, 1] -> 10 class probabilities; layer ``features`` is the embedding.

    Each stage is two 3x3 conv + BN + ReLU; max pooling between stages, global average pooling
    after the last, then a ReLU dense layer ``features`` (``feature_dim``) and the softmax head.
    """
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3), name="image")
    x = inputs
    for stage, width in enumerate(widths):
        if stage:
            x = layers.MaxPooling2D(2, name=f"pool{stage}")(x)
        for i in range(2):
            # No conv bias: the following batch norm's offset replaces it.
            x = layers.Conv2D(width, 3, padding="same", use_bias=False, name=f"conv{stage + 1}_{i + 1}")(x)
            x = layers.BatchNormalization(name=f"bn{stage + 1}_{i + 1}")(x)
            x = layers.ReLU()(x)
    x = layers.GlobalAveragePooling2D(name="pooled")(x)
    features = layers.Dense(feature_dim, activation="relu", name=FEATURE_LAYER)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities")(features)
    return keras.Model(inputs, outputs, name="cifar10_classifier")


def multiply_adds(model):
    """Multiply-adds of one forward pass of one image through the Conv2D and Dense layers."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            _, h, w, c_out = layer.output.shape
            total += h * w * c_out * int(np.prod(layer.kernel.shape[:-1]))
        elif isinstance(layer, layers.Dense):
            total += int(np.prod(layer.kernel.shape))
    return total


# --- data ---------------------------------------------------------------------------------------


def folder_split(data_dir, split, limit=None, seed=0):
    """Unbatched ``(uint8 (32, 32, 3), label)`` of ``data_dir/split/<class>/*``, plus its size.

    ``limit`` keeps a seeded random subset of that many files (drawn across all classes, not the
    first folders), so smoke runs need not decode all 50,000 images. The decode is written here
    rather than through ``zoo.training.data.image_folder_dataset`` because that one takes no subset.
    """
    split_dir = Path(data_dir) / split
    if not split_dir.is_dir():
        raise DataError(f"no '{split}' folder in data directory {data_dir} "
                        f"(expected {split_dir}/<class>/<image files>)")
    paths, labels, class_names = list_image_folder(split_dir)
    if len(class_names) != NUM_CLASSES:
        raise DataError(f"{split_dir}: found {len(class_names)} class folders, CIFAR-10 has {NUM_CLASSES}")
    if limit is not None and limit < len(paths):
        keep = np.sort(np.random.default_rng(seed).choice(len(paths), limit, replace=False))
        paths, labels = [paths[i] for i in keep], labels[keep]
    check_image_sizes(paths, IMAGE_SIZE)

    def decode(path, label):
        return tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False), label

    dataset = tf.data.Dataset.from_tensor_slices((paths, labels)).map(decode, num_parallel_calls=AUTOTUNE)
    return dataset, len(paths), class_names


def load_split(data_dir, split, limit=None, seed=0):
    """The split from an image-folder tree, or from ``tfds.load("cifar10")`` without ``data_dir``."""
    if data_dir is not None:
        return folder_split(data_dir, split, limit, seed)
    dataset, count, class_names = tfds_dataset("cifar10", split)
    if limit is not None:
        dataset, count = dataset.take(limit), min(count, limit)
    return dataset, count, class_names


def augment(image, label):
    """Random crop of the 4-pixel zero-padded image, random horizontal flip (uint8 in and out)."""
    padded = tf.pad(image, [[4, 4], [4, 4], [0, 0]])
    image = tf.image.random_crop(padded, [IMAGE_SIZE, IMAGE_SIZE, 3])
    return tf.image.random_flip_left_right(image), label


def pipeline(dataset, count, batch_size, train, seed=0):
    """Cache the decoded uint8 images, then (train) shuffle + augment, batch, scale to [-1, 1], prefetch."""
    dataset = dataset.cache()
    if train:
        dataset = dataset.shuffle(count, seed=seed, reshuffle_each_iteration=True)
        dataset = dataset.map(augment, num_parallel_calls=AUTOTUNE)
    dataset = dataset.batch(batch_size).map(lambda x, y: (scale_image(x), y), num_parallel_calls=AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


# --- training -----------------------------------------------------------------------------------


def learning_rate_schedule(steps, peak_lr=0.1):
    """Linear warm-up from ``peak_lr / 10`` to ``peak_lr`` over 15% of ``steps``, then cosine decay to 0."""
    warmup = max(1, int(0.15 * steps))
    return keras.optimizers.schedules.CosineDecay(peak_lr / 10, decay_steps=max(1, steps - warmup), alpha=0.0,
                                                  warmup_target=peak_lr, warmup_steps=warmup)


def compile_classifier(model, steps, peak_lr=0.1, weight_decay=5e-4, label_smoothing=0.1):
    """SGD (Nesterov 0.9) on :func:`learning_rate_schedule` over ``steps``, decoupled weight decay."""
    schedule = learning_rate_schedule(steps, peak_lr)
    # Keras' weight decay is decoupled (w -= lr * wd * w); x10 matches the usual 5e-4 L2 under momentum 0.9.
    optimizer = keras.optimizers.SGD(schedule, momentum=0.9, nesterov=True, weight_decay=10 * weight_decay)
    exclude_from_decay(optimizer)
    model.compile(optimizer=optimizer, loss=keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing),
                  metrics=["accuracy"])


def one_hot(dataset):
    return dataset.map(lambda x, y: (x, tf.one_hot(y, NUM_CLASSES)))


def exclude_from_decay(optimizer):
    """Only the conv / dense kernels decay, not batch-norm scales and offsets or biases.

    Called again after loading a checkpoint: the exclusion list is not part of the saved config.
    """
    optimizer.exclude_from_weight_decay(var_names=["gamma", "beta", "bias"])


class EpochCheckpoint(keras.callbacks.Callback):
    """After every epoch: the full model (optimizer and schedule position included) and the run state.

    ``state`` (a JSON-ready dict) gains ``epochs_done``, the accumulated ``wall_time_s`` and the
    epoch's logs; ``--resume`` reads it back.
    """

    def __init__(self, directory, state):
        super().__init__()
        self.directory, self.state = Path(directory), state
        self.started = time.perf_counter()
        self.previous_seconds = state.get("wall_time_s", 0.0)

    def on_epoch_end(self, epoch, logs=None):
        self.state.update(epochs_done=epoch + 1,
                          wall_time_s=self.previous_seconds + time.perf_counter() - self.started)
        self.state.setdefault("history", []).append({k: float(v) for k, v in (logs or {}).items()})
        # Write then rename: a kill during the save must not leave a broken checkpoint.
        partial = self.directory / ("partial_" + CHECKPOINT_FILE)
        self.model.save(partial)
        partial.replace(self.directory / CHECKPOINT_FILE)
        (self.directory / STATE_FILE).write_text(json.dumps(self.state, indent=1) + "\n")


def card(run):
    history = run["history"][-1] if run["history"] else {}
    return f"""# cifar10_classifier

A compact CNN trained on the CIFAR-10 training split (inputs: 32x32 RGB in [-1, 1], what the
zoo's generators produce). Its penultimate layer `{FEATURE_LAYER}` ({run['feature_dim']}-d, ReLU) is the feature
space of **FID-CIFAR**, the offline stand-in for the Inception FID on the label task (the
2015 Inception graph cannot be downloaded on these machines). A FID-CIFAR is comparable only to
other FID-CIFAR values computed with this exact file, never to published (Inception) CIFAR-10 FIDs.

| | |
|---|---|
| command | `{run['command']}` |
| data | {run['data']}: {run['train']} training images, {run['test']} test images |
| caveat | {run['caveat']} |
| test accuracy | **{run['test_accuracy']:.4f}** ({run['test']} test images, never used for training) |
| last epoch (training, augmented) | loss {history.get('loss', float('nan')):.4f}, accuracy {history.get('accuracy', float('nan')):.4f} |
| network | 3 stages x two 3x3 conv + BN + ReLU (widths {run['widths']}), max pooling, global average pooling, dense `{FEATURE_LAYER}` {run['feature_dim']}, softmax; {run['params']:,} parameters, {run['multiply_adds'] / 1e6:.1f} M multiply-adds per image |
| training | {run['epochs']} epochs, batch {run['batch_size']}, SGD Nesterov 0.9, peak lr {run['peak_lr']} (linear warm-up over 15% of the steps from lr/10, cosine decay to 0), weight decay 5e-4 (kernels only), label smoothing 0.1; random crop (pad 4) + horizontal flip |
| wall time | {run['wall_time_s'] / 60:.1f} min of training ({run['threads']} intra-op thread(s), on a CPU shared with other jobs){run['resume_note']} |
| machine | {run['machine']} |

Use:

```python
from zoo.metrics import KerasFeatures
features = KerasFeatures("saved_models/cifar10_classifier/{MODEL_FILE}", layer="{FEATURE_LAYER}", name="FID-CIFAR")
```

or `python training/evaluate.py --preset label --features cifar10 ...`.
"""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python training/train_cifar_classifier.py", description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", help="image-folder tree with train/<class>/* and test/<class>/* "
                                           "(default: tfds.load('cifar10'), needs the internet)")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="where model.keras and the card go")
    parser.add_argument("--checkpoint-dir", default=str(DEFAULT_CHECKPOINTS), help="per-epoch checkpoint and state")
    parser.add_argument("--resume", action="store_true", help="continue from the checkpoint in --checkpoint-dir")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--widths", default="24,48,96", help="channels of the three conv stages")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--peak-lr", type=float, default=0.1)
    parser.add_argument("--stop-after", type=int, help="train at most this many epochs in this invocation, "
                                                        "then exit (continue later with --resume)")
    parser.add_argument("--limit", type=int, help="use at most this many images per split (smoke runs)")
    parser.add_argument("--threads", type=int, help="TensorFlow intra-op threads (default: TF's choice)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2), help="Keras fit verbosity (1: progress bar)")
    args = parser.parse_args(argv)
    try:
        args.widths = tuple(int(w) for w in args.widths.split(","))
    except ValueError:
        parser.error(f"--widths must be three comma-separated integers, got {args.widths!r}")
    if len(args.widths) != 3 or min(args.widths) < 1:
        parser.error(f"--widths must be three positive integers, got {args.widths}")
    for key in ("epochs", "batch_size", "limit", "threads", "stop_after"):
        value = getattr(args, key)
        if value is not None and value < 1:
            parser.error(f"--{key.replace('_', '-')} must be >= 1, got {value}")
    return args


def main(argv=None):
    args = parse_args(argv)
    widths = args.widths
    if args.threads and not set_threads(args.threads, inter_op=True):
        print(f"train_cifar_classifier.py: note: TensorFlow is already running; --threads {args.threads} ignored",
              file=sys.stderr)
    try:
        train, train_count, class_names = load_split(args.data_dir, "train", args.limit, args.seed)
        test, test_count, _ = load_split(args.data_dir, "test", args.limit, args.seed)
    except DataError as error:
        print(f"train_cifar_classifier.py: error: {error}", file=sys.stderr)
        return 2
    if tuple(class_names) != CIFAR10_CLASSES:
        print(f"train_cifar_classifier.py: warning: classes {class_names} are not CIFAR-10's {CIFAR10_CLASSES}",
              file=sys.stderr)
    steps_per_epoch = -(-train_count // args.batch_size)
    checkpoints = Path(args.checkpoint_dir)
    checkpoints.mkdir(parents=True, exist_ok=True)
    command = shlex.join(["python", "training/train_cifar_classifier.py", *(argv if argv is not None else sys.argv[1:])])
    state = {"epochs_done": 0, "wall_time_s": 0.0, "commands": []}
    if args.resume:
        if not (checkpoints / CHECKPOINT_FILE).is_file():
            print(f"train_cifar_classifier.py: error: no checkpoint to resume in {checkpoints} "
                  f"(run without --resume first)", file=sys.stderr)
            return 2
        state = json.loads((checkpoints / STATE_FILE).read_text())
        finished = state["epochs_done"] >= state["epochs"]
        if (state["train"], tuple(state["widths"])) != (train_count, widths) or (
                args.epochs != state["epochs"] and (finished or args.epochs <= state["epochs_done"])):
            print(f"train_cifar_classifier.py: error: the checkpoint in {checkpoints} is of a run on {state['train']} "
                  f"images, widths {state['widths']}, after epoch {state['epochs_done']} of {state['epochs']}; resume "
                  f"with the same --limit and --widths, and --epochs {state['epochs']} or a new total above "
                  f"{state['epochs_done']} for an unfinished run", file=sys.stderr)
            return 2
        model = keras.models.load_model(checkpoints / CHECKPOINT_FILE)
        exclude_from_decay(model.optimizer)
        if args.epochs != state["epochs"]:
            # A re-planned run (e.g. less CPU than expected): the same warm-up + cosine shape over the new
            # total, continued at the current step; weights and momentum are kept.
            model.optimizer.learning_rate = learning_rate_schedule(steps_per_epoch * args.epochs, args.peak_lr)
            replan = {"after_epoch": state["epochs_done"], "from_epochs": state["epochs"], "to_epochs": args.epochs}
            state.setdefault("replanned", []).append(replan)
            state["epochs"] = args.epochs
            print(f"re-planned the schedule from {replan['from_epochs']} to {args.epochs} epochs")
        print(f"resuming after epoch {state['epochs_done']} of {args.epochs} from {checkpoints / CHECKPOINT_FILE}")
    else:
        model = build_classifier(widths, seed=args.seed)
        compile_classifier(model, steps_per_epoch * args.epochs, args.peak_lr)
        state.update(epochs=args.epochs, train=train_count, widths=list(widths))
    state["commands"].append(command)

    # A reshuffle seed per start, so a resumed run does not replay the first epochs' order.
    train_data = one_hot(pipeline(train, train_count, args.batch_size, True, args.seed + state["epochs_done"]))
    test_data = one_hot(pipeline(test, test_count, 500, False))
    stop = args.epochs if args.stop_after is None else min(args.epochs, state["epochs_done"] + args.stop_after)
    if state["epochs_done"] < stop:
        # The schedule spans all --epochs; fit's epoch numbers are absolute, so a resumed run continues it.
        # shuffle=False: the tf.data pipeline shuffles; Keras would warn that it ignores shuffle=True.
        model.fit(train_data, epochs=stop, initial_epoch=state["epochs_done"], verbose=args.verbose, shuffle=False,
                  callbacks=[EpochCheckpoint(checkpoints, state)])
    if state["epochs_done"] < args.epochs:
        print(f"stopped after epoch {state['epochs_done']} of {args.epochs}; continue with the same command "
              f"plus --resume (checkpoint: {checkpoints / CHECKPOINT_FILE})")
        return 0
    _, accuracy = model.evaluate(test_data, verbose=0)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    # An uncompiled wrapper of the same layers: the shipped file carries no optimizer state.
    keras.Model(model.inputs, model.outputs, name="cifar10_classifier").save(out / MODEL_FILE)
    caveat = ("the image files are JPEG quality 75 re-encodings of CIFAR-10 (see ../shared/data/README.md), so pixels "
              "differ slightly from the original binary release" if args.data_dir else
              "tfds `cifar10` (the original binary release)")
    resumed = len(state["commands"]) > 1
    run = {"command": state["commands"][0] if not resumed else " ; then ".join(dict.fromkeys(state["commands"])),
           "data": f"image folders `{args.data_dir}` (train/ and test/)" if args.data_dir else "`tfds.load('cifar10')`",
           "caveat": caveat, "train": train_count, "test": test_count, "test_accuracy": float(accuracy),
           "epochs": args.epochs, "batch_size": args.batch_size, "peak_lr": args.peak_lr,
           "widths": "/".join(map(str, widths)), "feature_dim": model.get_layer(FEATURE_LAYER).units,
           "params": model.count_params(), "multiply_adds": multiply_adds(model),
           "wall_time_s": state["wall_time_s"], "threads": args.threads or "default",
           "resume_note": (f"; resumed {len(state['commands']) - 1} time(s)" if resumed else "") + "".join(
               f"; the schedule was re-planned from {r['from_epochs']} to {r['to_epochs']} epochs after epoch "
               f"{r['after_epoch']}" for r in state.get("replanned", [])),
           "history": state.get("history", []), "machine": machine_line()}
    (out / "README.md").write_text(card(run))
    (out / "metrics.json").write_text(json.dumps(run, indent=2) + "\n")
    print(f"test accuracy {accuracy:.4f} on {test_count} images; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
