"""The table gradient is an IndexedSlices equal to the gradient of the stock-op
reference (ReferenceLookup built from the vocabulary lists)."""

import numpy as np
import pytest
import tensorflow as tf

import tf_dynemb
from conftest import random_table, stock_reference


@pytest.mark.parametrize("combiner", ["mean", "sum", "sqrtn"])
def test_gradient_matches_reference(real_vocab, corpus_words, combiner):
    words, pieces = real_vocab
    model = tf_dynemb.build_model(words, pieces, num_oov_buckets=11)
    table = tf.Variable(random_table(len(words) + len(pieces) + 11, 8, seed=3))
    rng = np.random.default_rng(4)
    batch = tf.constant([[w.encode() for w in rng.choice(corpus_words, 7)] + [b"", b"Qqzx"]
                         for _ in range(50)])
    upstream = tf.constant(rng.normal(size=(50, 9, 8)).astype(np.float32))

    reference = stock_reference(words, pieces, 11)

    def grad(fn):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(fn(batch, table) * upstream)
        return tape.gradient(loss, table)

    got = grad(lambda w, t: tf_dynemb.lookup(w, t, model, combiner))
    want = grad(lambda w, t: reference(w, t, combiner))
    assert isinstance(got, tf.IndexedSlices)
    assert np.count_nonzero(tf.convert_to_tensor(want).numpy()) > 0
    np.testing.assert_allclose(tf.convert_to_tensor(got), tf.convert_to_tensor(want),
                               rtol=1e-5, atol=1e-6)


def test_gradient_in_tf_function_and_ragged():
    model = tf_dynemb.build_model(["a"], ["b", "##c"], 2)
    table = tf.Variable(random_table(5, 4, seed=5))

    @tf.function
    def step(words):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf_dynemb.lookup(words, table, model).flat_values)
        return tape.gradient(loss, table)

    got = step(tf.ragged.constant([["a", "bc"], [], ["zz"]]))
    assert isinstance(got, tf.IndexedSlices)
    dense = tf.convert_to_tensor(got).numpy()
    np.testing.assert_allclose(dense[0], 1.0)  # "a": WORD, weight 1
    np.testing.assert_allclose(dense[1:3], 0.5)  # "bc": two pieces, mean
    assert np.count_nonzero(dense[3:].sum(axis=1)) == 1  # "zz": one bucket


@pytest.mark.parametrize("dtype", [tf.float16, tf.bfloat16])
@pytest.mark.parametrize("combiner", ["mean", "sum", "sqrtn"])
def test_half_precision_gradient(dtype, combiner):
    model = tf_dynemb.build_model(["a"], ["b", "##c", "##d"], 1)
    reference = stock_reference(["a"], ["b", "##c", "##d"], 1)
    table = tf.Variable(tf.cast(random_table(5, 3, seed=6), dtype))
    words = tf.constant(["bc", "a", "bcd", "zz", "a", ""])
    upstream = tf.cast(random_table(6, 3, seed=7), dtype)

    def grad(fn):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.cast(fn(words, table) * upstream, tf.float32))
        return tape.gradient(loss, table)

    got = grad(lambda w, t: tf_dynemb.lookup(w, t, model, combiner))
    want = grad(lambda w, t: reference(w, t, combiner))
    assert isinstance(got, tf.IndexedSlices) and got.values.dtype == dtype
    # Each row's gradient is a sum of upstream rows scaled by 1/n or 1/sqrt(n),
    # rounded to the table's dtype by each path in its own order: a few ulps.
    tolerance = {tf.float16: 2e-3, tf.bfloat16: 2e-2}[dtype]
    np.testing.assert_allclose(tf.cast(tf.convert_to_tensor(got), tf.float32),
                               tf.cast(tf.convert_to_tensor(want), tf.float32),
                               rtol=tolerance, atol=tolerance)


def test_variable_is_read_in_place_after_sparse_updates():
    """A sparse update puts a variable in copy-on-read mode; the lookup reads
    it through its handle, and sees every update."""
    model = tf_dynemb.build_model(["a", "b"], ["c", "##d"], 2)
    variable = tf.Variable(random_table(6, 3, seed=8))
    words = tf.constant(["a", "cd", "b", "zz"])
    before = tf_dynemb.lookup(words, variable, model).numpy()
    variable.scatter_add(tf.IndexedSlices(tf.ones([1, 3]), tf.constant([0])))  # row of "a"
    after, kind = tf_dynemb.lookup(words, variable, model, return_kind=True)
    np.testing.assert_allclose(after[0], before[0] + 1.0, rtol=1e-6)
    np.testing.assert_allclose(after[1:], before[1:], rtol=1e-6)
    np.testing.assert_allclose(after, tf_dynemb.lookup(words, variable.value(), model))
    assert kind.numpy().tolist() == [tf_dynemb.WORD, tf_dynemb.PIECES, tf_dynemb.WORD,
                                     tf_dynemb.BUCKET]


def test_variable_and_tensor_tables_agree_with_gradients():
    model = tf_dynemb.build_model(["a"], ["b", "##c"], 2)
    variable = tf.Variable(random_table(5, 4, seed=9))
    words = tf.ragged.constant([["a", "bc"], ["zz"]])
    with tf.GradientTape(persistent=True) as tape:
        from_variable = tf_dynemb.lookup(words, variable, model, "sqrtn").flat_values
        from_tensor = tf_dynemb.lookup(words, tf.convert_to_tensor(variable), model,
                                       "sqrtn").flat_values
        loss_v, loss_t = tf.reduce_sum(from_variable ** 2), tf.reduce_sum(from_tensor ** 2)
    np.testing.assert_allclose(from_variable, from_tensor)
    grad_v, grad_t = tape.gradient(loss_v, variable), tape.gradient(loss_t, variable)
    assert isinstance(grad_v, tf.IndexedSlices)
    np.testing.assert_allclose(tf.convert_to_tensor(grad_v), tf.convert_to_tensor(grad_t))


def test_keras_variable_uses_its_resource():
    import keras

    model = tf_dynemb.build_model(["a"], ["b"], 1)
    variable = keras.Variable(np.ones((3, 2), np.float32))
    assert tf_dynemb.ops.resource_variable(variable) is variable.value
    np.testing.assert_allclose(tf_dynemb.lookup(["a"], variable, model), [[1.0, 1.0]])
