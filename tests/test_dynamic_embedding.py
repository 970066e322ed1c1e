"""DynamicEmbedding: what keras.layers.Embedding users expect, from strings."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import tf_dynemb
from layer_test_helper import run_layer_test
from tf_dynemb.layers import DynamicEmbedding

WORDS = ["the", "cat", "sat"]
PIECES = ["un", "##seen", "##s", "[UNK]"]
# Small tables: 3 words, 4 pieces, 5 buckets and 11 n-gram buckets.
KWARGS = dict(output_dim=6, vocabulary=WORDS, wordpiece_vocabulary=PIECES, num_oov_buckets=5,
              num_ngram_buckets=11)


@pytest.mark.parametrize("use_custom_op", [True, False])
def test_layer_contract_on_words(tmp_path, use_custom_op):
    data = tf.constant(["the", "unseen", "zebra", "", "cats"])
    run_layer_test(DynamicEmbedding, dict(KWARGS, use_custom_op=use_custom_op), data, (5, 6),
                   tmp_path)


def test_layer_contract_on_sequences(tmp_path):
    data = tf.constant([["the", "cat", ""], ["unseen", "zebra", "sat"]])
    run_layer_test(DynamicEmbedding, dict(KWARGS, combiner="sqrtn"), data, (2, 3, 6), tmp_path)


def test_reference_and_custom_op_agree():
    fused = DynamicEmbedding(**KWARGS, embeddings_initializer="glorot_uniform")
    reference = DynamicEmbedding(**KWARGS, use_custom_op=False)
    words = tf.ragged.constant([["the", "unseen"], [], ["zebra", "", "cats"]])
    fused.build()
    reference.build()
    reference.embeddings.assign(fused.embeddings)
    np.testing.assert_allclose(fused(words).flat_values, reference(words).flat_values, rtol=1e-6)


def test_sparse_gradients_count_params_and_freezing():
    layer = DynamicEmbedding(**KWARGS)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(tf.constant(["the", "unseen"])))
    grad = tape.gradient(loss, layer.trainable_weights)[0]
    assert isinstance(grad, tf.IndexedSlices)
    assert layer.count_params() == (3 + 4 + 5 + 11) * 6
    frozen = DynamicEmbedding(**KWARGS, trainable=False)
    frozen.build()
    assert frozen.trainable_weights == [] and frozen.count_params() == (3 + 4 + 5 + 11) * 6


def test_shared_layer_shares_its_table():
    layer = DynamicEmbedding(**KWARGS)
    inputs = keras.Input(shape=(), dtype="string")
    first = keras.Model(inputs, keras.layers.Dense(2)(layer(inputs)))
    second = keras.Model(inputs, keras.layers.Dense(3)(layer(inputs)))
    assert first.layers[1].embeddings is second.layers[1].embeddings


def test_mask_empty_masks_padding():
    layer = DynamicEmbedding(**KWARGS, mask_empty=True)
    words = tf.constant([["the", "cat", ""], ["zebra", "", ""]])
    np.testing.assert_array_equal(layer.compute_mask(words), [[1, 1, 0], [1, 0, 0]])
    inputs = keras.Input(shape=(None,), dtype="string")
    pooled = keras.Model(inputs, keras.layers.GlobalAveragePooling1D()(layer(inputs)))
    vectors = layer(words)
    np.testing.assert_allclose(pooled(words)[1], vectors[1, 0], rtol=1e-6)
    assert DynamicEmbedding(**KWARGS).compute_mask(words) is None
    pooled.compile("sgd", "mse")
    pooled.fit(words, np.zeros((2, 6)), epochs=1, verbose=0)  # the mask in a training graph


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision(policy):
    layer = DynamicEmbedding(**KWARGS, dtype=policy)
    out = layer(tf.constant(["the", "unseen", "zebra"]))
    assert out.dtype == keras.mixed_precision.Policy(policy).compute_dtype
    assert layer.embeddings.dtype == "float32"


def test_vocabularies_from_files(tmp_path):
    (tmp_path / "words.txt").write_text("the\ncat\n")
    (tmp_path / "vocab.txt").write_text("[PAD]\n[UNK]\nun\n##seen\n")
    layer = DynamicEmbedding(4, vocabulary=str(tmp_path / "words.txt"),
                             wordpiece_vocabulary=str(tmp_path / "vocab.txt"), num_oov_buckets=0,
                             unknown_token="[UNK]", num_ngram_buckets=0)
    _, kind = tf_dynemb.lookup(["cat", "unseen", "zz"], tf.zeros([6, 4]), layer.vocabulary_model,
                               return_kind=True)
    assert kind.numpy().tolist() == [tf_dynemb.WORD, tf_dynemb.PIECES, tf_dynemb.UNKNOWN]
    (tmp_path / "dup.txt").write_text("a\nb\na\n")
    with pytest.raises(ValueError, match=r"dup.txt:3: token 'a' already appeared on line 1"):
        DynamicEmbedding(4, vocabulary=str(tmp_path / "dup.txt"))


def test_works_in_tf_data_and_sequential():
    layer = DynamicEmbedding(**KWARGS)
    model = keras.Sequential([keras.Input(shape=(), dtype="string"), layer, keras.layers.Dense(1)])
    model.compile("adam", "mse")
    data = tf.data.Dataset.from_tensor_slices((["the", "unseen", "zebra", ""], [[1.0]] * 4)).batch(2)
    history = model.fit(data, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


@pytest.mark.parametrize("kwargs, message", [
    (dict(output_dim=0), "output_dim=0"),
    (dict(output_dim=4, num_oov_buckets=-1), "num_oov_buckets=-1"),
    (dict(output_dim=4, combiner="max"), "combiner='max'"),
    (dict(output_dim=4, vocabulary=["a", "a"]), "1 repeated"),
])
def test_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DynamicEmbedding(**kwargs)


def test_other_backends_are_refused(monkeypatch):
    monkeypatch.setattr(keras.config, "backend", lambda: "jax")
    with pytest.raises(RuntimeError, match="Received: backend='jax'"):
        DynamicEmbedding(4)


def test_from_vectors_text_and_npy(tmp_path):
    (tmp_path / "w.vec").write_text("2 3\nthe 1 2 3\ncat 4 5 6\n")
    layer = DynamicEmbedding.from_vectors(str(tmp_path / "w.vec"), wordpiece_vocabulary=["un"],
                                          piece_vectors=[[7, 8, 9]], num_oov_buckets=2,
                                          num_ngram_buckets=0)
    np.testing.assert_allclose(layer(tf.constant(["cat", "the", "un"])),
                               [[4, 5, 6], [1, 2, 3], [7, 8, 9]])
    np.save(tmp_path / "w.npy", np.array([[1.0, 0.0], [0.0, 1.0]], np.float32))
    layer = DynamicEmbedding.from_vectors(str(tmp_path / "w.npy"), vocabulary=["a", "b"],
                                          num_oov_buckets=1)
    np.testing.assert_allclose(layer(tf.constant(["b"])), [[0.0, 1.0]])
    with pytest.raises(ValueError, match="expected \\[3, D\\] for the 3 words"):
        DynamicEmbedding.from_vectors(str(tmp_path / "w.npy"), vocabulary=["a", "b", "c"])
    (tmp_path / "bad.vec").write_text("the 1 2\ncat 3\n")
    with pytest.raises(ValueError, match="bad.vec:2"):
        DynamicEmbedding.from_vectors(str(tmp_path / "bad.vec"))


def test_from_keras_hub_wordpiece_tokenizer():
    import keras_hub

    vocab = ["[PAD]", "[UNK]", "un", "##seen", "the"]
    tokenizer = keras_hub.tokenizers.WordPieceTokenizer(vocabulary=vocab)
    matrix = np.arange(5 * 2, dtype=np.float32).reshape(5, 2)
    layer = DynamicEmbedding.from_keras_hub(tokenizer, matrix, num_oov_buckets=0)
    assert layer.unknown_token == "[UNK]"
    got = layer(tf.constant(["unseen", "the", "qqq"])).numpy()
    np.testing.assert_allclose(got, [(matrix[2] + matrix[3]) / 2, matrix[4], matrix[1]])


def test_buckets_only_layer_survives_saving(tmp_path):
    layer = DynamicEmbedding(3, num_oov_buckets=4)
    inputs = keras.Input(shape=(), dtype="string")
    model = keras.Model(inputs, layer(inputs))
    words = tf.constant(["any", "word", ""])
    model.save(str(tmp_path / "b.keras"))
    reloaded = keras.models.load_model(str(tmp_path / "b.keras"))
    np.testing.assert_allclose(reloaded(words), model(words))
