"""`adapt()` of the layers: vocabularies learned from data in one streamed
pass, as `tf-dynemb learn-vocab` learns them (`tf_dynemb.vocabulary_learning`
is the one implementation of both).

Data comes as Keras's preprocessing layers take it: a `tf.data.Dataset` of
batches, any other iterable of batches (a generator), or one tensor, numpy
array or list, read `batch_size` rows at a time (a list, array or pandas
data is first made one string tensor, so errors give positions in it).
Memory is bounded by the counter of distinct words (`max_distinct_words`):
more distinct words than that is a `TooManyWordsError` and the layer keeps
its vocabularies; so does any other failure (data that is not strings, a
word that cannot be a token, no word seen `min_frequency` times unless
`max_tokens=0`, a generator that raises).
"""

import numpy as np
import tensorflow as tf

from tf_dynemb import vocabulary_learning
from tf_dynemb.arguments import check_int_argument
from tf_dynemb.inputs import is_pandas, string_inputs
from tf_dynemb.vocabulary import quote

BATCH_SIZE = 2048
"""Rows of a tensor, array or list read at a time (learn-vocab's lines per batch)."""


def _optional_int(name, value, minimum):
    return None if value is None else check_int_argument(name, value, minimum)


def _is_array(data):
    return isinstance(data, (list, tuple, np.ndarray)) or tf.is_tensor(data)


def batches(data, batch_size=None, steps=None):
    """String tensors of `data`, one batch at a time."""
    if isinstance(data, (str, bytes)):
        raise TypeError(f"adapt() takes many strings: a list, array, tensor or dataset. "
                        f"Received one string: {data!r:.60}; pass [{data!r:.60}].")
    if data is None or isinstance(data, dict):
        raise TypeError(f"adapt() takes strings: a list, array, tensor, dataset or iterable of "
                        f"batches. Received: {type(data).__name__} {quote(data)}")
    kind = type(data).__name__
    if isinstance(data, (list, tuple, np.ndarray)) or is_pandas(data):
        data = _strings(data)  # converted whole, so an error gives the position in `data`
    if isinstance(data, tf.data.Dataset) or (hasattr(data, "__iter__") and not _is_array(data)):
        if batch_size is not None:
            raise ValueError("`batch_size` applies to a tensor, array or list; a dataset or "
                             f"an iterable brings its own batches. Received: "
                             f"batch_size={batch_size} with a {type(data).__name__}")
        if isinstance(data, tf.data.Dataset) and steps is not None:
            data = data.take(steps)
        for step, batch in enumerate(data):
            if steps is not None and step >= steps:
                break
            yield _strings(batch)
        return
    if steps is not None:
        raise ValueError("`steps` applies to a dataset or an iterable of batches (as in Keras's "
                         f"adapt()). Received: steps={steps} with a {kind}")
    if isinstance(data, tf.RaggedTensor):
        rows = int(data.nrows())
    else:
        data = tf.convert_to_tensor(data)
        if data.shape.rank == 0:
            data = data[tf.newaxis]
        rows = data.shape[0]
    size = batch_size or BATCH_SIZE
    for start in range(0, rows, size):
        yield _strings(data[start:start + size])


def _strings(batch):
    if isinstance(batch, (tuple, dict)):
        raise TypeError("adapt() takes batches of strings. Received a batch of "
                        f"{type(batch).__name__}; map a dataset of (x, y) pairs to its text "
                        "first: `dataset.map(lambda x, y: x)`.")
    if isinstance(batch, tf.RaggedTensor):
        return batch
    batch = tf.convert_to_tensor(string_inputs(batch, owner="adapt()"))
    return batch[tf.newaxis] if batch.shape.rank == 0 else batch


def _flat_words(words):
    """The words of a string tensor (any shape, or ragged), without padding."""
    flat = words.flat_values if isinstance(words, tf.RaggedTensor) else tf.reshape(words, [-1])
    return tf.boolean_mask(flat, tf.not_equal(flat, ""))


def _refuse_built(layer, embedding):
    """ValueError when `embedding`'s table exists: its size is the vocabularies'."""
    if layer.built or embedding.built:
        raise ValueError(
            f"Cannot adapt layer '{layer.name}': it is built, and its table's "
            f"{embedding.input_dim} rows were sized by its vocabularies (one row per word and "
            f"piece), so learned ones would not fit it; unlike StringLookup, this layer cannot "
            f"be adapted again. Call adapt() before the layer's first call or the building of "
            f"a model that uses it, or adapt a new layer.")


def adapt(layer, embedding, data, words_of, max_tokens, min_frequency,
          wordpiece_vocabulary_size, batch_size, steps, max_distinct_words):
    """Learns and sets the vocabularies of `layer`'s `DynamicEmbedding`
    `embedding` from `data`, whose batches `words_of` turns into the words
    the layer looks up (a string tensor, padded with "" or ragged)."""
    _refuse_built(layer, embedding)
    max_tokens = _optional_int("max_tokens", max_tokens, 0)
    min_frequency = check_int_argument("min_frequency", min_frequency, 1)
    size = _optional_int("wordpiece_vocabulary_size", wordpiece_vocabulary_size, 1)
    batch_size = _optional_int("batch_size", batch_size, 1)
    steps = _optional_int("steps", steps, 1)
    max_distinct_words = _optional_int("max_distinct_words", max_distinct_words, 1)
    counter = vocabulary_learning.WordCounter(max_distinct_words)
    for batch in batches(data, batch_size, steps):
        counter.update(_flat_words(words_of(batch)).numpy().tolist())
    counts = counter.counts()
    if not counts:
        raise ValueError(f"adapt() found no words in the data. Received: {type(data).__name__}")
    vocabulary_learning.check_words(counts)
    words = vocabulary_learning.select_words(counts, max_tokens, min_frequency)
    if not words and max_tokens != 0:
        word, count = vocabulary_learning.most_frequent(counts, 1)[0]
        raise ValueError(
            f"adapt() found no word that occurs min_frequency={min_frequency} times: the most "
            f"frequent, {quote(word)}, occurs {count} times in {len(counts)} distinct words. "
            f"Pass a lower `min_frequency`, or max_tokens=0 to learn no whole words.")
    if size is None:
        pieces = embedding.get_wordpiece_vocabulary()
    else:
        pieces = vocabulary_learning.learn_pieces(
            counts, size, suffix_indicator=embedding.suffix_indicator,
            size_name="wordpiece_vocabulary_size")
    embedding.set_vocabularies(words, pieces)
