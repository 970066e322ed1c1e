"""A sparse step does no dense work: what the fused kernels touch and
refuse, and loss scaling that keeps gradients sparse."""

import numpy as np
import pytest
import tensorflow as tf

import keras
from optimizer_helpers import (
    D, V, embedding_data, embedding_model, fused, random_steps, sparse, start_table)
from tf_dynemb._loader import ops as native_ops
from tf_dynemb.optimizers import LazyAdam, RowwiseAdagrad, SparseLossScaleOptimizer


@pytest.mark.parametrize("kernel", [True, False])
def test_graph_touches_only_rows(kernel):
    """In the traced step, the table and every slot are only updated by the
    fused kernel, or gathered from and scattered into: no op reads or writes
    them whole."""
    allowed = ({"TfDynembSparseApplyLazyAdam", "TfDynembSparseApplyRowwiseAdagrad"} if kernel
               else {"ResourceGather", "ResourceScatterUpdate"})
    for opt in (LazyAdam(weight_decay=0.01), RowwiseAdagrad(weight_decay=0.01)):
        fused(opt, kernel)
        table = keras.Variable(start_table(rows=1000))
        opt.build([table])
        step = tf.function(lambda g: opt.apply_gradients([(g, table)]))
        graph = step.get_concrete_function(tf.IndexedSlicesSpec(
            [1000, D], tf.float32, tf.int64, tf.int64, [D])).graph
        handles = {id(v.value.handle) for v in [table] + opt.variables
                   if len(v.shape) and v.shape[0] == 1000}
        inner = [internal for external, internal in graph.captures if id(external) in handles]
        assert len(inner) == len(handles)
        used = {op.type for t in inner for op in t.consumers()}
        assert used <= allowed, used


def test_kernels_reject_bad_rows():
    table = tf.Variable(start_table())
    m, v = tf.Variable(tf.zeros([V, D])), tf.Variable(tf.zeros([V, D]))
    acc = tf.Variable(tf.zeros([V]))
    ones = tf.ones([2, D])

    def lazy_adam(rows, positions, values=ones, second=m):
        native_ops.tf_dynemb_sparse_apply_lazy_adam(
            var=table.handle, m=second.handle, v=v.handle, rows=rows, positions=positions,
            values=values, alpha=0.1, one_minus_beta_1=0.1, one_minus_beta_2=0.001,
            epsilon=1e-7, learning_rate=0.1, weight_decay=0.0)

    def rowwise(rows, positions, accumulator=acc):
        native_ops.tf_dynemb_sparse_apply_rowwise_adagrad(
            var=table.handle, accumulator=accumulator.handle, rows=rows, positions=positions,
            values=ones, learning_rate=0.1, epsilon=1e-8, weight_decay=0.0)

    before = table.numpy()
    cases = [
        (lambda: lazy_adam([0, V], [0, 1]), f"Row {V} is out of range for a variable of {V}"),
        (lambda: lazy_adam([-1, 2], [0, 1]), "Row -1 is out of range"),
        (lambda: lazy_adam([3, 3], [0, 1]), "`rows` must be unique .* row 3 repeats"),
        (lambda: lazy_adam([3, 4], [0, 2]), r"positions\[1\] = 2 is not in \[0, 2\)"),
        (lambda: lazy_adam([3, 4], [0, 1], tf.ones([2, D + 1])), "one row of the variable"),
        (lambda: lazy_adam([3, 4], [0, 1], second=table), "must be distinct variables"),
        (lambda: lazy_adam([3, 4], [0, 1], second=acc), "`m` must have shape"),
        (lambda: rowwise([3, 4], [0, 1], accumulator=m), "`accumulator` must have shape"),
    ]
    for call, message in cases:
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            call()
    np.testing.assert_array_equal(table.numpy(), before)


def test_kernels_update_a_buffer_a_reader_holds():
    """A dense read taken before the step keeps its values: the kernel
    writes to a copy when the buffer is shared."""
    table = keras.Variable(start_table())
    opt = LazyAdam(0.1)
    opt.build([table])
    held = table.value.read_value()
    opt.apply_gradients([(sparse(np.ones((1, D)), [2]), table)])
    np.testing.assert_array_equal(held.numpy(), start_table())
    assert not np.allclose(table.numpy()[2], start_table()[2])


@pytest.mark.parametrize("wrapper", [keras.optimizers.LossScaleOptimizer,
                                     SparseLossScaleOptimizer])
@pytest.mark.parametrize("make", [LazyAdam, RowwiseAdagrad])
def test_loss_scale_optimizer(make, wrapper):
    """Scaled gradients, unscaled by the wrapper: the inner optimizer's step."""
    values, indices = random_steps(9, steps=1)[0]
    plain_table, scaled_table = keras.Variable(start_table()), keras.Variable(start_table())
    make(0.1).apply_gradients([(sparse(values, indices), plain_table)])
    scaled = wrapper(make(0.1), initial_scale=1024.0)
    scaled.apply_gradients([(sparse(values * 1024.0, indices), scaled_table)])
    np.testing.assert_allclose(scaled_table.numpy(), plain_table.numpy(), rtol=1e-6)
    # A non-finite gradient skips the step and halves the scale.
    scaled.apply_gradients([(sparse(values * np.inf, indices), scaled_table)])
    np.testing.assert_allclose(scaled_table.numpy(), plain_table.numpy(), rtol=1e-6)
    assert float(scaled.dynamic_scale.numpy()) == 512.0


def step_graph(optimizer, table):
    """The graph of a training step whose gradient gathers rows `ids`."""
    def step(ids):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(table.value.sparse_read(ids))
        optimizer.apply_gradients([(tape.gradient(loss, table.value), table)])

    return tf.function(step).get_concrete_function(tf.TensorSpec([None], tf.int64)).graph


def all_operations(graph):
    """The operations of `graph` and of the branches of its conds."""
    ops = list(graph.get_operations())
    for function in graph._functions.values():  # cond branches, loop bodies
        ops += all_operations(function.graph)
    return ops


def test_no_tensor_of_the_tables_shape_in_a_step():
    """Nothing in a sparse step is as large as the table: Keras's own loss
    scaling densifies the gradient to check it, the sparse one does not."""
    def largest(optimizer):
        table = keras.Variable(start_table(rows=1000))
        optimizer.build([table])
        graph = step_graph(optimizer, table)
        return max((t.shape.num_elements() or 0) for op in all_operations(graph)
                   for t in op.outputs)

    for optimizer in (LazyAdam(weight_decay=0.1, clipnorm=1.0), RowwiseAdagrad(),
                      fused(LazyAdam(amsgrad=True, global_clipnorm=1.0), False),
                      SparseLossScaleOptimizer(LazyAdam())):
        assert largest(optimizer) < 1000 * D, optimizer
    assert largest(keras.optimizers.LossScaleOptimizer(LazyAdam())) == 1000 * D


def test_sparse_loss_scale_optimizer_config():
    opt = SparseLossScaleOptimizer(RowwiseAdagrad(0.2), initial_scale=64.0)
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(opt))
    assert type(restored) is SparseLossScaleOptimizer
    assert type(restored.inner_optimizer) is RowwiseAdagrad
    assert restored.get_config() == opt.get_config()


def test_mixed_precision_fit():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = embedding_model()
        model.compile(SparseLossScaleOptimizer(LazyAdam(0.01)), "mse")
        assert type(model.optimizer) is SparseLossScaleOptimizer
        x, y = embedding_data()
        start = model.layers[1].embeddings.numpy()
        history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        assert np.isfinite(history.history["loss"]).all()
        table = model.layers[1].embeddings.numpy()
        np.testing.assert_array_equal(table[30:], start[30:])
        assert not np.allclose(table[:30], start[:30])
    finally:
        keras.mixed_precision.set_global_policy("float32")
