"""The data people pass: Python lists, numpy and pandas arrays of strings work
in the layers' calls and in `predict`, `fit` and `evaluate` as a
`tf.constant` does; what is not strings fails with one line that says what
was received and what to pass."""

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

import tf_dynemb
from tf_dynemb.layers import DynamicEmbedding, TextEmbedding

WORDS = ["the", "zebra", "cat", ""]

# Each kind of data a user may pass for WORDS.
AS = {
    "list of str": lambda w: list(w),
    "list of bytes": lambda w: [s.encode() for s in w],
    "list of str and bytes": lambda w: [s.encode() if i % 2 else s for i, s in enumerate(w)],
    "tuple of str": lambda w: tuple(w),
    "numpy <U": lambda w: np.array(w),
    "numpy S": lambda w: np.array([s.encode() for s in w]),
    "numpy object": lambda w: np.array(w, dtype=object),
    "pandas Series": lambda w: pd.Series(w),
    "pandas object Series": lambda w: pd.Series(w, dtype=object),
}


def small_embedding(**kwargs):
    return DynamicEmbedding(4, vocabulary=["the", "cat"], num_oov_buckets=2,
                            num_ngram_buckets=0, compose_words=False, **kwargs)


@pytest.fixture(scope="module")
def word_model():
    inputs = keras.Input(shape=(), dtype="string", name="words")
    model = keras.Model(inputs, keras.layers.Dense(1)(small_embedding()(inputs)))
    model.compile("sgd", "mse")
    return model


def one_line(error_info):
    message = str(error_info.value)
    assert "\n" not in message, message
    return message


@pytest.mark.parametrize("kind", AS)
def test_layer_call_takes_each_kind(kind):
    layer = small_embedding()
    expected = layer(tf.constant(WORDS)).numpy()
    np.testing.assert_array_equal(layer(AS[kind](WORDS)).numpy(), expected)


@pytest.mark.parametrize("kind", AS)
def test_predict_evaluate_fit_take_each_kind(word_model, kind):
    x, y = AS[kind](WORDS), np.ones((len(WORDS), 1), "float32")
    np.testing.assert_allclose(word_model.predict(x, verbose=0),
                               word_model.predict(tf.constant(WORDS), verbose=0))
    assert word_model.evaluate(x, y, verbose=0) == pytest.approx(
        word_model.evaluate(tf.constant(WORDS), y, verbose=0))
    loss = word_model.fit(x, y, batch_size=2, verbose=0).history["loss"]
    assert len(loss) == 1 and np.isfinite(loss[0])


def test_lists_of_numbers_as_targets_and_validation_data(word_model):
    history = word_model.fit(["the", "cat"], [[1.0], [0.0]], verbose=0,
                             validation_data=(["zebra"], [[1.0]]), sample_weight=[1.0, 2.0])
    assert np.isfinite(history.history["val_loss"][0])


def test_several_inputs_as_a_tuple_or_a_dict_of_lists():
    first, second = keras.Input(shape=(), dtype="string"), keras.Input(shape=(), dtype="string")
    embed = small_embedding()
    model = keras.Model({"first": first, "second": second},
                        keras.layers.Add()([embed(first), embed(second)]))
    expected = embed(tf.constant(["the", "cat"])) + embed(tf.constant(["zebra", ""]))
    np.testing.assert_allclose(
        model.predict({"first": ["the", "cat"], "second": np.array(["zebra", ""])}, verbose=0),
        expected.numpy())
    model = keras.Model([first, second], keras.layers.Add()([embed(first), embed(second)]))
    np.testing.assert_allclose(model.predict((["the", "cat"], ["zebra", ""]), verbose=0),
                               expected.numpy())


def test_text_embedding_takes_sentences_as_a_list():
    inputs = keras.Input(shape=(), dtype="string")
    text = TextEmbedding(4, vocabulary=["the", "cat"], num_oov_buckets=2, num_ngram_buckets=0,
                         compose_words=False)
    model = keras.Model(inputs, text(inputs))
    sentences = ["The cat sat.", "zebra"]
    expected = text(tf.constant(sentences)).numpy()
    np.testing.assert_allclose(text(sentences).numpy(), expected)
    np.testing.assert_allclose(model.predict(pd.Series(sentences), verbose=0), expected)
    np.testing.assert_allclose(text(np.array(sentences)[:, None]).numpy(), expected)


def test_sequential_fit_on_a_list():
    model = keras.Sequential([small_embedding(), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(["the", "zebra"], [[1.0], [0.0]], verbose=0)
    assert model.predict(["cat"], verbose=0).shape == (1, 1)


def test_nested_lists_are_two_dimensional_or_ragged():
    layer = small_embedding()
    grid = [["the", "cat"], ["zebra", ""]]
    np.testing.assert_array_equal(layer(grid).numpy(), layer(tf.constant(grid)).numpy())
    ragged = tf_dynemb.string_inputs([["the", "cat"], ["zebra"]])
    assert isinstance(ragged, tf.RaggedTensor) and ragged.shape.as_list() == [2, None]
    assert layer(ragged).shape.as_list() == [2, None, 4]
    inputs = keras.Input(shape=(2,), dtype="string")
    pooled = keras.layers.GlobalAveragePooling1D()(small_embedding()(inputs))
    model = keras.Model(inputs, pooled)
    assert model.predict(grid, verbose=0).shape == (2, 4)


def test_string_inputs_helper():
    words = tf_dynemb.string_inputs(pd.Series(["the", b"cat"]))
    assert words.dtype == tf.string and words.numpy().tolist() == [b"the", b"cat"]
    assert tf_dynemb.string_inputs("zebra").shape == ()
    same = tf.constant(["a"])
    assert tf_dynemb.string_inputs(same) is same
    with pytest.raises(TypeError, match=r"string_inputs expected strings, got set: pass a list") \
            as error:
        tf_dynemb.string_inputs({"the"})
    one_line(error)


def test_numbers_name_the_layer_at_call_and_trace():
    layer = small_embedding(name="words_in")
    message = r"DynamicEmbedding 'words_in' expected strings, got int32 \(shape \(2,\)\): pass"
    with pytest.raises(TypeError, match=message) as error:
        layer(tf.constant([1, 2]))
    one_line(error)
    with pytest.raises(TypeError, match=message):
        tf.function(layer)(tf.constant([1, 2]))
    with pytest.raises(TypeError, match="DynamicEmbedding 'words_in' expected strings, got int64"):
        layer(np.array([1, 2]))
    with pytest.raises(TypeError, match=r"expected strings, got int32 \(shape \(None,\)\)"):
        layer(keras.Input(shape=(), dtype="int32"))


@pytest.mark.parametrize("method", ["predict", "evaluate", "fit"])
def test_numbers_in_a_model_fail_with_one_line(word_model, method):
    run = getattr(word_model, method)
    data = (tf.constant([1, 2]),) if method == "predict" else (tf.constant([1, 2]), [[1.0], [0.0]])
    with pytest.raises(TypeError, match=r"Input 'words' of model '.*' expected strings, got int32"
                                        r" \(shape \((2|None),\)\): pass a list of str") as error:
        run(*data, verbose=0)
    one_line(error)


@pytest.mark.parametrize("data, position", [
    (np.array(["the", None], dtype=object), r"missing value \(None\) at position \[1\]"),
    (pd.Series(["the", np.nan], index=["a", "b"]),
     r"missing value \(nan\) at position \[1\] \(index 'b'\)"),
    ([["the", "cat"], [None, "a"]], r"missing value \(None\) at position \[1, 0\]"),
])
def test_missing_values_are_refused_with_their_position(word_model, data, position):
    with pytest.raises(ValueError, match="DynamicEmbedding .* expected strings, got a " + position
                                         + r': replace missing values first \(\"\" is padding\)') \
            as error:
        small_embedding()(data)
    one_line(error)
    with pytest.raises(ValueError, match="`x` expected strings, got a " + position) as error:
        word_model.predict(data, verbose=0)
    one_line(error)


def test_mixed_types_are_refused_with_their_position(word_model):
    match = r"expected strings, got int \(1\) at position \[1\]: pass only str or bytes"
    for run in (small_embedding(), lambda x: word_model.predict(x, verbose=0)):
        with pytest.raises(TypeError, match=match) as error:
            run(["the", 1])
        one_line(error)
    with pytest.raises(TypeError, match=r"got float \(2\.5\) at position \[0, 1\] \(index 0, "
                                        r"column 'b'\)"):
        tf_dynemb.string_inputs(pd.DataFrame({"a": ["x"], "b": [2.5]}, dtype=object))
