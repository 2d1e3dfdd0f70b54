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
image ``(N, H, W, C)`` in [-1, 1]; a caption model's (StackGAN++ shapes) int32 token ids
``(N, max_caption_words)``; CUB's StackGAN++ a sentence embedding ``(N, 1024)``. A graph with
more noise than ``z`` (StackGAN++'s conditioning-augmentation noise ``ca_eps (N, E)``) takes
each as a ``serving_default`` input after ``z``; ``sample`` draws noise input ``k`` with seed
``[seed, k]`` and returns it too. The graph is :func:`zoo.export.graph.export_graph`'s. ``assets.extra/msgan_zoo.json`` holds the metadata
(:func:`zoo.export.metadata.generator_metadata`), which TF Serving ignores.

TensorFlow and Keras are imported inside the functions: ``import zoo.export`` stays free of them.
"""
import json
from pathlib import Path

from zoo.export.atomic import atomic_path, refuse_existing
from zoo.export.graph import export_graph, generator_graph
from zoo.export.metadata import METADATA_FILE, generator_metadata


def savedmodel_dir(out, name, version=1):
    """``out/<name>/<version>``: where TF Serving (``--model_base_path=out/<name>``) looks."""
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"version must be an integer >= 1 (TF Serving's numbered folders), got {version!r}")
    return Path(out) / name / str(version)


def serving_functions(graph, nz=None):
    """``(serving_default, sample, input specs, sample specs)`` as plain functions over ``graph``.

    ``graph`` is a :class:`zoo.family.ExportGraph`, or a functional ``[condition, z] -> image``
    Keras generator with ``nz``. Noise input ``k`` of ``sample`` is drawn with the seed pair
    ``[seed, k]`` (``z`` first, ``[seed, 0]``).
    """
    import tensorflow as tf

    if nz is not None:
        graph = generator_graph(graph, nz)
    condition_spec = tf.TensorSpec((None, *graph.condition_shape), graph.condition_dtype, name="condition")
    noise_specs = [tf.TensorSpec((None, size), tf.float32, name=name) for name, size in graph.noise]

    def serving_default(condition, *noise):
        return {"image": graph.forward(condition, *noise)}

    def sample(condition, num_samples, seed):
        tf.debugging.assert_positive(num_samples, message="num_samples must be >= 1")
        count = tf.shape(condition)[0]
        repeated = tf.repeat(condition, num_samples, axis=0)  # condition i, sample j -> row i * n + j
        noise = [tf.random.stateless_normal(tf.stack([count * num_samples, size]),
                                            seed=tf.stack([seed, tf.constant(k, tf.int64)]))
                 for k, (_, size) in enumerate(graph.noise)]
        image = graph.forward(repeated, *noise)
        per_condition = tf.stack([count, num_samples])
        outputs = {"image": tf.reshape(image, tf.concat([per_condition, tf.shape(image)[1:]], 0))}
        for (name, size), values in zip(graph.noise, noise):
            outputs[name] = tf.reshape(values, tf.concat([per_condition, [size]], 0))
        return outputs

    sample_specs = [condition_spec, tf.TensorSpec((), tf.int32, name="num_samples"),
                    tf.TensorSpec((), tf.int64, name="seed")]
    return serving_default, sample, [condition_spec, *noise_specs], sample_specs


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
    graph = export_graph(sampler)
    serving_default, sample, specs, sample_specs = serving_functions(graph)
    archive = keras.export.ExportArchive()
    archive.track(graph.trackable)
    archive.add_endpoint("serving_default", serving_default, input_signature=specs)
    archive.add_endpoint("sample", sample, input_signature=sample_specs)
    with atomic_path(final, overwrite=overwrite) as staged:
        archive.write_out(str(staged), verbose=False)
        extra = staged / "assets.extra"
        extra.mkdir(exist_ok=True)
        (extra / METADATA_FILE).write_text(json.dumps(generator_metadata(sampler, version, graph), indent=2) + "\n")
    return final
