"""Keras averages a multi-worker step's scalar logs along an axis they lack.

Under `MultiWorkerMirroredStrategy`, Keras 3's TensorFlow trainer (3.15,
2026-11) averages each train/test step's logs across replicas with
`strategy.reduce("MEAN", value, axis=0)`. The logs (the loss, the metrics)
are scalars, so every `fit` fails: "Invalid reduction dimension 0 for input
with 0 dimensions". The workaround averages scalars across replicas with
`axis=None` (the mean Keras intends) and leaves everything else to Keras.
"""

import tensorflow as tf

from tf_dynemb import keras_compat

# The private Keras function replaced, probed by
# `keras_reduces_scalar_logs_along_axis0`.
_FUNCTION = "reduce_per_replica"


def _is_multi_worker(strategy):
    return (isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
            and strategy.num_replicas_in_sync > len(strategy.extended.worker_devices))


def _is_scalar(value, strategy):
    """Whether every local replica's `value` is a scalar (with one device
    per worker, a step's outputs are plain tensors, not per-replica ones)."""
    return all(getattr(v, "shape", None) is not None and v.shape.rank == 0
               for v in strategy.experimental_local_results(value))


def _averaging_scalars(original):
    def reduce_per_replica(values, strategy, reduction):
        if reduction not in ("auto", "mean") or not _is_multi_worker(strategy):
            return original(values, strategy, reduction)
        scalars = tf.nest.map_structure(lambda v: _is_scalar(v, strategy), values)
        if not any(tf.nest.flatten(scalars)):
            return original(values, strategy, reduction)
        return tf.nest.map_structure(
            lambda v, scalar: strategy.reduce("MEAN", v, axis=None) if scalar
            else original(v, strategy, reduction), values, scalars)

    return reduce_per_replica


class _StrategyExtended:
    def _in_multi_worker_mode(self):
        return True


class _ScalarLog:
    """Stands in for a step's scalar log."""

    shape = tf.TensorShape([])


class _MultiWorkerProbe(tf.distribute.MultiWorkerMirroredStrategy):
    """Stands in for a multi-worker strategy (never initialized as one);
    records whether a scalar is reduced along axis 0."""

    def __init__(self):  # noqa: D107 - no strategy is created.
        self.axis0_on_scalar = False
        self._probe_extended = _StrategyExtended()

    @property
    def extended(self):
        return self._probe_extended

    def reduce(self, reduce_op, value, axis=None):
        del reduce_op
        self.axis0_on_scalar |= isinstance(value, _ScalarLog) and axis == 0
        return value


def keras_reduces_scalar_logs_along_axis0():
    """Whether the installed Keras averages multi-worker scalar logs with
    `axis=0` (the bug worked around). Asked of Keras's own code with
    stand-ins: no strategy is created."""
    method = keras_compat.unpatched(keras_compat.tensorflow_trainer_module(), _FUNCTION)
    if method is None:
        return False
    probe = _MultiWorkerProbe()
    try:
        method({"loss": _ScalarLog()}, probe, "auto")
    except Exception:  # noqa: BLE001 - Keras changed: not the known bug.
        return False
    return probe.axis0_on_scalar


def install():
    """Replaces the trainer's log reduction if this Keras has the bug;
    returns whether the workaround is in place."""
    return keras_compat.patch_keras(keras_compat.tensorflow_trainer_module(), _FUNCTION,
                                    keras_reduces_scalar_logs_along_axis0, _averaging_scalars)
