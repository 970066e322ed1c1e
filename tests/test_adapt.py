"""`adapt()` on DynamicEmbedding and TextEmbedding: the vocabularies
`tf-dynemb learn-vocab` learns from the same text, from every kind of input,
and they travel with the layer; a built layer is refused."""

import os

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from cli_helper import run_cli
from tf_dynemb import sample_text
from tf_dynemb.layers import DynamicEmbedding, TextEmbedding, vocabulary_reference
from tf_dynemb.text import basic_tokenize
from tf_dynemb.vocabulary import load_vocabulary
from tf_dynemb.vocabulary_learning import TooManyWordsError

SMALL = dict(num_ngram_buckets=0, compose_words=False, num_oov_buckets=7)
LINES = sample_text.docstrings(("json", "csv")) + [
    "Ça déjà vu \u2014 \u00abNAÏVE\u00bb café, l'été! Über-naïve Œuvre.",
    "東京に行く 50% (más)"]
# a x5, b x3, c x3, d x1 (ties between b and c in byte order).
COUNTED = ["a", "c", "b", "a", "d", "c", "a", "b", "a", "c", "b", "a"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("text") / "corpus.txt"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("lowercase, strip_accents", [(True, False), (False, True)])
def test_same_vocabularies_as_learn_vocab(capsys, corpus, tmp_path, lowercase, strip_accents):
    flags = [] if lowercase else ["--nolowercase"]
    flags += ["--strip_accents"] if strip_accents else []
    status, _, err = run_cli(capsys, "learn-vocab", f"--corpus={corpus}", "--vocab_size=300",
                             "--words=150", "--min_word_count=3", f"--output_dir={tmp_path}",
                             "--counter=local", *flags)
    assert status == 0, err
    words = load_vocabulary(tmp_path / "vocabulary.txt")
    pieces = load_vocabulary(tmp_path / "wordpiece_vocabulary.txt")
    assert len(words) == 150 and 250 < len(pieces) <= 300

    text = TextEmbedding(8, lowercase=lowercase, strip_accents=strip_accents, **SMALL)
    text.adapt(LINES, max_tokens=150, min_frequency=3, wordpiece_vocabulary_size=300)
    assert text.get_vocabulary() == words
    assert text.get_wordpiece_vocabulary() == pieces

    # DynamicEmbedding takes words: the same words give the same vocabularies.
    tokenized = basic_tokenize(tf.constant(LINES), lowercase, strip_accents)
    embed = DynamicEmbedding(8, **SMALL)
    embed.adapt(tokenized, max_tokens=150, min_frequency=3, wordpiece_vocabulary_size=300)
    assert embed.get_vocabulary() == words
    assert embed.get_wordpiece_vocabulary() == pieces


def _generator():
    for start in range(0, len(COUNTED), 5):
        yield COUNTED[start:start + 5]


@pytest.mark.parametrize("make_data", [
    lambda: COUNTED,
    lambda: np.array(COUNTED),
    lambda: np.array(COUNTED, dtype=object).reshape(3, 4),
    lambda: tf.constant(COUNTED),
    lambda: tf.constant([w.encode() for w in COUNTED] + [b""] * 4),  # "" is padding
    lambda: tf.ragged.constant([COUNTED[:5], COUNTED[5:]]),
    lambda: tf.data.Dataset.from_tensor_slices(COUNTED).batch(5),
    lambda: tf.data.Dataset.from_tensor_slices(COUNTED),  # unbatched
    _generator,
], ids=["list", "numpy", "numpy_2d", "tensor", "padded", "ragged", "dataset", "unbatched",
        "generator"])
def test_every_input_type(make_data):
    embed = DynamicEmbedding(4, **SMALL)
    embed.adapt(make_data(), min_frequency=1, batch_size=None)
    assert embed.get_vocabulary() == ["a", "b", "c", "d"]


@pytest.mark.parametrize("kind", ["list", "numpy", "tensor", "dataset"])
def test_text_embedding_input_types(kind):
    sentences = ["The cat, the dog.", "the CAT"]
    data = {"list": sentences, "numpy": np.array(sentences)[:, np.newaxis],
            "tensor": tf.constant(sentences),
            "dataset": tf.data.Dataset.from_tensor_slices(sentences).batch(1)}[kind]
    layer = TextEmbedding(4, **SMALL)
    layer.adapt(data, min_frequency=2)
    assert layer.get_vocabulary() == ["the", "cat"]


@pytest.mark.parametrize("kwargs, words", [
    (dict(min_frequency=1), ["a", "b", "c", "d"]),
    (dict(), ["a", "b", "c"]),  # min_frequency=2 by default, as learn-vocab's
    (dict(min_frequency=4), ["a"]),
    (dict(max_tokens=2, min_frequency=1), ["a", "b"]),
    (dict(max_tokens=None, min_frequency=3), ["a", "b", "c"]),
    (dict(max_tokens=0), []),
])
def test_max_tokens_and_min_frequency(kwargs, words):
    embed = DynamicEmbedding(4, **SMALL)
    embed.adapt(COUNTED, **kwargs)
    assert embed.get_vocabulary() == words


def test_steps_and_batch_size():
    embed = DynamicEmbedding(4, **SMALL)
    embed.adapt(tf.data.Dataset.from_tensor_slices(COUNTED).batch(3), steps=1, min_frequency=1)
    assert embed.get_vocabulary() == ["a", "b", "c"]  # only the first batch: a, c, b
    embed = DynamicEmbedding(4, **SMALL)
    embed.adapt(COUNTED, batch_size=1, min_frequency=1)
    assert embed.get_vocabulary() == ["a", "b", "c", "d"]


def test_pieces_stay_unless_a_size_is_given():
    embed = DynamicEmbedding(4, wordpiece_vocabulary=["x", "##y"], **SMALL)
    embed.adapt(COUNTED)
    assert embed.get_vocabulary() == ["a", "b", "c"]
    assert embed.get_wordpiece_vocabulary() == ["x", "##y"]
    embed.adapt(COUNTED, wordpiece_vocabulary_size=10)  # not built yet: adapt again
    assert embed.get_wordpiece_vocabulary()[0] == "[UNK]"
    assert set(embed.get_wordpiece_vocabulary()) >= {"a", "b", "c", "d"}


@pytest.mark.parametrize("make_layer", [
    lambda: DynamicEmbedding(4, vocabulary=["a"], **SMALL),
    lambda: TextEmbedding(4, vocabulary=["a"], **SMALL),
], ids=["DynamicEmbedding", "TextEmbedding"])
def test_a_built_layer_is_refused(make_layer):
    layer = make_layer()
    layer(tf.constant(["a"]))
    with pytest.raises(ValueError, match=r"Cannot adapt layer .*: it is built.*8 rows.*before "
                                         r"the layer's first call"):
        layer.adapt(COUNTED)
    assert layer.get_vocabulary() == ["a"]


def test_a_layer_in_a_model_is_refused():
    layer = TextEmbedding(4, **SMALL)
    inputs = keras.Input(shape=(), dtype="string")
    keras.Model(inputs, layer(inputs))
    with pytest.raises(ValueError, match="it is built"):
        layer.adapt(["the cat"])


@pytest.mark.parametrize("data, kwargs, error, message", [
    ("the cat", {}, TypeError, "Received one string"),
    (["a"], dict(steps=1), ValueError, "Received: steps=1 with a list"),
    (tf.data.Dataset.from_tensor_slices(["a"]), dict(batch_size=2), ValueError,
     "Received: batch_size=2 with a"),
    (tf.data.Dataset.from_tensor_slices((["a"], [1])), {}, TypeError,
     r"dataset.map\(lambda x, y: x\)"),
    (tf.constant([1, 2]), {}, TypeError, "expected strings, got int32"),
    ([" a", " a"], {}, ValueError, "' a' has leading or trailing whitespace"),
    ([b"\xff"], {}, ValueError, "not valid UTF-8"),
    ([""], {}, ValueError, "found no words"),
    (["a"], dict(min_frequency=0), ValueError, "min_frequency=0"),
    (["a"], dict(max_tokens=-1), ValueError, "max_tokens=-1"),
    (["ab"] * 3, dict(wordpiece_vocabulary_size=2), ValueError,
     "wordpiece_vocabulary_size=2 is too small"),
])
def test_bad_data_and_arguments(data, kwargs, error, message):
    embed = DynamicEmbedding(4, vocabulary=["keep"], **SMALL)
    with pytest.raises(error, match=message):
        embed.adapt(data, **kwargs)
    assert embed.get_vocabulary() == ["keep"]  # unchanged


def test_the_distinct_word_bound():
    embed = DynamicEmbedding(4, vocabulary=["keep"], **SMALL)
    with pytest.raises(TooManyWordsError, match="more than 3 distinct words.*learn-vocab"):
        embed.adapt([f"w{i}" for i in range(10)], max_distinct_words=3, batch_size=2)
    assert embed.get_vocabulary() == ["keep"]
    embed.adapt([f"w{i}" for i in range(10)], max_distinct_words=10, min_frequency=1)
    assert len(embed.get_vocabulary()) == 10


def _classifier(layer):
    model = keras.Sequential([layer, keras.layers.Dense(1, activation="sigmoid")])
    model.compile(keras.optimizers.Adam(0.05), "binary_crossentropy")
    return model


SENTENCES = ["the cat sat", "a dog ran", "the cat ran", "a dog sat"] * 8
LABELS = np.array([[1], [0], [1], [0]] * 8, dtype="float32")


def test_a_model_trains_after_adapt():
    layer = TextEmbedding(8, **SMALL)
    layer.adapt(SENTENCES, wordpiece_vocabulary_size=40)
    # Each word occurs 16 times: ties in byte order.
    assert layer.get_vocabulary() == ["a", "cat", "dog", "ran", "sat", "the"]
    model = _classifier(layer)
    history = model.fit(tf.constant(SENTENCES), LABELS, epochs=20, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert layer.embedding.embeddings.shape == (
        len(layer.get_vocabulary()) + len(layer.get_wordpiece_vocabulary()) + 7, 8)


@pytest.mark.parametrize("inline_limit", [100_000, 3], ids=["inline", "asset"])
def test_save_and_load(tmp_path, monkeypatch, inline_limit):
    monkeypatch.setattr(vocabulary_reference, "INLINE_TOKEN_LIMIT", inline_limit)
    layer = TextEmbedding(8, **SMALL)
    layer.adapt(SENTENCES, wordpiece_vocabulary_size=40)
    words, pieces = layer.get_vocabulary(), layer.get_wordpiece_vocabulary()
    assert len(words) > 3 and len(pieces) > 3
    in_config = layer.get_config()["vocabulary"]
    assert vocabulary_reference.is_reference(in_config) == (inline_limit == 3)
    clone = TextEmbedding.from_config(layer.get_config())
    assert (clone.get_vocabulary(), clone.get_wordpiece_vocabulary()) == (words, pieces)

    model = _classifier(layer)
    model.fit(tf.constant(SENTENCES), LABELS, epochs=1, verbose=0)
    path = os.path.join(tmp_path, "adapted.keras")
    model.save(path)
    vocabulary_reference._LIVE.clear()  # as in a fresh process: only the file has them
    reloaded = keras.models.load_model(path)
    assert reloaded.layers[0].get_vocabulary() == words
    assert reloaded.layers[0].get_wordpiece_vocabulary() == pieces
    np.testing.assert_allclose(reloaded.predict(tf.constant(SENTENCES[:4]), verbose=0),
                               model.predict(tf.constant(SENTENCES[:4]), verbose=0), rtol=1e-6)


@pytest.mark.parametrize("make_data, where", [
    (lambda words: words, r"position \[2500\]"),
    (lambda words: np.array(words, dtype=object), r"position \[2500\]"),
    (lambda words: pd.Series(words, index=[f"row{i}" for i in range(len(words))]),
     r"position \[2500\] \(index 'row2500'\)"),
], ids=["list", "numpy", "pandas"])
def test_a_missing_value_is_named_at_its_position_in_the_data(make_data, where):
    words = ["a"] * 3000
    words[2500] = None  # in the second batch of 2048 rows
    embed = DynamicEmbedding(4, vocabulary=["keep"], **SMALL)
    with pytest.raises(ValueError, match=r"adapt\(\) expected strings, got a missing value .* at "
                                         + where):
        embed.adapt(make_data(words))
    assert embed.get_vocabulary() == ["keep"]
