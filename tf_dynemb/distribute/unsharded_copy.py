"""An unsharded copy of a model whose tables are sharded, for export.

A SavedModel for TF Serving holds each table as one variable (TF Serving
loads the whole model on each replica), and Keras cannot write a variable
that holds a `ShardedVariable` into a SavedModel. The copy is made on the
local device, outside any strategy, and filled shard by shard, so no
full-size temporary of a table is made besides the copy itself.
"""

import keras
import tensorflow as tf

from tf_dynemb.tables import sharded_lookup


def has_sharded_variables(model):
    """Whether any of `model`'s weights is sharded."""
    return any(sharded_lookup.is_sharded(v) for v in model.weights)


def unsharded_copy(model):
    """A clone of the built `model` (same config, same weights) whose
    variables are plain local ones. Call it outside any `strategy.scope()`."""
    if tf.distribute.has_strategy():
        raise ValueError(
            "unsharded_copy() makes local variables: call it outside strategy.scope(). "
            f"Received: a call inside {type(tf.distribute.get_strategy()).__name__}.scope()")
    copy = keras.models.clone_model(model)
    if not copy.built:
        raise ValueError(f"Could not rebuild model '{model.name}' from its config; make it "
                         "a functional or Sequential model.")
    if len(copy.weights) != len(model.weights):
        raise ValueError(f"The clone of model '{model.name}' has {len(copy.weights)} "
                         f"weights; the model has {len(model.weights)}.")
    for source, target in zip(model.weights, copy.weights):
        if tuple(source.shape) != tuple(target.shape):
            raise ValueError(f"Weight {source.path} has shape {source.shape}; its copy "
                             f"{target.path} has {target.shape}.")
        _copy_value(source, target)
    return copy


def _copy_value(source, target):
    if not sharded_lookup.is_sharded(source):
        target.assign(source.value.read_value())
        return
    shards = sharded_lookup.shards_of(source)
    for start, shard in zip(sharded_lookup.shard_starts(shards), shards):
        target.value[start:start + int(shard.shape[0])].assign(shard.read_value())

