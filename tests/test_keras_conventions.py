"""The layers behave as Keras users expect of StringLookup and Embedding:
configs and clones keep the vocabularies, XLA falls back, Sequential takes
strings, sentence shapes, and argument errors at construction."""

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf_dynemb.layers import CharCNNEncoder, DynamicEmbedding, HybridEmbedding, TextEmbedding
from tf_dynemb.layers import vocabulary_reference

WORDS = ["the", "cat", "sat", "on", "mat"]
PIECES = ["un", "##seen", "##s", "[UNK]"]
KWARGS = dict(output_dim=4, vocabulary=WORDS, wordpiece_vocabulary=PIECES, num_oov_buckets=3,
              num_ngram_buckets=0)
BATCH = tf.constant(["the", "unseen", "zebra", "", "cats"])


def _model(layer):
    inputs = keras.Input(shape=(), dtype="string")
    return keras.Model(inputs, keras.layers.Dense(2)(layer(inputs)))


def _same_layer(original, rebuilt, data=BATCH):
    """Same config, table shape and outputs once the weights are copied."""
    assert rebuilt.get_config() == original.get_config()
    if not rebuilt.built:
        rebuilt.build()
    assert rebuilt.get_weights()[0].shape == original.get_weights()[0].shape
    rebuilt.set_weights(original.get_weights())
    np.testing.assert_array_equal(rebuilt(data), original(data))


def test_from_config_keeps_the_vocabularies():
    layer = DynamicEmbedding(**KWARGS)
    layer.build()
    config = layer.get_config()
    assert config["vocabulary"] == WORDS and config["wordpiece_vocabulary"] == PIECES
    _same_layer(layer, DynamicEmbedding.from_config(config))


def test_clone_model_keeps_the_vocabularies():
    model = _model(DynamicEmbedding(**KWARGS))
    clone = keras.models.clone_model(model)
    assert clone.layers[1].get_weights()[0].shape == (5 + 4 + 3, 4)
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(clone(BATCH), model(BATCH))


def test_text_and_hybrid_layers_clone(tmp_path):
    text = TextEmbedding(**KWARGS)
    text.build()
    _same_layer(text, TextEmbedding.from_config(text.get_config()),
                tf.constant(["The cat sat.", "unseen mats"]))
    hybrid = HybridEmbedding(DynamicEmbedding(4, vocabulary=WORDS, num_oov_buckets=0),
                             CharCNNEncoder(4, filters=8))
    model = _model(hybrid)
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone(BATCH), model(BATCH), rtol=1e-6)


@pytest.fixture
def small_inline_limit(monkeypatch):
    """Vocabularies above 3 tokens travel as references."""
    monkeypatch.setattr(vocabulary_reference, "INLINE_TOKEN_LIMIT", 3)


def test_large_vocabularies_travel_as_references(small_inline_limit, tmp_path):
    layer = DynamicEmbedding(**KWARGS)
    layer.build()
    config = layer.get_config()
    reference = config["vocabulary"]
    assert reference["size"] == 5 and len(reference["sha256"]) == 64
    assert config["wordpiece_vocabulary"]["size"] == 4
    # In this process a live layer resolves it: from_config and clone_model.
    _same_layer(layer, DynamicEmbedding.from_config(config))
    clone = keras.models.clone_model(_model(layer))
    assert clone.layers[1].get_vocabulary() == WORDS
    # A .keras file carries such vocabularies as assets.
    model = _model(layer)
    path = str(tmp_path / "m.keras")
    model.save(path)
    vocabulary_reference._LIVE.clear()  # As in another process: only the assets have them.
    reloaded = keras.models.load_model(path)
    assert reloaded.layers[1].get_vocabulary() == WORDS
    assert reloaded.layers[1].get_wordpiece_vocabulary() == PIECES


def test_reference_to_a_file_resolves_elsewhere(small_inline_limit, tmp_path):
    words_file = tmp_path / "words.txt"
    words_file.write_text("".join(w + "\n" for w in WORDS))
    config = DynamicEmbedding(4, vocabulary=str(words_file), num_oov_buckets=2,
                              num_ngram_buckets=0).get_config()
    assert config["vocabulary"]["path"] == str(words_file)
    vocabulary_reference._LIVE.clear()  # As in another process.
    assert DynamicEmbedding.from_config(config).get_vocabulary() == WORDS
    words_file.write_text("other\nwords\nnow\nin\nfile\n")  # The file changed: not the same.
    orphan = DynamicEmbedding.from_config(config)
    assert orphan.vocabulary_size() == 5 + 2  # Sizes are known; the tokens are not.
    with pytest.raises(ValueError, match="could not be resolved"):
        orphan.get_vocabulary()


def test_vocabulary_accessors():
    layer = DynamicEmbedding(**KWARGS)
    assert layer.get_vocabulary() == WORDS
    assert layer.get_wordpiece_vocabulary() == PIECES
    assert layer.vocabulary_size() == 12
    text = TextEmbedding(**KWARGS)
    assert text.get_vocabulary() == WORDS and text.vocabulary_size() == 12
    assert text.get_wordpiece_vocabulary() == PIECES


def test_use_custom_op_switches_on_a_built_layer():
    layer = DynamicEmbedding(**KWARGS)
    fused = layer(BATCH).numpy()
    layer.use_custom_op = False
    assert layer.get_config()["use_custom_op"] is False
    np.testing.assert_allclose(layer(BATCH), fused, rtol=1e-6)
    with pytest.raises(TypeError, match="use_custom_op"):
        layer.use_custom_op = "no"


@pytest.mark.parametrize("jit_compile", [True, "auto"])
def test_xla_falls_back_as_for_string_lookup(jit_compile):
    model = _model(DynamicEmbedding(**KWARGS))
    assert not model.layers[1].supports_jit
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.compile("sgd", "mse", jit_compile=jit_compile)
    assert model.jit_compile is False
    if jit_compile is True:
        assert any("jit_compile" in str(w.message) for w in caught)
    history = model.fit(BATCH, np.ones((5, 2)), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.parametrize("first", [
    lambda: DynamicEmbedding(**KWARGS),
    lambda: TextEmbedding(**KWARGS),
    lambda: HybridEmbedding(DynamicEmbedding(4, vocabulary=WORDS, num_oov_buckets=0),
                            CharCNNEncoder(4, filters=8)),
])
def test_sequential_without_input_takes_strings(first):
    model = keras.Sequential([first(), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(BATCH, np.ones((5, 1)), epochs=1, verbose=0)
    assert model.predict(BATCH, verbose=0).shape == (5, 1)
    assert model.layers[0].compute_dtype == "float32"  # Built: the policy's dtype.


@pytest.mark.parametrize("mode", ["mean", "max", "sum", "sequence"])
def test_text_embedding_squeezes_a_trailing_one(mode):
    sentences = tf.constant(["The cat sat.", "", "unseen mats"])
    layer = TextEmbedding(**KWARGS, output_mode=mode)
    flat = layer(sentences).numpy()
    np.testing.assert_array_equal(layer(sentences[:, tf.newaxis]), flat)
    inputs = keras.Input(shape=(1,), dtype="string")
    model = keras.Model(inputs, layer(inputs))
    assert len(model.output_shape) == flat.ndim and model.output_shape[-1] == flat.shape[-1]
    target = np.zeros(flat.shape, np.float32)
    model.compile("sgd", "mse")
    model.fit(sentences[:, tf.newaxis], target, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"\[batch\] or \[batch, 1\]. Received: shape=\(3, 2\)"):
        layer(tf.constant([["a", "b"]] * 3))
    with pytest.raises(ValueError, match=r"Received: shape=\(None, 2\)"):
        layer(keras.Input(shape=(2,), dtype="string"))


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(output_dim=4, vocabulary=["a", ""]), ValueError, "must not contain the empty string"),
    (dict(output_dim=4, wordpiece_vocabulary=["a"], suffix_indicator=""), ValueError,
     "suffix_indicator=''"),
    (dict(output_dim=4, wordpiece_vocabulary=["a"], num_oov_buckets=0, unknown_token="[UNK]"),
     ValueError, "unknown_token='\\[UNK\\]'"),
    (dict(output_dim=8, num_oov_buckets=0), ValueError, "no rows"),
    (dict(output_dim=4, num_oov_buckets=3.7), TypeError, "num_oov_buckets=3.7"),
    (dict(output_dim=True), TypeError, "output_dim=True"),
    (dict(output_dim=4, max_bytes_per_word=0), ValueError, "max_bytes_per_word=0"),
    (dict(output_dim=4, mask_empty="yes"), TypeError, "mask_empty='yes'"),
    (dict(output_dim=4, vocabulary=["a", 3]), TypeError, "vocabulary\\[1\\]=3"),
])
def test_argument_errors_at_construction(kwargs, error, message):
    with pytest.raises(error, match=message) as raised:
        DynamicEmbedding(**kwargs)
    assert "function_node" not in str(raised.value)


def test_hybrid_widths_must_match_at_construction():
    static = DynamicEmbedding(4, vocabulary=WORDS, num_oov_buckets=0)
    with pytest.raises(ValueError, match=r"\[n, 4\] vectors.*gives shape \(None, 6\)"):
        HybridEmbedding(static, CharCNNEncoder(6))
