"""CharCNNEncoder and HybridEmbedding."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from layer_test_helper import run_layer_test
from tf_dynemb.layers import CharCNNEncoder, DynamicEmbedding, HybridEmbedding

WORDS = tf.constant(["the", "zebra", "", "cat", "\xff".encode("latin-1"), "東京"])


def test_char_cnn_contract(tmp_path):
    run_layer_test(CharCNNEncoder, dict(output_dim=4, filters=8, max_chars=6), WORDS, (6, 4),
                   tmp_path)


def test_char_cnn_empty_word_is_zero_and_shapes_follow():
    encoder = CharCNNEncoder(4)
    out = encoder(tf.constant([["a", ""], ["", "bc"]]))
    assert out.shape == (2, 2, 4)
    np.testing.assert_array_equal(out[0, 1], np.zeros(4))
    with pytest.raises(ValueError, match="max_chars=0"):
        CharCNNEncoder(4, max_chars=0)


def _static():
    return DynamicEmbedding(4, vocabulary=["the", "cat"], num_oov_buckets=0, num_ngram_buckets=0)


def test_hybrid_contract(tmp_path):
    run_layer_test(HybridEmbedding, dict(static=_static(), dynamic=CharCNNEncoder(4, filters=8)),
                   WORDS, (6, 4), tmp_path)


class _CountingEncoder(keras.layers.Layer):
    """Records how many words each call encodes."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, words):
        self.seen.append(int(tf.size(words)))
        return tf.ones([tf.size(words), 4]) * 7.0


def test_without_composition_the_encoder_sees_only_oov_words():
    static = _static()
    hybrid = HybridEmbedding(static, _CountingEncoder(), compose_words=False)
    out = hybrid(tf.ragged.constant([["the", "zebra"], ["", "cat", "okapi"]])).flat_values.numpy()
    assert hybrid.dynamic.seen == [2]  # "zebra" and "okapi" only
    np.testing.assert_allclose(out[[1, 4]], 7.0)
    np.testing.assert_allclose(out[0], static(tf.constant(["the"]))[0])
    np.testing.assert_array_equal(out[2], np.zeros(4))


def test_composed_vocabulary_words_train_the_encoder_too():
    static = _static()
    hybrid = HybridEmbedding(static, _CountingEncoder())
    out = hybrid(tf.ragged.constant([["the", "zebra"], ["", "cat", "okapi"]])).flat_values.numpy()
    assert hybrid.dynamic.seen == [4]  # every non-empty word
    np.testing.assert_allclose(out[[1, 4]], 7.0)
    np.testing.assert_allclose(out[0], (static(tf.constant(["the"]))[0] + 7.0) / 2, rtol=1e-6)
    np.testing.assert_array_equal(out[2], np.zeros(4))


def test_configs_saved_before_composition_keep_their_meaning():
    config = HybridEmbedding(_static(), CharCNNEncoder(4)).get_config()
    del config["compose_words"]
    assert HybridEmbedding.from_config(config).compose_words is False


def test_batches_without_oov_words():
    hybrid = HybridEmbedding(_static(), CharCNNEncoder(4))
    assert hybrid(tf.constant(["the", "cat", ""])).shape == (3, 4)
    assert CharCNNEncoder(4)(tf.constant([], tf.string)).shape == (0, 4)


def test_hybrid_trains_both_parts():
    hybrid = HybridEmbedding(_static(), CharCNNEncoder(4, filters=8))
    inputs = keras.Input(shape=(), dtype="string")
    model = keras.Model(inputs, keras.layers.Dense(1)(hybrid(inputs)))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model(tf.constant(["the", "zebra"])) ** 2)
    grads = tape.gradient(loss, model.trainable_weights)
    assert all(g is not None for g in grads)
    assert isinstance(grads[0], tf.IndexedSlices)  # the static table
    with pytest.raises(TypeError, match="must be a DynamicEmbedding"):
        HybridEmbedding(CharCNNEncoder(4), CharCNNEncoder(4))


def test_the_encoder_sees_the_words_static_normalizes():
    static = DynamicEmbedding(4, vocabulary=["café"], num_oov_buckets=3, num_ngram_buckets=0,
                              compose_words=False, lowercase=True)
    hybrid = HybridEmbedding(static, CharCNNEncoder(4))
    out = hybrid(tf.constant(["CAFÉ", "café", "ZEBRA", "zebra"])).numpy()
    np.testing.assert_array_equal(out[0], out[1])  # a word of the vocabulary, composed
    np.testing.assert_array_equal(out[2], out[3])  # the encoder's alone
    assert np.abs(out[2]).sum() > 0
