"""The lookup contract's facts in one place: the combiners and the weight
each of a word's rows takes, the kinds of a lookup, the op-name prefix.

The op wrappers, the stock-op reference, the sharded lookup, the layers, the
exports and the command line all read them from here.
"""

import tensorflow as tf

# The kind codes (PAD, WORD, ..., KIND_NAMES) are written in kinds.py, the
# list the C++ kernels' outputs follow; the contract gives all of them.
from tf_dynemb.kinds import *  # noqa: F401,F403

OP_PREFIX = "TfDynemb"
"""Every op of the op library is named `TfDynemb...`."""

COMBINERS = ("mean", "sum", "sqrtn")
"""How a word's rows are pooled: each of its m rows enters with the weight
1/m (`mean`), 1 (`sum`) or 1/sqrt(m) (`sqrtn`)."""


def check_combiner(combiner):
    """`combiner`, unless it is not one of `COMBINERS` (then ValueError)."""
    if combiner not in COMBINERS:
        raise ValueError(f"`combiner` must be one of {COMBINERS}. Received: combiner={combiner!r}")
    return combiner


def row_weights(row_counts, combiner):
    """The weight (float32) of each row of a word that has `row_counts` rows
    (a word without rows counts as one), for `combiner`."""
    check_combiner(combiner)
    counts = tf.cast(tf.maximum(row_counts, 1), tf.float32)
    if combiner == "mean":
        return 1.0 / counts
    if combiner == "sqrtn":
        return 1.0 / tf.sqrt(counts)
    return tf.ones_like(counts)
