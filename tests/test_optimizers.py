"""LazyAdam and RowwiseAdagrad against numpy oracles written here, and
against Keras Adam where they must agree."""

import numpy as np
import pytest
import tensorflow as tf

import keras
from tf_dynemb._loader import ops as native_ops
from tf_dynemb.optimizers import LazyAdam, RowwiseAdagrad, SparseLossScaleOptimizer

V, D = 7, 3


def sparse(values, indices, rows=V):
    values = np.asarray(values, np.float32)
    return tf.IndexedSlices(tf.constant(values), tf.constant(indices, tf.int64),
                            tf.constant([rows] + list(values.shape[1:]), tf.int64))


def summed(values, indices, rows=V):
    """The dense gradient of an IndexedSlices: repeated rows summed."""
    dense = np.zeros((rows,) + np.shape(values)[1:], np.float32)
    np.add.at(dense, np.asarray(indices), np.asarray(values, np.float32))
    return dense


def lazy_adam_oracle(w, m, v, g, touched, t, lr, b1=0.9, b2=0.999, eps=1e-7, wd=None):
    """One LazyAdam step in numpy on rows `touched` (dense g holds the sums)."""
    w, m, v = w.copy(), m.copy(), v.copy()
    r = touched
    alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    m[r] = m[r] + (g[r] - m[r]) * (1 - b1)
    v[r] = v[r] + (g[r] ** 2 - v[r]) * (1 - b2)
    if wd is not None:
        w[r] = w[r] - w[r] * wd * lr
    w[r] = w[r] - m[r] * alpha / (np.sqrt(v[r]) + eps)
    return w, m, v


def rowwise_adagrad_oracle(w, acc, g, touched, lr, eps=1e-8, wd=None):
    w, acc = w.copy(), acc.copy()
    r = touched
    acc[r] = acc[r] + (g[r] ** 2).reshape(len(r), -1).mean(axis=1)
    if wd is not None:
        w[r] = w[r] - w[r] * wd * lr
    scale = (lr / (np.sqrt(acc[r]) + eps)).reshape((len(r),) + (1,) * (w.ndim - 1))
    w[r] = w[r] - g[r] * scale
    return w, acc


def random_steps(seed, steps=4, rows=V, dim=D):
    """Sparse gradients with repeated indices; rows 5 and 6 never touched."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(steps):
        indices = rng.integers(0, rows - 2, size=6)
        indices[1] = indices[0]  # always a repeat
        out.append((rng.normal(size=(6, dim)).astype(np.float32), indices))
    return out


def start_table(seed=0, rows=V, dim=D):
    return np.random.default_rng(seed).normal(size=(rows, dim)).astype(np.float32)


def fused(optimizer, on):
    """`optimizer` with its fused kernels on, or with gathers and scatters."""
    optimizer._fused_kernels = on
    return optimizer


def slot(optimizer, name):
    return next(v for v in optimizer.variables if v.name.endswith(name)).numpy()


@pytest.mark.parametrize("kernel", [True, False])
@pytest.mark.parametrize("wd", [None, 0.1])
@pytest.mark.parametrize("in_function", [False, True])
def test_lazy_adam_sparse_matches_oracle(wd, in_function, kernel):
    table = keras.Variable(start_table())
    opt = fused(LazyAdam(0.05, weight_decay=wd), kernel)
    def apply(g):
        opt.apply_gradients([(g, table)])

    if in_function:
        opt.build([table])
        apply = tf.function(apply)
    w, m, v = start_table(), np.zeros((V, D)), np.zeros((V, D))
    for t, (values, indices) in enumerate(random_steps(1), start=1):
        apply(sparse(values, indices))
        touched = np.unique(indices)
        w, m, v = lazy_adam_oracle(w, m, v, summed(values, indices), touched, t, 0.05, wd=wd)
    np.testing.assert_allclose(table.numpy(), w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(slot(opt, "momentum"), m, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(slot(opt, "velocity"), v, rtol=1e-5, atol=1e-7)
    # Untouched rows and their moments: exactly as they started.
    np.testing.assert_array_equal(table.numpy()[5:], start_table()[5:])
    assert not slot(opt, "momentum")[5:].any() and not slot(opt, "velocity")[5:].any()


def test_lazy_adam_dense_is_keras_adam():
    rng = np.random.default_rng(2)
    grads = [rng.normal(size=(V, D)).astype(np.float32) for _ in range(3)]
    results = []
    for opt in (LazyAdam(0.02, amsgrad=True, weight_decay=0.05),
                keras.optimizers.Adam(0.02, amsgrad=True, weight_decay=0.05)):
        table = keras.Variable(start_table())
        for g in grads:
            opt.apply_gradients([(tf.constant(g), table)])
        results.append(table.numpy())
    np.testing.assert_array_equal(results[0], results[1])


@pytest.mark.parametrize("amsgrad", [False, True])
def test_lazy_adam_touching_every_row_is_keras_adam(amsgrad):
    """(amsgrad runs the gather/scatter path, the default the fused kernel.)"""
    rng = np.random.default_rng(3)
    steps = []
    for _ in range(4):
        indices = np.concatenate([np.arange(V), rng.integers(0, V, 5)])
        steps.append((rng.normal(size=(len(indices), D)).astype(np.float32), indices))
    lazy_table, adam_table = keras.Variable(start_table()), keras.Variable(start_table())
    lazy, adam = LazyAdam(0.03, amsgrad=amsgrad), keras.optimizers.Adam(0.03, amsgrad=amsgrad)
    for values, indices in steps:
        lazy.apply_gradients([(sparse(values, indices), lazy_table)])
        adam.apply_gradients([(tf.constant(summed(values, indices)), adam_table)])
    np.testing.assert_allclose(lazy_table.numpy(), adam_table.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kernel", [True, False])
@pytest.mark.parametrize("wd", [None, 0.2])
def test_rowwise_adagrad_sparse_matches_oracle(wd, kernel):
    table = keras.Variable(start_table())
    opt = fused(RowwiseAdagrad(0.1, weight_decay=wd, initial_accumulator_value=0.5), kernel)
    w, acc = start_table(), np.full(V, 0.5, np.float32)
    for values, indices in random_steps(4):
        opt.apply_gradients([(sparse(values, indices), table)])
        w, acc = rowwise_adagrad_oracle(w, acc, summed(values, indices), np.unique(indices),
                                        0.1, wd=wd)
    np.testing.assert_allclose(table.numpy(), w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(slot(opt, "row_accumulator"), acc, rtol=1e-5)
    np.testing.assert_array_equal(table.numpy()[5:], start_table()[5:])
    assert slot(opt, "row_accumulator").shape == (V,)


@pytest.mark.parametrize("shape", [(V, D), (V,), (4, 2, 3), ()])
def test_rowwise_adagrad_dense_matches_oracle(shape):
    rng = np.random.default_rng(5)
    start = rng.normal(size=shape).astype(np.float32)
    variable = keras.Variable(start)
    opt = RowwiseAdagrad(0.1)
    w = start.reshape((1,) if shape == () else shape)
    acc = np.zeros(w.shape[:1], np.float32)
    for _ in range(3):
        g = rng.normal(size=shape).astype(np.float32)
        opt.apply_gradients([(tf.constant(g), variable)])
        w, acc = rowwise_adagrad_oracle(w, acc, g.reshape(w.shape), np.arange(len(w)), 0.1)
    np.testing.assert_allclose(variable.numpy(), w.reshape(shape), rtol=1e-5, atol=1e-6)


def test_rowwise_adagrad_uses_one_accumulator_per_row():
    opt = RowwiseAdagrad()
    opt.build([keras.Variable(np.zeros((1000, 64), np.float32))])
    assert [tuple(v.shape) for v in opt.variables if "accumulator" in v.name] == [(1000,)]


def test_learning_rate_schedule():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    table = keras.Variable(start_table())
    opt = LazyAdam(schedule)
    w, m, v = start_table(), np.zeros((V, D)), np.zeros((V, D))
    for t, (values, indices) in enumerate(random_steps(6), start=1):
        opt.apply_gradients([(sparse(values, indices), table)])
        w, m, v = lazy_adam_oracle(w, m, v, summed(values, indices), np.unique(indices), t,
                                   0.1 * 0.5 ** (t - 1))
    np.testing.assert_allclose(table.numpy(), w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("clip", [{"clipnorm": 0.5}, {"global_clipnorm": 0.7},
                                  {"clipvalue": 0.3}])
def test_clipping_sees_summed_rows_and_stays_sparse(clip):
    """A sparse gradient is clipped as its dense sum would be: the result
    equals Keras's clipping of the dense gradient, followed by the lazy step."""
    values = np.array([[1.0, 2.0, 0.0], [1.0, 2.0, 0.0], [0.0, 3.0, 1.0]], np.float32)
    indices = [1, 1, 3]
    bias_grad = np.array([0.5, -2.0], np.float32)
    opt = RowwiseAdagrad(0.1, **clip)
    clipped = opt._clip_gradients([sparse(values, indices), tf.constant(bias_grad)])
    assert isinstance(clipped[0], tf.IndexedSlices)
    keras_clipped = keras.optimizers.SGD(**clip)._clip_gradients(
        [tf.constant(summed(values, indices)), tf.constant(bias_grad)])
    np.testing.assert_allclose(tf.convert_to_tensor(clipped[0]), keras_clipped[0], rtol=1e-6)
    np.testing.assert_allclose(clipped[1], keras_clipped[1], rtol=1e-6)


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


def test_config_round_trip():
    for opt in (LazyAdam(0.01, beta_1=0.8, amsgrad=True, weight_decay=0.1, clipnorm=1.0),
                RowwiseAdagrad(0.2, epsilon=1e-6, initial_accumulator_value=0.1,
                               global_clipnorm=2.0)):
        config = opt.get_config()
        again = type(opt).from_config(config)
        assert again.get_config() == config
        restored = keras.optimizers.deserialize(keras.optimizers.serialize(opt))
        assert type(restored) is type(opt) and restored.get_config() == config


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"`epsilon` must be a float >= 0. Received: epsilon=-1"):
        RowwiseAdagrad(epsilon=-1)
    with pytest.raises(ValueError, match="initial_accumulator_value=-0.5"):
        RowwiseAdagrad(initial_accumulator_value=-0.5)


def embedding_model(rows=50):
    inputs = keras.Input(shape=(4,), dtype="int32")
    x = keras.layers.Embedding(rows, 8)(inputs)
    outputs = keras.layers.Dense(1)(keras.layers.GlobalAveragePooling1D()(x))
    return keras.Model(inputs, outputs)


def embedding_data(rows=50, used=30):
    rng = np.random.default_rng(7)
    return rng.integers(0, used, (64, 4)), rng.normal(size=(64, 1)).astype(np.float32)


@pytest.mark.parametrize("make", [LazyAdam, RowwiseAdagrad])
def test_any_keras_model_and_keras_file_keeps_slots(make, tmp_path):
    keras.utils.set_random_seed(0)
    model = embedding_model()
    model.compile(make(0.05), "mse")
    x, y = embedding_data()
    start = model.layers[1].embeddings.numpy()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    table = model.layers[1].embeddings.numpy()
    np.testing.assert_array_equal(table[30:], start[30:])  # rows no batch used
    assert not np.allclose(table[:30], start[:30])

    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.optimizer) is make
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, shuffle=False)
    loaded.fit(x, y, batch_size=16, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(model.weights, loaded.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)


@pytest.mark.parametrize("make", [LazyAdam, RowwiseAdagrad])
def test_checkpoint_restores_slots(make, tmp_path):
    table = keras.Variable(start_table())
    opt = make(0.1)
    steps = random_steps(8)
    for values, indices in steps[:2]:
        opt.apply_gradients([(sparse(values, indices), table)])
    prefix = tf.train.Checkpoint(table=table, optimizer=opt).save(str(tmp_path / "ckpt"))
    for values, indices in steps[2:]:
        opt.apply_gradients([(sparse(values, indices), table)])
    want = table.numpy()

    table2 = keras.Variable(np.zeros((V, D), np.float32))
    opt2 = make(0.1)
    opt2.build([table2])
    tf.train.Checkpoint(table=table2, optimizer=opt2).restore(prefix).assert_consumed()
    for values, indices in steps[2:]:
        opt2.apply_gradients([(sparse(values, indices), table2)])
    np.testing.assert_array_equal(table2.numpy(), want)


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
