"""Pooling rows of a table split row-wise into shards (a `ShardedVariable`).

A lookup is row ids, weights and the word each row belongs to (the fused
`TfDynembSegment` op or the stock-op reference give them). Each row id is
routed to the shard that holds it, gathered there (so only the rows cross the
network under `ParameterServerStrategy`), and the gathered rows are put back
in their order and summed per word in that order: the same float sums as the
fused lookup, bit for bit with `sum`. The gradient reaching each shard is a
`tf.IndexedSlices` of its own rows.
"""

import tensorflow as tf


def is_sharded(table):
    """Whether `table` (a Keras or TF variable) is a `ShardedVariable`."""
    return getattr(getattr(table, "value", table), "is_sharded_variable", False) is True


def shards_of(table):
    """The shard variables of a sharded `table`, in row order."""
    return list(getattr(table, "value", table).variables)


def shard_starts(shards):
    """First row of each shard, as a Python list."""
    starts, total = [], 0
    for shard in shards:
        starts.append(total)
        total += int(shard.shape[0])
    return starts


def gather_rows(shards, row_ids):
    """`table[row_ids]` for the table made of `shards` stacked row-wise,
    gathering from each shard only the rows it holds."""
    row_ids = tf.cast(row_ids, tf.int64)
    if len(shards) == 1:
        return tf.gather(shards[0], row_ids)
    starts = tf.constant(shard_starts(shards), tf.int64)
    owner = tf.searchsorted(starts[1:], row_ids, side="right", out_type=tf.int32)
    local = row_ids - tf.gather(starts, owner)
    local_ids = tf.dynamic_partition(local, owner, len(shards))
    positions = tf.dynamic_partition(tf.range(tf.size(row_ids)), owner, len(shards))
    gathered = [tf.gather(shard, ids) for shard, ids in zip(shards, local_ids)]
    return tf.dynamic_stitch(positions, gathered)


def pool_sharded(shards, row_ids, row_weights, row_word, num_words, dtype):
    """Vectors `[num_words, D]` of words whose rows are given flat: row
    `row_ids[r]` belongs to word `row_word[r]`, whose rows all carry the
    weight `row_weights[r]`. Rows are summed in float32 in their order, then
    scaled by the word's weight, as the fused op pools them."""
    keep = tf.where(tf.not_equal(row_weights, 0.0))[:, 0]
    row_ids, row_weights, row_word = (tf.gather(t, keep) for t in (row_ids, row_weights, row_word))
    rows = tf.cast(gather_rows(shards, row_ids), tf.float32)
    sums = tf.math.unsorted_segment_sum(rows, row_word, num_words)
    word_weight = tf.tensor_scatter_nd_update(
        tf.zeros([num_words], tf.float32), row_word[:, tf.newaxis], row_weights)
    return tf.cast(sums * word_weight[:, tf.newaxis], dtype)


def embed(words, table, rows_of):
    """Vectors `[..., D]` and kinds `[...]` of `words` (any shape, or ragged)
    from the sharded `table`; `rows_of(flat_words)` gives the rows
    `(row_ids, row_weights, row_word, kind)`."""
    if not isinstance(words, tf.RaggedTensor):
        words = tf.convert_to_tensor(words)
    flat = words.flat_values if isinstance(words, tf.RaggedTensor) else tf.reshape(words, [-1])
    row_ids, row_weights, row_word, kind = rows_of(flat)
    vectors = pool_sharded(shards_of(table), row_ids, row_weights, row_word,
                           tf.size(flat, out_type=tf.int64), table.dtype)
    if isinstance(words, tf.RaggedTensor):
        return words.with_flat_values(vectors), words.with_flat_values(kind)
    shape = tf.concat([tf.shape(words), [int(table.shape[1])]], axis=0)
    return tf.reshape(vectors, shape), tf.reshape(kind, tf.shape(words))

