"""Keras builds a model from a mean of the first batch: fails on strings.

Keras 3's TensorFlow trainer (3.15 and master, 2026-11) builds the model
before `fit`/`evaluate` from the first data batch, and under a strategy it
first reduces that batch across replicas with `strategy.reduce("MEAN", ...)`.
That runs `AddN` on every input, which fails on strings ("Value for attr 'T'
of string is not in the list of allowed values"); under
`MultiWorkerMirroredStrategy` it fails on any input, outside a function. The
build needs only the batch's shapes and dtypes, which every replica's part
has, so the workaround builds from the first replica's part instead.
"""

import contextlib

import tensorflow as tf

from tf_dynemb import keras_compat

# The private Keras method replaced, probed by `keras_reduces_first_batch`.
_METHOD = "_maybe_symbolic_build"


def _trainer_class():
    return keras_compat.require_attribute(
        keras_compat.tensorflow_trainer_module(), "TensorFlowTrainer",
        "class `keras.src.backend.tensorflow.trainer.TensorFlowTrainer`")


def _first_batch(iterator, strategy):
    """The first batch of Keras's epoch iterator, each distributed value
    replaced by its first local replica's part."""

    def first_part(value):
        if isinstance(value, tf.distribute.DistributedValues):
            return strategy.experimental_local_results(value)[0]
        return value

    for _, _, batches in iterator:
        return tf.nest.map_structure(first_part, next(batches))
    return None


def _build_from_first_replica(original):
    def maybe_symbolic_build(self, iterator=None, data_batch=None):
        if iterator is not None and data_batch is None and self._distribute_strategy is not None:
            data_batch = _first_batch(iterator, self.distribute_strategy)
            iterator = None
        return original(self, iterator=iterator, data_batch=data_batch)

    return maybe_symbolic_build


class _StringPart(tf.distribute.DistributedValues):
    """Stands in for a distributed string input."""

    dtype = tf.string

    def __init__(self):
        pass


class _TrainerProbe:
    """Stands in for a trainer and its strategy; records whether the
    trainer's build step reduces a batch of strings."""

    def __init__(self):
        self.reduced_strings = False
        self._distribute_strategy = self.distribute_strategy = self

    def reduce(self, reduce_op, value, axis=None):
        del reduce_op, axis
        self.reduced_strings |= any(
            getattr(v, "dtype", None) == tf.string for v in tf.nest.flatten(value))
        return value

    def scope(self):
        return contextlib.nullcontext()

    def _symbolic_build(self, iterator=None, data_batch=None):
        del iterator, data_batch


def keras_reduces_first_batch():
    """Whether the installed Keras reduces a first batch of strings across
    replicas (the bug `enable_string_inputs` works around). Asked of Keras's
    own, unpatched code with stand-ins: nothing runs on a device."""
    method = keras_compat.unpatched(_trainer_class(), _METHOD)
    if method is None:
        return False
    probe = _TrainerProbe()
    try:
        method(probe, iterator=[(0, 0, iter([(_StringPart(),)]))])
    except Exception:  # noqa: BLE001 - Keras changed: not the known bug.
        return False
    return probe.reduced_strings


def install():
    """Replaces the trainer's build step, if this Keras reduces string
    batches; returns whether the workaround is in place."""
    return keras_compat.patch_keras(_trainer_class(), _METHOD, keras_reduces_first_batch,
                                    _build_from_first_replica)
