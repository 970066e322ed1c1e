"""Composed words folded into one row each, for serving.

A layer that composes words (`compose_words=True`) pools a vocabulary word's
own row with its subword rows at every call: what training needs, so that
every word trains the subwords. A served model only reads the table, so each
vocabulary word's composed vector is computed once (by the fused op) and
written into its own row of a copy of the table, and the served layer reads
that copy through a vocabulary model that does not compose: a vocabulary
word costs one row again, with the same vector. The layer itself is not
changed: an export hands it the copy through `tf_dynemb.flavors.lookup_path`.
"""

import dataclasses

import numpy as np
import tensorflow as tf

from tf_dynemb.ops import build_model, lookup

_BATCH = 16384  # vocabulary words embedded per call while folding


def composed_word_rows(words, table, vocabulary_model, combiner):
    """`[len(words), D]`: the lookup of each of `words` (the vocabulary, in
    row order) with the composing `vocabulary_model`, in the table's dtype."""
    vectors = [lookup(tf.constant(words[i:i + _BATCH], tf.string), table, vocabulary_model,
                      combiner).numpy() for i in range(0, len(words), _BATCH)]
    if not vectors:
        return np.zeros([0, int(table.shape[1])], tf.as_dtype(table.dtype).as_numpy_dtype)
    return np.concatenate(vectors)


def fold(layer):
    """`(vocabulary_model, table)` to serve a composing `DynamicEmbedding`
    from: a model of the same vocabularies that does not compose, and a new
    variable holding the table, in the layer's compute dtype, with each word's
    composed vector as its row.
    None when the layer does not compose or has no words."""
    words = layer.get_vocabulary()
    if not layer.subwords.compose_words or not words:
        return None
    config = dataclasses.replace(layer.vocabulary_config, compose_words=False)
    fields = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    folded_model = build_model(**fields)
    with tf.init_scope():
        # In the dtype the layer computes in (a mixed-precision policy reads
        # its float32 table as float16 or bfloat16), so served vectors are
        # the ones the layer computes.
        table = tf.Variable(tf.cast(layer.embeddings.value, layer.compute_dtype),
                            trainable=False, name=f"{layer.name}_folded")
        table[:len(words)].assign(composed_word_rows(
            words, table, layer.vocabulary_model, layer.combiner))
    return folded_model, table


def folds(layers):
    """`{id(layer): fold(layer)}` of the `layers` that compose words."""
    found = {id(layer): fold(layer) for layer in layers}
    return {key: value for key, value in found.items() if value is not None}
