"""Raw captions -> token ids with NumPy only, as the caption models' ``TextVectorization`` reads them.

``zoo.stackgan.text.CaptionTokenizer`` (Keras) and ``zoo.export.onnx_sampler.OnnxSampler`` (no
TensorFlow) both validate a caption here (:func:`check_caption`); importing this module loads
neither Keras nor TensorFlow. Ids: 0 padding, 1 out of vocabulary, ``2 + i`` for
``vocabulary[i]`` (``TextVectorization``'s layout with a fixed vocabulary).
"""
import re
import warnings

import numpy as np

_STRIP = re.compile(r"[^\w\s]")
PADDING_ID, UNKNOWN_ID, FIRST_WORD_ID = 0, 1, 2


def caption_words(text):
    """Lowercase words without punctuation, as ``TextVectorization``'s default standardization splits them."""
    return _STRIP.sub("", str(text).lower()).split()


def check_caption(text, vocabulary, max_words, stacklevel=3):
    """Validate one raw caption; returns its words that the vocabulary knows.

    Handling: words outside ``vocabulary`` are dropped with a ``UserWarning`` naming them (the
    encoder would read them as its out-of-vocabulary token, which carries no attribute).

    Raises:
        ValueError (one line): not a string, empty, no known word, or more than ``max_words``
            words (the encoder reads at most that many; truncating could drop a named attribute).
    """
    if not isinstance(text, str):
        raise ValueError(f"a caption must be a string, got {type(text).__name__}")
    words = caption_words(text)
    if not words:
        raise ValueError("empty caption: describe the picture, e.g. 'a big green triangle'")
    if len(words) > max_words:
        raise ValueError(f"caption {text!r} has {len(words)} words; the encoder reads at most {max_words}")
    known = [w for w in words if w in vocabulary]
    unknown = sorted(set(words) - set(vocabulary))
    if not known:
        raise ValueError(f"caption {text!r} has no known word; known words: {' '.join(vocabulary)}")
    if unknown:
        warnings.warn(f"caption {text!r}: unknown words ignored: {', '.join(unknown)}", stacklevel=stacklevel)
    return known


def caption_list(condition):
    """``(list of captions, single)`` from one caption (``str``) or a list of them; the one-line
    errors every caption sampler gives (Keras and ONNX alike)."""
    single = isinstance(condition, str)
    if not single and not isinstance(condition, (list, tuple, np.ndarray)):
        raise ValueError(f"give a caption (str) or a list of captions, got {type(condition).__name__}")
    captions = [condition] if single else list(condition)
    if not captions:
        raise ValueError("no captions given")
    return captions, single


def caption_token_ids(captions, vocabulary, max_words):
    """Token ids ``(N, max_words)`` int32 of raw ``captions`` (each checked by :func:`check_caption`)."""
    index = {word: FIRST_WORD_ID + i for i, word in enumerate(vocabulary)}
    ids = np.full((len(captions), int(max_words)), PADDING_ID, np.int32)
    for row, caption in enumerate(captions):
        words = check_caption(caption, vocabulary, max_words, stacklevel=4)
        ids[row, :len(words)] = [index[w] for w in words]
    return ids
