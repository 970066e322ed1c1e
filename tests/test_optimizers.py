"""LazyAdam and RowwiseAdagrad against numpy oracles written here, and
against Keras Adam where they must agree."""

import numpy as np
import pytest
import tensorflow as tf

import keras
from optimizer_helpers import (
    D, V, embedding_data, embedding_model, fused, random_steps, slot, sparse, start_table, summed)
from tf_dynemb.optimizers import LazyAdam, RowwiseAdagrad


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


def test_lazy_adam_applies_a_keras_embeddings_gradient_sparsely():
    """StringLookup + Embedding with LazyAdam (a peer in bench/train_bench.py):
    Keras's Embedding gives an IndexedSlices gradient, and LazyAdam moves only
    the rows of each batch, where Keras Adam moves every row with a moment."""
    embedding = keras.layers.Embedding(8, 4, embeddings_initializer="ones")
    model = keras.Sequential([keras.Input((2,), dtype="int32"), embedding,
                              keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(1)])
    optimizer = LazyAdam(0.1)

    def step(ids):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(model(tf.constant([ids])))
        grads = tape.gradient(loss, model.trainable_variables)
        assert isinstance(grads[0], tf.IndexedSlices)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return embedding.embeddings.numpy().copy()

    first, second = step([1, 2]), step([3, 4])
    moved = lambda a, b: sorted(np.flatnonzero(np.any(a != b, axis=1)).tolist())  # noqa: E731
    assert moved(np.ones((8, 4)), first) == [1, 2]
    assert moved(first, second) == [3, 4]  # rows 1 and 2 keep their moments, unapplied
