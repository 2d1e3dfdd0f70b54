"""Train a zoo model: ``python training/fit.py [--model NAME] [options]``.

With no arguments it trains ``msgan_dcgan_digits`` on scikit-learn's bundled digits (CPU,
minutes). Every run writes into ``--out``:

* ``samples/epoch_NNN.png`` - rows = classes (named) or input images (first column), columns =
  noise vectors, one grid per epoch;
* ``logs/`` - TensorBoard (``tensorboard --logdir OUT/logs``);
* ``checkpoints/`` - G, D, optimizers and RNG after every epoch (``--resume`` continues; the last
  two are kept);
* ``epochs/epoch_NNN/`` - with ``--keep-every N``, the generator of every N-th epoch (a directory
  ``zoo.load`` and ``evaluate.py --model`` take);
* ``history.jsonl`` - the epoch metrics and the training path (``mixed_precision``,
  ``jit_compile``, ``path_reason``); ``wall_time_s`` - the finished epochs' wall time, summed
  over resumed processes;
* at the end ``generator.weights.h5``, ``config.json``, ``curves.png`` (the history drawn) and a
  model card ``README.md``.

``--mixed-precision auto`` and ``--jit-compile auto`` (the defaults) take the fastest correct
path measured for this machine (``training/fastpath.py`` states the rule and its measurements):
bfloat16 on CPUs with ``avx512_bf16``/AMX, float16 with loss scaling on GPUs >= sm_70, XLA where
it measured faster. A resumed run keeps the precision its ``history.jsonl`` names (a run
from before that record resumes with ``auto``'s choice for this machine).

Numbers that cannot train (``--lambda-ms nan``, ``--set learning_rate=nan``) and an unwritable
``--out`` are one-line errors before anything is written. A run whose losses or weights become
NaN or infinite stops with a one-line error naming the epoch and step (exit status 1); its last
checkpoint is the last good epoch, and no weights or card are written.
"""
import argparse
import dataclasses
import json
import math
import os
import shlex
import sys
from pathlib import Path

from zoo.training.fastpath import AUTO, JIT_CHOICES, PRECISIONS, choose_path
from zoo.training.numerics import NonFiniteTraining, check_config_numbers

DEFAULT_MODEL = "msgan_dcgan_digits"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python training/fit.py",
        description="Train a conditional GAN of the zoo (MSGAN or its baseline).")
    parser.add_argument("--model", default=DEFAULT_MODEL,
                        help=f"zoo name (default {DEFAULT_MODEL}); `python -c 'import zoo; print(zoo.model_names())'` lists them")
    parser.add_argument("--epochs", type=int, help="epochs (default: the model's config)")
    parser.add_argument("--batch-size", type=int, help="batch size (default: the model's config)")
    parser.add_argument("--lambda-ms", type=float, help="weight of the mode seeking term; 0 = baseline")
    parser.add_argument("--data-dir", help="dataset directory (default: the dataset's own loader)")
    parser.add_argument("--out", help="output directory (default runs/<model>)")
    parser.add_argument("--mixed-precision", choices=(AUTO, *PRECISIONS), default=AUTO,
                        help="dtype policy; auto (default): mixed_bfloat16 on CPUs with avx512_bf16/AMX, "
                             "mixed_float16 on GPUs >= sm_70, else float32 (training/fastpath.py)")
    parser.add_argument("--seed", type=int, help="seed of weights, noise and shuffling (default: config)")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="override a config field, e.g. --set image_size=64 --set ngf=16 (repeatable)")
    parser.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in --out")
    parser.add_argument("--limit", type=int, help="use only the first N training examples (smoke tests)")
    parser.add_argument("--steps-per-epoch", type=int,
                        help="steps per Keras epoch; the data then repeats, so an epoch can be a fraction of "
                             "a pass (shorter checkpoint interval on slow machines) or span several")
    parser.add_argument("--threads", type=int,
                        help="TensorFlow intra-op threads (default: TF's choice; 1 lets two runs share 2 cores)")
    parser.add_argument("--jit-compile", choices=JIT_CHOICES, nargs="?", const="on", default=AUTO,
                        help="XLA for the train step: auto (default: where it measured faster on this kind of "
                             "machine, training/fastpath.py), on (also a bare --jit-compile), off")
    parser.add_argument("--keep-every", type=int, metavar="N",
                        help="also write the generator of every N-th epoch to OUT/epochs/epoch_NNN/ "
                             "(generator.weights.h5 + config.json; score them with evaluate.py --model DIR)")
    parser.add_argument("--strategy", choices=("default", "mirrored"), default="default",
                        help="tf.distribute strategy: mirrored = all local GPUs (or the CPU)")
    parser.add_argument("--no-monitor", action="store_true",
                        help="skip the ModeCollapseMonitor (within-condition diversity per epoch, collapse warnings)")
    parser.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2),
                        help="Keras fit verbosity: 1 a progress bar, 2 a line per epoch plus --progress-every lines")
    parser.add_argument("--progress-every", type=float, default=300.0, metavar="SECONDS",
                        help="with --verbose 2: also a line within an epoch every SECONDS (step, s/step, the "
                             "epoch's ETA, losses; default 300; 0 = every step)")
    return parser.parse_args(argv)


def fail(message, status=2):
    """One-line error on stderr; exit status 2 (bad input, nothing written) unless given."""
    print(f"fit.py: error: {message}", file=sys.stderr)
    raise SystemExit(status)


def resolve_config(args):
    from zoo.registry import get_config

    try:
        config = get_config(args.model)
    except (KeyError, ValueError) as error:
        fail(error.args[0])
    changes = {}
    for field, value in (("epochs", args.epochs), ("batch_size", args.batch_size),
                         ("lambda_ms", args.lambda_ms), ("seed", args.seed)):
        if value is not None:
            changes[field] = value
    changes.update(_field_overrides(args.set, config))
    try:
        config = config.replace(**changes)
    except ValueError as error:
        fail(str(error))
    if config.epochs < 1:
        fail(f"--epochs must be >= 1, got {config.epochs}")
    if config.lambda_ms < 0 or not math.isfinite(config.lambda_ms):
        fail(f"--lambda-ms must be >= 0 and finite, got {config.lambda_ms}")
    try:
        check_config_numbers(config)
    except ValueError as error:
        fail(str(error))
    if args.steps_per_epoch is not None and args.steps_per_epoch < 1:
        fail(f"--steps-per-epoch must be >= 1, got {args.steps_per_epoch}")
    if args.threads is not None and args.threads < 1:
        fail(f"--threads must be >= 1, got {args.threads}")
    if args.keep_every is not None and args.keep_every < 1:
        fail(f"--keep-every must be >= 1, got {args.keep_every}")
    if args.data_dir is not None and not Path(args.data_dir).is_dir():
        fail(f"data directory not found: {args.data_dir}")
    return config


def _field_overrides(items, config):
    """``--set FIELD=VALUE`` pairs as a dict; values parsed as JSON when they can be (64, 0.5, true)."""
    import dataclasses

    fields = {f.name for f in dataclasses.fields(config)}
    changes = {}
    for item in items:
        field, sep, text = item.partition("=")
        if not sep or field not in fields:
            fail(f"--set {item!r}: expected FIELD=VALUE with FIELD one of {', '.join(sorted(fields))}")
        try:
            changes[field] = json.loads(text)
        except json.JSONDecodeError:
            changes[field] = text
        if isinstance(getattr(config, field), float) and isinstance(changes[field], str):
            try:  # "nan", "inf": not JSON, but numbers the finiteness check must see
                changes[field] = float(text)
            except ValueError:
                fail(f"--set {item!r}: {field} must be a number")
    return changes


def check_out_writable(out):
    """Fail (one line) unless ``out`` can be created or written; writes nothing that stays."""
    import tempfile

    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        fail(f"--out {out}: {existing} is not a directory")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        fail(f"--out {out}: cannot write in {existing} ({error.strerror or error})")


def resolve_path(args, out, family=None):
    """The :class:`zoo.training.fastpath.TrainingPath` of this run (``auto`` resolved).

    A resumed run keeps the precision its ``history.jsonl`` names (an optimizer's checkpoint
    under ``mixed_float16`` has the loss-scale wrapper's structure); XLA follows the machine.
    """
    precision = args.mixed_precision
    resumed_precision = _logged_precision(out / "history.jsonl") if args.resume else None
    try:
        if precision == AUTO and resumed_precision:
            path = choose_path(resumed_precision, args.jit_compile, family=family)
            return dataclasses.replace(path, precision_reason=f"auto: the resumed run's ({out / 'history.jsonl'})")
        return choose_path(precision, args.jit_compile, family=family)
    except ValueError as error:
        fail(str(error))


def _logged_precision(path):
    """The ``mixed_precision`` of the last record of a ``history.jsonl`` that has one, else None."""
    from zoo.training.curves import read_history

    if not path.is_file():
        return None
    records = [r for r in read_history(path, strict=False) if isinstance(r.get("mixed_precision"), str)]
    return records[-1]["mixed_precision"] if records else None


def main(argv=None):
    args = parse_args(argv)
    if not (math.isfinite(args.progress_every) and args.progress_every >= 0):
        fail(f"--progress-every must be a finite number of seconds >= 0, got {args.progress_every}")
    config = resolve_config(args)
    out = Path(args.out or Path("runs") / config.name)
    check_out_writable(out)
    if out.exists() and any(out.iterdir()) and not args.resume:
        fail(f"output directory {out} is not empty: pass --resume to continue it or choose another --out")
    if args.resume and not (out / "checkpoints").is_dir():
        fail(f"--resume: no checkpoints in {out}")

    import keras
    import tensorflow as tf

    from zoo.training.callbacks import (EpochGenerators, EpochWallTime, History, ProgressLines, SampleGrid,
                                        StopOnNonFinite, TrainingCheckpoint)
    from zoo.cards import training_card
    from zoo.training.data import DataError
    from zoo.machine import machine_line
    from zoo.training.monitor import ModeCollapseMonitor
    from zoo.training.tasks import task_for
    from zoo.registry import get_family
    from zoo.model_dir import save_generator

    from zoo.machine import set_threads

    if args.threads and not set_threads(args.threads):
        print(f"fit.py: note: TensorFlow is already running; --threads {args.threads} ignored", file=sys.stderr)
    path = resolve_path(args, out, config.family)
    if args.verbose:
        print(f"fit.py: training path: {path.line()}")
    keras.config.set_dtype_policy(path.precision)  # before the model is built: layers take it then
    keras.utils.set_random_seed(config.seed)
    task = task_for(config)
    # A resumed run shuffles (and jitters) with a fresh seed, so it does not replay the data
    # order of the first epochs.
    resumed = _checkpoint_number(out / "checkpoints") if args.resume else 0
    if resumed > config.epochs:
        # Publishing would label epoch `resumed`'s generator as trained for --epochs epochs.
        fail(f"--resume: {out / 'checkpoints'} is at epoch {resumed}, beyond --epochs {config.epochs}: "
             f"pass --epochs {resumed} to write its generator and card, or more to train on")
    data_config = config.replace(seed=config.seed + resumed) if resumed else config
    try:
        dataset, count = task.training_data(data_config, args.data_dir, limit=args.limit)
        grid_conditions = task.grid_conditions(config, args.data_dir)
    except DataError as error:
        fail(str(error))
    if args.steps_per_epoch is not None:
        dataset = dataset.repeat()

    strategy = tf.distribute.MirroredStrategy() if args.strategy == "mirrored" else tf.distribute.get_strategy()
    with strategy.scope():
        gan = get_family(config.family).gan_class(config)
        gan.compile(jit_compile=path.jit_compile)
    out.mkdir(parents=True, exist_ok=True)
    checkpoint = TrainingCheckpoint(gan, out / "checkpoints")
    initial_epoch = checkpoint.restore() if args.resume else 0
    if initial_epoch >= config.epochs:
        print(f"{out}: already trained for {initial_epoch} epochs; writing its generator and card")
    class_names = getattr(config, "class_names", None)
    row_labels = list(class_names) if class_names and len(class_names) == len(grid_conditions) else None
    if row_labels is None and hasattr(task, "grid_labels"):  # e.g. the caption of each row (text models)
        row_labels = task.grid_labels(config, args.data_dir)
    grid = SampleGrid(grid_conditions, out / "samples", columns=10, row_labels=row_labels)
    monitor = [] if args.no_monitor else [ModeCollapseMonitor(
        grid_conditions, samples_per_condition=8, log_dir=out / "logs" / "mode_collapse", verbose=args.verbose)]
    if monitor and initial_epoch and (out / "history.jsonl").is_file():
        # Keep the run's early diversity as the collapse reference and the drift across the restart.
        from zoo.training.curves import read_history

        records = read_history(out / "history.jsonl", strict=False)  # a half-written last line must not stop a resume
        monitor[0].resume_from([r for r in records if r["epoch"] <= initial_epoch])
    wall = EpochWallTime(out / "wall_time_s")  # per epoch, so killed processes' finished epochs count
    kept = [EpochGenerators(config, out / "epochs", args.keep_every)] if args.keep_every else []
    # StopOnNonFinite first: a NaN epoch must reach no checkpoint, grid or history line.
    callbacks = [StopOnNonFinite(), grid, *monitor, wall, checkpoint, *kept,
                 History(out / "history.jsonl", fields=path.record()),
                 keras.callbacks.TensorBoard(str(out / "logs"), update_freq="epoch")]
    if args.verbose == 2:
        callbacks.append(ProgressLines(args.progress_every))

    # shuffle=False: the tf.data pipeline shuffles; Keras would warn that it ignores shuffle=True.
    try:
        history = gan.fit(dataset, epochs=config.epochs, initial_epoch=initial_epoch, shuffle=False,
                          steps_per_epoch=args.steps_per_epoch, callbacks=callbacks, verbose=args.verbose)
    except NonFiniteTraining as error:
        last = _checkpoint_number(out / "checkpoints")
        kept_note = f"{out / 'checkpoints'} keeps epoch {last}" if last else "no checkpoint was written"
        fail(f"{error} ({path.precision}, XLA {'on' if path.jit_compile else 'off'}); training stopped, "
             f"{kept_note}, no weights or card written", status=1)

    if initial_epoch >= config.epochs and grid.last_path is None:
        # Publishing a finished run: its card shows the grid of the restored generator, drawn now.
        grid.set_model(gan)
        grid.on_epoch_end(initial_epoch - 1)
    steps_per_epoch = args.steps_per_epoch or count // config.batch_size
    steps = config.epochs * steps_per_epoch
    run = {
        "command": "python training/fit.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:])),
        "epochs": config.epochs, "steps": steps, "examples": count,
        "passes": steps * config.batch_size / count,
        "wall_time_s": wall.total, "machine": machine_line(), "training_path": path.line(),
        "final_logs": ({k: v[-1] for k, v in history.history.items()} if history.history
                       else _logged_epoch(out / "history.jsonl", initial_epoch)),
        "grid": None,
    }
    _publish(gan, config, run, grid, out, save_generator, training_card)
    print(f"wrote {out}/generator.weights.h5, config.json, README.md")
    return out


def _logged_epoch(path, epoch):
    """The metrics ``history.jsonl`` logged for ``epoch`` ({} when it has none): the card's last
    epoch when this process trained nothing (it only publishes a finished run)."""
    from zoo.training.curves import read_history

    if not path.is_file():
        return {}
    record = next((r for r in read_history(path, strict=False) if r["epoch"] == epoch), {})
    return {k: v for k, v in record.items()
            if k != "epoch" and isinstance(v, (int, float)) and not isinstance(v, bool)}


def _checkpoint_number(directory):
    """The epoch of the latest checkpoint in ``directory`` (0 when there is none)."""
    import tensorflow as tf

    latest = tf.train.latest_checkpoint(str(directory))
    return int(latest.rsplit("-", 1)[1]) if latest else 0


def _publish(gan, config, run, grid, out, save_generator, training_card):
    """Write weights, config and card into a temp dir, then move them into ``out``."""
    import shutil

    staging = out / ".staging"
    shutil.rmtree(staging, ignore_errors=True)
    save_generator(gan.generator, config, staging)
    if grid.last_path is not None:
        shutil.copy(grid.last_path, staging / "samples.png")
        run["grid"] = "samples.png"
    if (out / "history.jsonl").is_file():
        from zoo.training.curves import plot_history

        try:
            plot_history(out / "history.jsonl", staging / "curves.png", strict=False,
                         title=f"{config.name}: per epoch (history.jsonl)")
            run["curves"] = "curves.png"
        except (ValueError, OSError) as error:  # a damaged history must not stop the weights from being written
            print(f"fit.py: warning: no training curves ({error})", file=sys.stderr)
    (staging / "README.md").write_text(training_card(config, run))
    for item in staging.iterdir():
        os.replace(item, out / item.name)
    staging.rmdir()


if __name__ == "__main__":
    main()
