"""TextEmbedding: basic tokenization, then pooled or sequence word vectors."""

import numpy as np
import pytest
import tensorflow as tf

from layer_test_helper import run_layer_test
from tf_dynemb.layers import DynamicEmbedding, TextEmbedding
from tf_dynemb.text import basic_tokenize

KWARGS = dict(output_dim=5, vocabulary=["the", "cat", "café"],
              wordpiece_vocabulary=["un", "##seen"], num_oov_buckets=4)
SENTENCES = tf.constant(["The cat, unseen!", "", "東京 café"])


def test_basic_tokenization():
    words = basic_tokenize(tf.constant(["The Cat, un-seen!", "東京タワー Café"]))
    assert words.to_list() == [[b"the", b"cat", b",", b"un", b"-", b"seen", b"!"],
                               [b"\xe6\x9d\xb1", b"\xe4\xba\xac",
                                "タワー".encode(), "café".encode()]]
    stripped = basic_tokenize(tf.constant(["Café"]), strip_accents=True)
    assert stripped.to_list() == [[b"cafe"]]


@pytest.mark.parametrize("mode", ["mean", "max", "sum"])
def test_pooled_layer_contract(tmp_path, mode):
    run_layer_test(TextEmbedding, dict(KWARGS, output_mode=mode), SENTENCES, (3, 5), tmp_path)


def test_sequence_mode_pads_and_masks(tmp_path):
    layer = run_layer_test(TextEmbedding, dict(KWARGS, output_mode="sequence"), SENTENCES,
                           (3, 5, 5), tmp_path)
    mask = layer.compute_mask(SENTENCES).numpy()
    np.testing.assert_array_equal(mask.sum(axis=1), [5, 0, 3])
    ragged = TextEmbedding(**KWARGS, output_mode="sequence", ragged=True)(SENTENCES)
    assert isinstance(ragged, tf.RaggedTensor) and ragged.row_lengths().numpy().tolist() == [5, 0, 3]


def test_pooling_matches_the_word_vectors():
    layer = TextEmbedding(**KWARGS, output_mode="sequence", ragged=True)
    words = layer(SENTENCES)
    for mode, reduce in (("mean", np.mean), ("max", np.max), ("sum", np.sum)):
        pooled = TextEmbedding(**KWARGS, output_mode=mode)
        pooled.build()
        pooled.embedding.embeddings.assign(layer.embedding.embeddings)
        got = pooled(SENTENCES).numpy()
        np.testing.assert_allclose(got[0], reduce(words[0].numpy(), axis=0), rtol=1e-6)
        np.testing.assert_array_equal(got[1], np.zeros(5))  # no words


def test_argument_errors():
    with pytest.raises(ValueError, match="output_mode='median'"):
        TextEmbedding(4, output_mode="median")
    with pytest.raises(ValueError, match="needs output_mode='sequence'"):
        TextEmbedding(4, ragged=True)
    assert isinstance(TextEmbedding(4).embedding, DynamicEmbedding)
