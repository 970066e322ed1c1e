"""Checkpoints of models whose tables are sharded, restorable into any sharding.

`tf.train.Checkpoint(model=model)` cannot save a Keras 3 variable that holds a
`ShardedVariable` (Keras hands TensorFlow's saver the sharded container as if
it were a tensor). `model_checkpoint` tracks such a variable's
`ShardedVariable` itself, which TensorFlow saves as slices of one full-shape
tensor: a checkpoint written with 2 shards restores into 3 shards, into 1
(an unsharded model, to be saved as `.keras`), or back into 2.
"""

import tensorflow as tf

from tf_dynemb.tables import sharded_lookup


def model_checkpoint(model, optimizer=None, **trackables):
    """A `tf.train.Checkpoint` of `model`'s weights, in `model.weights` order.

    Args:
        model: a built `keras.Model`, its tables sharded or not.
        optimizer: optionally, its optimizer. Its slots follow the sharding
            they were made for (one per shard): restore them into a model
            sharded the same way; elsewhere, restore without the optimizer.
        **trackables: anything else to save, by name (a step counter...).

    Returns:
        A `tf.train.Checkpoint`; restore with `.restore(path)` on a model of
        the same architecture built (under any strategy) beforehand. With a
        checkpoint that holds more than the restoring one tracks (such as an
        optimizer), add `.expect_partial()`.
    """
    if not model.built:
        raise ValueError(f"Build model '{model.name}' before making its checkpoint.")
    weights = [v.value if sharded_lookup.is_sharded(v) else v for v in model.weights]
    if optimizer is not None:
        trackables["optimizer"] = optimizer
    return tf.train.Checkpoint(weights=weights, **trackables)
