"""What the row-sparse optimizers share: sparse gradients stay sparse.

Keras 3 optimizers turn a `tf.IndexedSlices` gradient into a dense `[V, D]`
tensor (Adam's `gradient - m`, weight decay over the whole variable, global
norm clipping's `g * scale`), so their step costs O(V). `RowUpdates` keeps a
sparse gradient sparse from clipping to the update: repeated indices are
summed, and only the rows it names are read and written, in the variable
and in its slots. For float32 resource variables one fused kernel
(`TfDynembSparseApply*`) does that in place; otherwise gathers and scatters
do. Dense gradients take the subclass's dense rule.
"""

import keras
import tensorflow as tf
from tensorflow.python.ops import resource_variable_ops


def require_tensorflow_backend(name):
    if keras.config.backend() != "tensorflow":
        raise RuntimeError(
            f"{name} updates tf.Variables with scatter ops and needs the TensorFlow "
            f"backend. Received: backend={keras.config.backend()!r}; set "
            "KERAS_BACKEND=tensorflow."
        )


def unique_rows(gradient):
    """(rows, positions): gradient row i belongs to rows[positions[i]]."""
    return tf.unique(gradient.indices, out_idx=tf.int32)


def deduplicate(gradient):
    """`gradient` (`tf.IndexedSlices`) with repeated indices summed."""
    rows, positions = tf.unique(gradient.indices)
    values = tf.math.unsorted_segment_sum(gradient.values, positions, tf.shape(rows)[0])
    return tf.IndexedSlices(values, rows, gradient.dense_shape)


def local_component(variable, like):
    """The component of `variable` (a Keras or TF variable, maybe mirrored)
    that lives on the device of `like`, the model variable being updated.

    Under a `tf.distribute` strategy the optimizer's update function runs once
    per device with that device's copy of the model variable, while slot
    variables are still the mirrored containers: their own `sparse_read` and
    scatter ops are not meant for that context, so the local copy is used.
    """
    if isinstance(variable, keras.Variable):
        variable = variable.value
    strategy = tf.distribute.get_strategy()
    components = strategy.experimental_local_results(variable)
    if len(components) == 1:
        return components[0]
    want = tf.DeviceSpec.from_string(like.device)
    for component in components:
        if tf.DeviceSpec.from_string(component.device) == want:
            return component
    raise ValueError(
        f"No copy of optimizer variable {variable.name} lives on {like.device}; its copies "
        f"are on {[c.device for c in components]}."
    )


class RowUpdates:
    """Mixin for a `keras.optimizers.Optimizer` (TensorFlow backend) whose
    subclass implements `_update_rows` and `_update_dense`.

    `update_step` gives `_update_rows(variable, gradient, learning_rate)` a
    plain `tf.Variable` (the local copy under a strategy) and a
    `tf.IndexedSlices` gradient in its dtype, int64 indices, possibly
    repeated. The update of a table is thus a function of the rows it
    touches, and `_update_rows` finds the slots from the variable it is
    given: a table held as shard variables, each with its own slots, can be
    updated shard by shard where each shard lives, by splitting the
    gradient's rows at the shard offsets.

    Weight decay is decoupled, as in Keras (`w -= w * weight_decay * lr`),
    and applied in the update step: to the whole variable for a dense
    gradient, to the touched rows only for a sparse one.
    """

    # Tests turn this off on an instance to check the gather/scatter path.
    _fused_kernels = True

    def _fuses(self, *variables):
        """Whether the fused kernel can update these variables in place."""
        return self._fused_kernels and all(
            isinstance(v, resource_variable_ops.BaseResourceVariable) and v.dtype == tf.float32
            for v in variables)

    def _weight_decay_of(self, variable):
        return self.weight_decay if self._decays(variable) else 0.0

    def _apply_weight_decay(self, variables):
        # Applied in update_step instead, where the rows are known.
        del variables

    def _decays(self, variable):
        return self.weight_decay is not None and self._use_weight_decay(variable)

    def _decayed(self, values, variable, learning_rate):
        """`values - values * weight_decay * lr`, as Keras decays weights."""
        wd = tf.cast(self.weight_decay, variable.dtype)
        return values - values * wd * tf.cast(learning_rate, variable.dtype)

    def update_step(self, gradient, variable, learning_rate):
        if isinstance(variable, keras.Variable):
            variable = variable.value
        if isinstance(gradient, tf.IndexedSlices):
            gradient = tf.IndexedSlices(tf.cast(gradient.values, variable.dtype),
                                        tf.cast(gradient.indices, tf.int64), gradient.dense_shape)
            self._update_rows(variable, gradient, learning_rate)
            return
        if self._decays(variable):
            variable.assign(self._decayed(variable, variable, learning_rate))
        self._update_dense(variable, tf.cast(gradient, variable.dtype), learning_rate)

    def _write_rows(self, variable, rows, delta, learning_rate):
        """variable[rows] -= delta (rows unique), decayed first if asked.

        A gather and a scatter_update: TensorFlow's CPU scatter_sub runs an
        Eigen expression per row and costs about 5x more for 4,096 rows of 128.
        """
        current = variable.sparse_read(rows)
        if self._decays(variable):
            current = self._decayed(current, variable, learning_rate)
        variable.scatter_update(tf.IndexedSlices(current - delta, rows))

    def _clip_gradients(self, grads):
        """Keras's clipping, with sparse gradients summed per row first (so
        norms are those of the dense gradient) and kept sparse."""
        if not (self.clipnorm or self.global_clipnorm or self.clipvalue):
            return grads
        grads = [deduplicate(g) if isinstance(g, tf.IndexedSlices) else g for g in grads]
        if self.clipnorm and self.clipnorm > 0:
            return [None if g is None else tf.clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            values = [_values(g) for g in grads if g is not None]
            norm = tf.sqrt(tf.add_n([tf.reduce_sum(tf.square(tf.cast(v, tf.float32)))
                                     for v in values]))
            clip = tf.cast(self.global_clipnorm, tf.float32)
            # As keras.optimizers: a non-finite norm makes every value NaN.
            scale = clip * tf.minimum(1.0 / norm, 1.0 / clip) + (norm - norm)
            return [None if g is None else _map_values(g, lambda v: v * tf.cast(scale, v.dtype))
                    for g in grads]
        if self.clipvalue and self.clipvalue > 0:
            c = self.clipvalue
            return [
                None if g is None else _map_values(g, lambda v: tf.clip_by_value(v, -c, c))
                for g in grads
            ]
        return grads


def _values(gradient):
    return gradient.values if isinstance(gradient, tf.IndexedSlices) else gradient


def _map_values(gradient, fn):
    if isinstance(gradient, tf.IndexedSlices):
        return tf.IndexedSlices(fn(gradient.values), gradient.indices, gradient.dense_shape)
    return fn(gradient)
