"""How a `DynamicEmbedding` looks its words up: the fused op, the stock-op
reference, or either one's rows pooled shard by shard from a sharded table.

The layer chooses its path when what decides it changes (its construction,
`use_custom_op`, `build`), not at each call. Fused or portable is the
layer's own choice, unless a `tf_dynemb.flavors.lookup_path` scope names
another while the layer is called or traced (an export does that).
"""

import tensorflow as tf

from tf_dynemb.contract import row_weights
from tf_dynemb.flavors import scoped_flavor, scoped_fold
from tf_dynemb.ops import lookup as fused_lookup
from tf_dynemb.ops import segment
from tf_dynemb.tables import sharded_lookup


class _Path:
    def __init__(self, flavor):
        self.flavor = flavor  # "fused" or "portable"

    def _fused(self):
        return (scoped_flavor() or self.flavor) == "fused"


class WholeTablePath(_Path):
    """A table that is one variable: one op pools the rows."""

    def __call__(self, layer, words):
        """(vectors, kinds) of `words` from `layer`'s table, or from the
        folded table an export scope gives it."""
        fold = scoped_fold(layer)
        table = layer.embeddings if fold is None else fold[1]
        if self._fused():
            vocabulary_model = layer.vocabulary_model if fold is None else fold[0]
            return fused_lookup(words, table, vocabulary_model, layer.combiner,
                                return_kind=True)
        return layer._reference_lookup()(
            words, layer.embeddings.value if fold is None else table, layer.combiner,
            return_kind=True,
            compose_words=None if fold is None else False)


class ShardedTablePath(_Path):
    """A table made under a `variable_partitioner`: the rows of each word are
    found as usual, then gathered shard by shard."""

    def __call__(self, layer, words):
        return sharded_lookup.embed(words, layer.embeddings,
                                    lambda flat_words: self._rows_of(layer, flat_words))

    def _rows_of(self, layer, flat_words):
        """(row_ids, row_weights, row_word, kind) of 1-D words."""
        if self._fused():
            return segment(flat_words, layer.vocabulary_model, layer.combiner)
        rows, kind = layer._reference_lookup().rows(flat_words)
        row_word = rows.value_rowids()
        weights = row_weights(rows.row_lengths(), layer.combiner)
        return rows.flat_values, tf.gather(weights, row_word), row_word, kind


def choose(use_custom_op, table):
    """The path of a layer with `use_custom_op` and `table` (None before
    build)."""
    flavor = "fused" if use_custom_op else "portable"
    if table is not None and sharded_lookup.is_sharded(table):
        return ShardedTablePath(flavor)
    return WholeTablePath(flavor)
