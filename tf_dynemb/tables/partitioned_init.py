"""Tables initialized shard by shard, where each shard lives.

Keras creates a variable as `tf.Variable(lambda: initializer(shape))` with
no `shape`: `ParameterServerStrategy` then computes the whole initial value
on the chief and sends each parameter server its slice, which fails for a
table over 2 GB ("Protobuf is too large to be serialized") and needs the
whole table in the chief's memory. `partitioned_initialization` gives the
strategy the shape and an initial value it can ask for one shard at a time,
so each parameter server draws its own shard.
"""

import contextlib
import hashlib

import keras
import tensorflow as tf


class _PartitionInitialValue:
    """`initializer`'s value for the whole `shape`, or for one partition
    when the strategy names it (`partition_shape`, `partition_offset`)."""

    def __init__(self, initializer, shape, dtype):
        self.initializer, self.shape, self.dtype = initializer, shape, dtype

    def __call__(self, partition_shape=None, partition_offset=None):
        if partition_shape is None or _depends_on_shape(self.initializer):
            value = self.initializer(self.shape, dtype=self.dtype)
            if partition_shape is None:
                return value
            # Drawn whole and sliced, so its scale is the whole table's.
            return value[partition_offset[0]:partition_offset[0] + partition_shape[0]]
        return _for_partition(self.initializer, partition_offset[0])(
            partition_shape, dtype=self.dtype)


def _depends_on_shape(initializer):
    """Whether `initializer`'s values depend on the whole shape (fans,
    orthogonality): drawn shard by shard it would give another table."""
    return isinstance(initializer, (keras.initializers.VarianceScaling,
                                    keras.initializers.Orthogonal,
                                    keras.initializers.Identity))


def _for_partition(initializer, first_row):
    """`initializer` with its integer seed mixed with the partition's first
    row, so that partitions draw different values (and no partition draws what
    another seed would draw for the whole table)."""
    seed = getattr(initializer, "seed", None)
    if not isinstance(seed, int) or isinstance(seed, bool) or first_row == 0:
        return initializer
    config = dict(initializer.get_config(), seed=partition_seed(seed, first_row))
    return type(initializer).from_config(config)


def partition_seed(seed, first_row):
    """The integer seed of the partition starting at `first_row` (a hash of
    both, so it is no other table's seed plus an offset)."""
    digest = hashlib.sha256(f"{seed}/{int(first_row)}".encode()).digest()
    return int.from_bytes(digest[:4], "little") % (2**31 - 1)


def _is_parameter_server_strategy():
    return isinstance(tf.distribute.get_strategy(),
                      tf.distribute.experimental.ParameterServerStrategy)


@contextlib.contextmanager
def partitioned_initialization(initializer, shape, dtype):
    """Within it, under a `ParameterServerStrategy`, a Keras variable created
    with `initializer` and `shape` is initialized shard by shard (with the
    same distribution; the values differ from an unsharded draw). An
    initializer that depends on the whole shape (Glorot, Orthogonal...) is
    drawn whole where each shard is made, and sliced. Elsewhere
    it changes nothing."""
    if not _is_parameter_server_strategy():
        yield
        return
    initializer = keras.initializers.get(initializer)
    value = _PartitionInitialValue(initializer, tuple(shape), dtype)

    def creator(next_creator, **kwargs):
        if kwargs.get("shape") is None and callable(kwargs.get("initial_value")):
            kwargs["shape"], kwargs["initial_value"] = tuple(shape), value
        return next_creator(**kwargs)

    with tf.variable_creator_scope(creator):
        yield
