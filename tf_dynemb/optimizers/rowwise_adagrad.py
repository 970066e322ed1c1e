"""RowwiseAdagrad: Adagrad with one accumulator per row (FBGEMM's rule)."""

import keras
import tensorflow as tf

from tf_dynemb._loader import ops as native_ops
from tf_dynemb.optimizers import row_updates
from tf_dynemb.optimizers.row_updates import RowUpdates


@keras.saving.register_keras_serializable(package="tf_dynemb")
class RowwiseAdagrad(RowUpdates, keras.optimizers.Optimizer):
    """Adagrad with one accumulator per row: D times less optimizer memory.

    The rule of FBGEMM's row-wise Adagrad, for each row r of the gradient:

        acc[r] += mean over the row of g[r]**2
        w[r] -= lr * g[r] / (sqrt(acc[r]) + epsilon)

    A row is a slice along axis 0: a `[V, D]` table has V accumulators, a
    1-D variable one per element (rows of width 1, plain Adagrad). Dense
    gradients follow the same rule on every row. For a sparse gradient
    (`tf.IndexedSlices`), repeated indices are summed first and only those
    rows and their accumulators are read and written, so a step costs the
    same at any table size.

    Args:
        learning_rate: a float, a `keras.optimizers.schedules.LearningRateSchedule`
            or a callable. Defaults to `0.01`.
        epsilon: added to `sqrt(acc)`. Defaults to `1e-8`.
        initial_accumulator_value: float >= 0, the accumulators' start.
            Defaults to `0.0`.
        weight_decay: decoupled weight decay, `w -= w * weight_decay * lr`,
            applied to the whole variable for a dense gradient and to the
            touched rows only for a sparse one. Defaults to `None`.
        clipnorm, clipvalue, global_clipnorm: as for every Keras optimizer;
            a sparse gradient is clipped after its repeated rows are summed.
        **kwargs: the other `keras.optimizers.Optimizer` arguments.

    Examples:

    >>> model.compile(optimizer=tf_dynemb.optimizers.RowwiseAdagrad(0.05), loss="mse")
    """

    def __init__(
        self,
        learning_rate=0.01,
        epsilon=1e-8,
        initial_accumulator_value=0.0,
        name="rowwise_adagrad",
        **kwargs,
    ):
        row_updates.require_tensorflow_backend(type(self).__name__)
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if not isinstance(epsilon, (int, float)) or epsilon < 0:
            raise ValueError(f"`epsilon` must be a float >= 0. Received: epsilon={epsilon!r}")
        if not isinstance(initial_accumulator_value, (int, float)) or initial_accumulator_value < 0:
            raise ValueError(
                "`initial_accumulator_value` must be a float >= 0. "
                f"Received: initial_accumulator_value={initial_accumulator_value!r}"
            )
        self.epsilon = epsilon
        self.initial_accumulator_value = initial_accumulator_value

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulators = [
            None if self._overwrite_variable_with_gradient(v) else self._row_slot(v)
            for v in var_list
        ]

    def _row_slot(self, reference):
        """A `[rows]` accumulator beside `reference`, where it lives."""
        colocate = reference.value if isinstance(reference, keras.Variable) else reference
        name = getattr(reference, "path", reference.name).replace("/", "_").replace(":", "_")
        with self._distribution_strategy.extended.colocate_vars_with(colocate):
            return self.add_variable(
                shape=tuple(reference.shape[:1]),
                initializer=keras.initializers.Constant(self.initial_accumulator_value),
                dtype=reference.dtype,
                name=f"{name}_row_accumulator",
            )

    def _multiplier(self, accumulated, learning_rate, dtype, rank):
        """lr / (sqrt(acc) + epsilon), shaped to broadcast over a row."""
        out = tf.cast(learning_rate, dtype) / (tf.sqrt(accumulated) + tf.cast(self.epsilon, dtype))
        return tf.reshape(out, tf.concat([tf.shape(out), tf.ones([max(rank - 1, 0)], tf.int32)], 0))

    def _update_dense(self, variable, gradient, learning_rate):
        acc = row_updates.local_component(
            self._accumulators[self._get_variable_index(variable)], variable)
        acc.assign_add(_row_mean_square(gradient))
        multiplier = self._multiplier(acc.read_value(), learning_rate, variable.dtype,
                                      gradient.shape.rank)
        variable.assign_sub(gradient * multiplier)

    def _update_rows(self, variable, gradient, learning_rate):
        dtype = variable.dtype
        acc = row_updates.local_component(
            self._accumulators[self._get_variable_index(variable)], variable)
        if self._fuses(variable, acc):
            rows, positions = row_updates.unique_rows(gradient)
            native_ops.tf_dynemb_sparse_apply_rowwise_adagrad(
                var=variable.handle, accumulator=acc.handle, rows=rows, positions=positions,
                values=gradient.values, learning_rate=tf.cast(learning_rate, dtype),
                epsilon=tf.cast(self.epsilon, dtype),
                weight_decay=tf.cast(self._weight_decay_of(variable), dtype))
            return

        gradient = row_updates.deduplicate(gradient)
        rows, values = gradient.indices, gradient.values
        acc_rows = acc.sparse_read(rows) + _row_mean_square(values)
        acc.scatter_update(tf.IndexedSlices(acc_rows, rows))
        multiplier = self._multiplier(acc_rows, learning_rate, dtype, values.shape.rank)
        self._write_rows(variable, rows, values * multiplier, learning_rate)

    def get_config(self):
        config = super().get_config()
        config.update({
            "epsilon": self.epsilon,
            "initial_accumulator_value": self.initial_accumulator_value,
        })
        return config


def _row_mean_square(gradient):
    """mean(g**2) over every axis but the first (g**2 itself for rank <= 1)."""
    rank = gradient.shape.rank
    squared = tf.square(gradient)
    return squared if rank <= 1 else tf.reduce_mean(squared, axis=list(range(1, rank)))
