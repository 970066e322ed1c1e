"""One segmentation per word in training: under a gradient tape the lookup
returns the rows it pooled and the gradient reads them."""

import numpy as np
import pytest
import tensorflow as tf

import keras
import tf_dynemb
from conftest import ADVERSARIAL_WORDS, random_table, stock_reference
from tf_dynemb.layers import DynamicEmbedding
from tf_dynemb.ops import _ops
from tf_dynemb.optimizers import LazyAdam


def dynemb_ops(graph):
    """Op types of the tf_dynemb ops in `graph`, its gradient included."""
    return sorted({op.type for op in graph.get_operations() if op.type.startswith("TfDynemb")})


@pytest.fixture(scope="module")
def setup(real_vocab, corpus_words):
    words, pieces = real_vocab
    model = tf_dynemb.build_model(words, pieces, num_oov_buckets=13)
    rows = len(words) + len(pieces) + 13
    rng = np.random.default_rng(11)
    batch = [w.encode() for w in rng.choice(corpus_words, 300)] + ADVERSARIAL_WORDS
    return model, rows, tf.constant(batch)


@pytest.mark.parametrize("dtype", [tf.float32, tf.float16, tf.bfloat16])
@pytest.mark.parametrize("combiner", ["mean", "sum", "sqrtn"])
def test_outputs_are_the_lookup_and_the_segmentation(setup, dtype, combiner):
    model, rows, words = setup
    table = random_table(rows, 16, seed=12, dtype=dtype)
    variable = tf.Variable(table)
    want, want_kind = _ops.tf_dynemb_lookup(words=words, table=table, model=model,
                                            combiner=combiner)
    segmentation = _ops.tf_dynemb_segment(words=words, model=model, combiner=combiner)
    for got in (
        _ops.tf_dynemb_lookup_with_rows(words=words, table=table, model=model,
                                        combiner=combiner),
        _ops.tf_dynemb_resource_lookup_with_rows(words=words, table=variable.handle,
                                                 model=model, dtype=dtype,
                                                 combiner=combiner),
    ):
        np.testing.assert_array_equal(got[0].numpy(), want.numpy())
        np.testing.assert_array_equal(got[1], want_kind)
        for a, b in zip(got[2:], segmentation[:3]):
            np.testing.assert_array_equal(a, b)


def test_shapes_and_empty_batches(setup):
    model, rows, _ = setup
    table = random_table(rows, 4, seed=13)
    for words in (tf.constant([["the", ""], ["zebra", "unaffable"]]), tf.constant([], tf.string),
                  tf.zeros([2, 0], tf.string)):
        got = _ops.tf_dynemb_lookup_with_rows(words=words, table=table, model=model)
        assert got[0].shape == words.shape + [4] and got[1].shape == words.shape
        assert got[2].shape == got[3].shape == got[4].shape


def test_bad_table_is_invalid_argument(setup):
    model, rows, words = setup
    with pytest.raises(tf.errors.InvalidArgumentError, match=f"needs V = .* = {rows} rows"):
        _ops.tf_dynemb_lookup_with_rows(words=words, table=tf.zeros([rows + 1, 2]),
                                        model=model)
    with pytest.raises(tf.errors.InvalidArgumentError):
        _ops.tf_dynemb_lookup_with_rows(words=words, table=tf.zeros([rows, 2]),
                                        model=tf.constant([1, 2, 3], tf.uint8))


@pytest.mark.parametrize("variable", [True, False])
def test_training_lookup_only_under_a_tape(setup, variable):
    model, rows, words = setup
    table = tf.Variable(random_table(rows, 8, seed=14))
    source = table if variable else tf.convert_to_tensor(table)

    @tf.function
    def train(w):
        with tf.GradientTape() as tape:
            tape.watch(source)
            loss = tf.reduce_sum(tf_dynemb.lookup(w, source, model) ** 2)
        return tape.gradient(loss, source)

    @tf.function
    def infer(w):
        return tf_dynemb.lookup(w, source, model)

    prefix = "TfDynembResource" if variable else "TfDynemb"
    assert dynemb_ops(train.get_concrete_function(words).graph) == [prefix + "LookupWithRows"]
    assert dynemb_ops(infer.get_concrete_function(words).graph) == [prefix + "Lookup"]


@pytest.mark.parametrize("combiner", ["mean", "sqrtn"])
def test_both_gradients_match_the_reference(setup, real_vocab, combiner):
    """The training lookup's gradient, and the inference lookups' (which
    segment again, for SavedModels that hold them), equal the reference's."""
    model, rows, words = setup
    table = tf.Variable(random_table(rows, 8, seed=15))
    upstream = tf.constant(np.random.default_rng(16).normal(size=(words.shape[0], 8)),
                           tf.float32)

    def grad(fn):
        with tf.GradientTape() as tape:
            tape.watch(table)
            loss = tf.reduce_sum(fn() * upstream)
        got = tape.gradient(loss, table)
        assert isinstance(got, tf.IndexedSlices)
        return tf.convert_to_tensor(got).numpy()

    words_list, pieces = real_vocab
    reference = stock_reference(words_list, pieces, 13)  # the setup's vocabulary, from its lists
    want = grad(lambda: reference(words, table, combiner))
    trained = grad(lambda: tf_dynemb.lookup(words, table, model, combiner))
    inferred = grad(lambda: _ops.tf_dynemb_resource_lookup(
        words=words, table=table.handle, model=model, dtype=tf.float32, combiner=combiner)[0])
    np.testing.assert_allclose(trained, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(inferred, want, rtol=1e-5, atol=1e-6)


def test_keras_train_step_segments_once():
    layer = DynamicEmbedding(8, vocabulary=["the", "a"], wordpiece_vocabulary=["un", "##seen"],
                             num_oov_buckets=5)
    inputs = keras.Input(shape=(3,), dtype="string")
    outputs = keras.layers.Dense(1)(keras.layers.Flatten()(layer(inputs)))
    model = keras.Model(inputs, outputs)
    model.compile(LazyAdam(), "mse")
    x, y = tf.constant([["the", "unseen", "zebra"]]), tf.ones([1, 1])
    model.fit(x, y, verbose=0)
    step = tf.function(lambda x, y: model.train_step((x, y)))
    assert dynemb_ops(step.get_concrete_function(x, y).graph) == [
        "TfDynembResourceLookupWithRows", "TfDynembSparseApplyLazyAdam"]
