"""What ``python -m zoo.export`` traces for StackGAN++: caption (or embedding), z and CA noise -> last branch.

Graph: ``[condition, z (N, nz), ca_eps (N, embedding_dim)] -> (N, S, S, 3)`` float32 in [-1, 1],
the last branch's image (``TextSampler.generate(condition, z, ca_eps)``).

* The caption encoder is **inside** the graph: for the shapes model the condition is int32
  token ids ``(N, max_caption_words)`` (0 padding) and the frozen ``Embedding`` + ``GRU`` run in
  the graph. It is part of the trained model (pretrained, then frozen while the GAN trained),
  so a separate encoder file could drift from the generator it was trained with; a client still
  needs no TensorFlow to tokenize, since the vocabulary is in the metadata and
  :func:`zoo.captions.caption_token_ids` reproduces Keras' ``TextVectorization`` with NumPy.
  CUB's model has no encoder in the zoo (the authors' char-CNN-RNN vectors are precomputed):
  its condition is the sentence embedding ``(N, text_dim)`` (1024).
* The conditioning-augmentation noise ``ca_eps`` is an explicit input next to ``z``: ONNX cannot
  run TensorFlow's stateless RNG, and an explicit input makes every export reproduce
  ``generate(condition, z, ca_eps)`` exactly. The SavedModel's ``sample`` signature draws both
  in the graph from its seed.
"""
import json

from zoo.family import ExportGraph


def export_graph(sampler):
    """The :class:`zoo.family.ExportGraph` of a :class:`zoo.stackgan.sampler.TextSampler`."""
    generator, config = sampler.generator, sampler.config
    tokens = bool(config.text_encoder)

    def forward(condition, z, ca_eps):
        images, _, _ = generator.branches(condition, z, ca_eps, training=False)
        return images[-1]

    return ExportGraph(
        forward=forward,
        condition_shape=(config.max_caption_words,) if tokens else (config.text_dim,),
        condition_dtype="int32" if tokens else "float32", condition_kind="tokens" if tokens else "embedding",
        noise=(("z", config.nz), ("ca_eps", config.embedding_dim)),
        image_shape=(config.image_size, config.image_size, config.channels), trackable=generator,
        metadata={"vocabulary": json.dumps(list(config.vocabulary))} if tokens else {})
