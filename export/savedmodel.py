"""SavedModel export in TF Serving's layout: ``OUT/<name>/<version>/``.

Two signatures:

* ``serving_default``: ``condition (N, ...) float32``, ``z (N, nz) float32`` ->
  ``image (N, H, W, C) float32`` in [-1, 1]; the batch is dynamic.
* ``sample``: ``condition (N, ...) float32``, ``num_samples () int32``, ``seed () int64`` ->
  ``image (N, num_samples, H, W, C) float32`` in [-1, 1] and the ``z (N, num_samples, nz)``
  that made it. The noise is drawn inside the graph with TensorFlow's stateless RNG
  (``tf.random.stateless_normal``, seed ``[seed, 0]``): a client asks for diverse samples
  without sending noise, and the same seed gives the same samples on every call and server.
  (These noise vectors are not NumPy's: ``zoo.load(...).sample(seed=s)`` uses NumPy's
  generator, so the two paths give different, each reproducible, samples for one seed.)

A label model's ``condition`` is the one-hot vector ``(N, classes)``; an image model's is the
image ``(N, H, W, C)`` in [-1, 1]. ``assets.extra/msgan_zoo.json`` holds the metadata
(:func:`zoo.export.metadata.generator_metadata`), which TF Serving ignores.

TensorFlow and Keras are imported inside the functions: ``import zoo.export`` stays free of them.
"""
import json
from pathlib import Path

from zoo.export.atomic import atomic_path, refuse_existing
from zoo.export.metadata import METADATA_FILE, generator_metadata


def savedmodel_dir(out, name, version=1):
    """``out/<name>/<version>``: where TF Serving (``--model_base_path=out/<name>``) looks."""
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"version must be an integer >= 1 (TF Serving's numbered folders), got {version!r}")
    return Path(out) / name / str(version)


def serving_functions(generator, nz):
    """``(serving_default, sample, input specs)`` as plain functions over ``generator``."""
    import tensorflow as tf

    condition_spec = tf.TensorSpec((None, *generator.inputs[0].shape[1:]), tf.float32, name="condition")
    z_spec = tf.TensorSpec((None, nz), tf.float32, name="z")

    def serving_default(condition, z):
        return {"image": generator([condition, z], training=False)}

    def sample(condition, num_samples, seed):
        tf.debugging.assert_positive(num_samples, message="num_samples must be >= 1")
        count = tf.shape(condition)[0]
        repeated = tf.repeat(condition, num_samples, axis=0)  # condition i, sample j -> row i * n + j
        seed_pair = tf.stack([seed, tf.zeros_like(seed)])
        z = tf.random.stateless_normal(tf.stack([count * num_samples, nz]), seed=seed_pair)
        image = generator([repeated, z], training=False)
        per_condition = tf.stack([count, num_samples])
        return {"image": tf.reshape(image, tf.concat([per_condition, tf.shape(image)[1:]], 0)),
                "z": tf.reshape(z, tf.concat([per_condition, [nz]], 0))}

    sample_specs = [condition_spec, tf.TensorSpec((), tf.int32, name="num_samples"),
                    tf.TensorSpec((), tf.int64, name="seed")]
    return serving_default, sample, [condition_spec, z_spec], sample_specs


def export_savedmodel(sampler, out, version=1, overwrite=False):
    """Write ``sampler.generator`` as a SavedModel into ``out/<name>/<version>/`` atomically.

    Args:
        sampler: what ``zoo.load`` returns (``.generator``, ``.config``).
        out: the model base directory of TF Serving.
        version: TF Serving's version number (>= 1).
        overwrite: replace an existing version (only once the new one is complete).

    Returns:
        The version directory.
    """
    import keras

    final = savedmodel_dir(out, sampler.config.name, version)
    refuse_existing(final, overwrite)
    serving_default, sample, specs, sample_specs = serving_functions(sampler.generator, sampler.config.nz)
    archive = keras.export.ExportArchive()
    archive.track(sampler.generator)
    archive.add_endpoint("serving_default", serving_default, input_signature=specs)
    archive.add_endpoint("sample", sample, input_signature=sample_specs)
    with atomic_path(final, overwrite=overwrite) as staged:
        archive.write_out(str(staged), verbose=False)
        extra = staged / "assets.extra"
        extra.mkdir(exist_ok=True)
        (extra / METADATA_FILE).write_text(json.dumps(generator_metadata(sampler, version), indent=2) + "\n")
    return final
