"""LazyAdam: Adam that updates only the rows a sparse gradient touches."""

import keras
import tensorflow as tf

from tf_dynemb._loader import ops as native_ops
from tf_dynemb.optimizers.row_updates import (
    RowUpdates,
    deduplicate,
    local_component,
    require_tensorflow_backend,
    unique_rows,
)


@keras.saving.register_keras_serializable(package="tf_dynemb")
class LazyAdam(RowUpdates, keras.optimizers.Adam):
    """Adam whose sparse updates read and write only the rows in the batch.

    For a dense gradient this is `keras.optimizers.Adam`, to the bit. For a
    sparse gradient (`tf.IndexedSlices`, as embedding lookups give), repeated
    indices are summed first; then only those rows update their moments and
    values, with bias correction from the global step (the semantics of
    TF-Addons' `LazyAdam`):

        m[r] = m[r] + (g[r] - m[r]) * (1 - beta_1)
        v[r] = v[r] + (g[r]**2 - v[r]) * (1 - beta_2)
        w[r] -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m[r] / (sqrt(v[r]) + epsilon)

    Rows outside the batch, and their moments, are neither read nor written,
    so a step costs the same at any table size, and a row's moments do not
    decay while it is unused (where Keras Adam would still move it). A sparse
    gradient that touches every row gives Keras Adam's update.

    Works on any Keras model (TensorFlow backend), under
    `tf.distribute.MirroredStrategy` and `MultiWorkerMirroredStrategy`, and
    inside `keras.optimizers.LossScaleOptimizer`.

    Args:
        learning_rate: a float, a `keras.optimizers.schedules.LearningRateSchedule`
            or a callable. Defaults to `0.001`.
        beta_1: decay of the first moment. Defaults to `0.9`.
        beta_2: decay of the second moment. Defaults to `0.999`.
        epsilon: added to `sqrt(v)`. Defaults to `1e-7`.
        amsgrad: use `max(v_hat, v)` (AMSGrad), on touched rows for sparse
            gradients. Defaults to `False`.
        weight_decay: decoupled weight decay, `w -= w * weight_decay * lr`,
            applied to the whole variable for a dense gradient and to the
            touched rows only for a sparse one. Defaults to `None`.
        clipnorm, clipvalue, global_clipnorm: as for every Keras optimizer;
            a sparse gradient is clipped after its repeated rows are summed,
            so norms are those of the dense gradient. Defaults to `None`.
        **kwargs: the other `keras.optimizers.Optimizer` arguments (`name`,
            `use_ema`, `loss_scale_factor`, `gradient_accumulation_steps`...).

    Examples:

    >>> model.compile(optimizer=tf_dynemb.optimizers.LazyAdam(1e-3), loss="mse")
    """

    def __init__(self, learning_rate=0.001, name="lazy_adam", **kwargs):
        require_tensorflow_backend(type(self).__name__)
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)

    def _update_dense(self, variable, gradient, learning_rate):
        keras.optimizers.Adam.update_step(self, gradient, variable, learning_rate)

    def _update_rows(self, variable, gradient, learning_rate):
        dtype = variable.dtype
        lr = tf.cast(learning_rate, dtype)
        step = tf.cast(self.iterations + 1, dtype)
        beta_1_power = tf.pow(tf.cast(self.beta_1, dtype), step)
        beta_2_power = tf.pow(tf.cast(self.beta_2, dtype), step)
        alpha = lr * tf.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        index = self._get_variable_index(variable)
        m = local_component(self._momentums[index], variable)
        v = local_component(self._velocities[index], variable)
        if not self.amsgrad and self._fuses(variable, m, v):
            rows, positions = unique_rows(gradient)
            native_ops.tf_dynemb_sparse_apply_lazy_adam(
                var=variable.handle, m=m.handle, v=v.handle, rows=rows, positions=positions,
                values=gradient.values, alpha=alpha,
                one_minus_beta_1=tf.cast(1 - self.beta_1, dtype),
                one_minus_beta_2=tf.cast(1 - self.beta_2, dtype),
                epsilon=tf.cast(self.epsilon, dtype), learning_rate=lr,
                weight_decay=tf.cast(self._weight_decay_of(variable), dtype))
            return

        gradient = deduplicate(gradient)
        rows, values = gradient.indices, gradient.values
        m_rows = m.sparse_read(rows)
        m_rows = m_rows + (values - m_rows) * tf.cast(1 - self.beta_1, dtype)
        v_rows = v.sparse_read(rows)
        v_rows = v_rows + (tf.square(values) - v_rows) * tf.cast(1 - self.beta_2, dtype)
        m.scatter_update(tf.IndexedSlices(m_rows, rows))
        v.scatter_update(tf.IndexedSlices(v_rows, rows))
        if self.amsgrad:
            v_hat = local_component(self._velocity_hats[index], variable)
            v_rows = tf.maximum(v_hat.sparse_read(rows), v_rows)
            v_hat.scatter_update(tf.IndexedSlices(v_rows, rows))
        delta = (m_rows * alpha) / (tf.sqrt(v_rows) + tf.cast(self.epsilon, dtype))
        self._write_rows(variable, rows, delta, learning_rate)
