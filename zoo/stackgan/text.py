"""Captions of the shapes text task and the small Keras caption encoder.

The grammar: ``<count> [<size>] <colour> <shape>[s] [on the <position>]``, e.g. ``"a small red
circle"``, ``"two blue squares on the left"``, ``"a big green triangle"``. Count, colour and shape
are always named; size and position are named in some captions and left free in others; the
shade of the colour and the exact place are never named. A caption is thus a set of *named
attributes* (:class:`Caption`); the pictures (``training/shapes_data.py``) vary in the rest.

The encoder (:class:`CaptionEncoder`): ``TextVectorization`` ids -> ``Embedding`` -> ``GRU``
-> a sentence embedding, ``(N, text_dim)``. It is **pretrained and then frozen**, the way
StackGAN++ uses its char-CNN-RNN encoder: pretrained to tell every named attribute of a caption
apart (one softmax head per attribute, :func:`pretrain_caption_encoder`), on the training
captions only, then held fixed while the GAN trains. Frozen, the condition a discriminator sees
cannot drift with the GAN's own losses, and the CUB and shapes models differ only in where their
sentence embeddings come from.
"""
import dataclasses
import itertools

import keras
import numpy as np
from keras import ops

from zoo import captions
from zoo.captions import caption_words  # noqa: F401  (the shapes task's word split, re-exported)

COUNTS = ("a", "two")
SIZES = ("small", "big")
COLOURS = ("red", "green", "blue", "yellow")
SHAPES = ("circle", "square", "triangle")
POSITIONS = ("left", "right", "top", "bottom")
VOCABULARY = (*COUNTS, *SIZES, *COLOURS, *SHAPES, *(s + "s" for s in SHAPES), "on", "the", *POSITIONS)
MAX_CAPTION_WORDS = 8
# Every 11th caption of the grammar is held out (test): 11 is coprime with the 5 position and
# 3 size choices that cycle fastest in all_captions(), so held-out captions name every position
# and size (every 10th would name none).
HELD_OUT_EVERY = 11


@dataclasses.dataclass(frozen=True)
class Caption:
    """The attributes a caption names; ``size`` and ``position`` are None when it leaves them free.

    Attributes:
        count: 1 or 2 objects.
        colour: one of :data:`COLOURS`; shape: one of :data:`SHAPES`.
        size: one of :data:`SIZES` or None; position: one of :data:`POSITIONS` or None.
    """

    count: int
    colour: str
    shape: str
    size: str = None
    position: str = None

    @property
    def text(self):
        words = [COUNTS[self.count - 1]]
        if self.size:
            words.append(self.size)
        words += [self.colour, self.shape + ("s" if self.count == 2 else "")]
        if self.position:
            words += ["on", "the", self.position]
        return " ".join(words)


def all_captions():
    """Every caption of the grammar (360), in a fixed order (position varies fastest, then size)."""
    return [Caption(count, colour, shape, size, position)
            for count, colour, shape, size, position in itertools.product(
                (1, 2), COLOURS, SHAPES, (None, *SIZES), (None, *POSITIONS))]


def caption_split(split):
    """The ``"train"`` or ``"test"`` captions: every :data:`HELD_OUT_EVERY`-th caption is held out."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    held_out = split == "test"
    return [c for i, c in enumerate(all_captions()) if (i % HELD_OUT_EVERY == 0) == held_out]


def check_caption(text, vocabulary=VOCABULARY, max_words=MAX_CAPTION_WORDS):
    """Validate one raw caption; returns its words that the vocabulary knows
    (:func:`zoo.captions.check_caption`, NumPy only, which the ONNX sampler shares).

    Handling: words outside ``vocabulary`` are dropped with a ``UserWarning`` naming them.

    Raises:
        ValueError (one line): not a string, empty, no known word, or more than ``max_words`` words.
    """
    return captions.check_caption(text, vocabulary, max_words, stacklevel=4)


class CaptionTokenizer:
    """Raw captions -> token ids ``(N, max_words)`` int32 (0 padding, 1 out of vocabulary, 2.. words).

    A ``keras.layers.TextVectorization`` with a fixed vocabulary (stored in the model's config,
    so no adapt step and no asset files), lowercase and punctuation stripped.
    """

    def __init__(self, vocabulary=VOCABULARY, max_words=MAX_CAPTION_WORDS):
        self.vocabulary = tuple(vocabulary)
        self.max_words = int(max_words)
        self.layer = keras.layers.TextVectorization(
            standardize="lower_and_strip_punctuation", split="whitespace", output_mode="int",
            output_sequence_length=self.max_words, vocabulary=list(self.vocabulary))

    def __call__(self, captions, check=True):
        """Token ids for a list of captions; ``check`` validates each (:func:`check_caption`)."""
        captions = list(captions)
        if check:
            captions = [" ".join(check_caption(c, self.vocabulary, self.max_words)) for c in captions]
        return np.asarray(self.layer(np.asarray(captions, dtype=object)), dtype=np.int32)


class CaptionEncoder(keras.Model):
    """Token ids ``(N, L)`` int -> sentence embedding ``(N, text_dim)`` float32 (the GRU's last state).

    With ``config.text_standardize`` the GRU's state is then standardized per dimension,
    ``(h - offset) / scale``, by two non-trainable weights of the encoder (0 and 1 until
    :func:`standardize_caption_encoder` measures them), saved with the generator's weights.
    """

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.embedding = keras.layers.Embedding(len(config.vocabulary) + 2, config.word_dim,
                                                mask_zero=True, name="words")
        self.gru = keras.layers.GRU(config.text_dim, name="gru")
        self.offset = self.scale = None
        if config.text_standardize:
            self.offset = self.add_weight(shape=(config.text_dim,), initializer="zeros", trainable=False,
                                          name="standardize_offset")
            self.scale = self.add_weight(shape=(config.text_dim,), initializer="ones", trainable=False,
                                         name="standardize_scale")

    def call(self, token_ids, training=False):
        state = self.gru(self.embedding(token_ids), training=training)
        if self.offset is None:
            return state
        return (state - self.offset) / self.scale


def standardize_caption_encoder(encoder, captions, vocabulary, max_words, min_std=1e-3):
    """Measure the per-dimension mean and std of ``encoder``'s raw output over ``captions`` and
    store them in its standardization weights, so its output has mean 0 and std 1 there.

    Dimensions with a std below ``min_std`` are only centred (divided by ``min_std``, not by
    a near-zero std). Returns ``(mean, std)``, each ``(text_dim,)``.

    Raises:
        ValueError: the encoder was built without ``text_standardize``, or ``captions`` is empty.
    """
    if encoder.offset is None:
        raise ValueError("the caption encoder has no standardization weights (config text_standardize is off)")
    captions = list(captions)
    if not captions:
        raise ValueError("standardize_caption_encoder needs at least one caption")
    ids = CaptionTokenizer(vocabulary, max_words)([c.text for c in captions], check=False)
    raw = ops.convert_to_numpy(encoder.gru(encoder.embedding(ids), training=False)).astype(np.float64)
    mean, std = raw.mean(axis=0), raw.std(axis=0)
    encoder.offset.assign(mean.astype(np.float32))
    encoder.scale.assign(np.maximum(std, min_std).astype(np.float32))
    return mean, std


ATTRIBUTE_HEADS = {  # attribute -> its classes; None = "left free by the caption"
    "count": (1, 2), "colour": COLOURS, "shape": SHAPES,
    "size": (None, *SIZES), "position": (None, *POSITIONS),
}


def caption_targets(captions):
    """Class index per attribute of :data:`ATTRIBUTE_HEADS`: a dict of ``(N,)`` int32 arrays."""
    return {name: np.asarray([classes.index(getattr(c, name)) for c in captions], np.int32)
            for name, classes in ATTRIBUTE_HEADS.items()}


def pretrain_caption_encoder(encoder, captions, vocabulary, max_words, steps=300, batch_size=64, seed=0,
                             held_out=()):
    """Train ``encoder`` to name every attribute of ``captions`` (softmax heads, Adam 1e-2).

    Returns ``(accuracy, held_out_accuracy)``: the fraction of ``captions`` (and of ``held_out``,
    captions never trained on; None when not given) with every attribute right. The heads are
    dropped afterwards and the encoder is left frozen (``trainable = False``).
    """
    encoder.trainable = True
    tokenizer = CaptionTokenizer(vocabulary, max_words)
    ids = tokenizer([c.text for c in captions], check=False)
    targets = caption_targets(captions)
    heads = {name: keras.layers.Dense(len(classes), name=f"head_{name}")
             for name, classes in ATTRIBUTE_HEADS.items()}
    inputs = keras.Input((max_words,), dtype="int32")
    features = encoder(inputs)
    model = keras.Model(inputs, {name: head(features) for name, head in heads.items()})
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss={name: keras.losses.SparseCategoricalCrossentropy(from_logits=True) for name in heads})
    rng = np.random.default_rng(seed)
    for _ in range(int(steps)):
        batch = rng.integers(0, len(ids), batch_size)
        model.train_on_batch(ids[batch], {name: t[batch] for name, t in targets.items()})
    encoder.trainable = False

    def accuracy(texts_ids, wanted):
        predicted = model.predict(texts_ids, verbose=0, batch_size=512)
        right = np.ones(len(texts_ids), bool)
        for name, t in wanted.items():
            right &= np.argmax(predicted[name], axis=-1) == t
        return float(np.mean(right))

    held_out = list(held_out)
    held_out_accuracy = (accuracy(tokenizer([c.text for c in held_out], check=False), caption_targets(held_out))
                         if held_out else None)
    return accuracy(ids, targets), held_out_accuracy


def shapes_text_fields():
    """Config fields of the shapes task's caption encoder."""
    return {"text_encoder": "gru", "vocabulary": VOCABULARY, "max_caption_words": MAX_CAPTION_WORDS}


def token_ids_to_text(token_ids, vocabulary):
    """Token ids back to text (padding and out-of-vocabulary ids dropped), for grids and cards."""
    words = ("", "[UNK]", *vocabulary)
    return [" ".join(words[i] for i in row if i > 1) for row in np.asarray(ops.convert_to_numpy(token_ids))]
