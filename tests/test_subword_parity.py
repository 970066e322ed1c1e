"""Character n-grams and composed words: the fused op equals the stock-op
reference (built from the vocabulary lists, not from the op's buffer) in rows,
kinds, vectors and table gradients, float32 and float16."""

import numpy as np
import pytest
import tensorflow as tf

import tf_dynemb
from conftest import ADVERSARIAL_WORDS, random_table

MODES = {
    # name: (num_oov_buckets, num_ngram_buckets, min_n, max_n, compose_words, with pieces)
    "ngrams": (10, 97, 3, 6, False, True),
    "composed": (10, 97, 2, 5, True, True),
    "composed_no_pieces": (0, 53, 1, 3, True, False),
    "composed_no_ngrams": (10, 0, 3, 6, True, True),
    "wide_ngrams": (0, 7, 1, 16, True, True),
}


def _vocabulary(rng):
    alphabet = ["a", "b", "e", "é", "東", "\U0001f642", "."]

    def token(lo, hi):
        return "".join(rng.choice(alphabet, rng.integers(lo, hi + 1)))

    words = sorted({token(1, 5) for _ in range(30)})
    pieces = sorted({token(1, 2) for _ in range(20)} | {"##" + token(1, 2) for _ in range(20)})
    return words, pieces


def _setup(mode, seed, max_bytes=12):
    buckets, ngram_buckets, min_n, max_n, compose, with_pieces = MODES[mode]
    rng = np.random.default_rng(seed)
    words, pieces = _vocabulary(rng)
    pieces = pieces if with_pieces else []
    config = tf_dynemb.VocabularyConfig(
        words=tuple(w.encode() for w in words), pieces=tuple(p.encode() for p in pieces),
        num_oov_buckets=buckets, suffix_indicator="##", max_bytes_per_word=max_bytes,
        unknown_token=None, num_ngram_buckets=ngram_buckets, min_n=min_n, max_n=max_n,
        compose_words=compose)
    model = tf_dynemb.build_model(
        words, pieces, buckets, max_bytes_per_word=max_bytes, num_ngram_buckets=ngram_buckets,
        min_n=min_n, max_n=max_n, compose_words=compose)
    alphabet = [b"a", b"b", b"e", "é".encode(), b"\xff", b"\x80", b"\x00", "東".encode()]
    batch = [b"".join(rng.choice(alphabet, rng.integers(0, 9))) for _ in range(300)]
    batch += [w.encode() for w in words] + [b"x" * max_bytes, b"x" * (max_bytes + 1)]
    batch += ADVERSARIAL_WORDS[:19]
    return config, model, tf.constant(batch)


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("combiner", ["mean", "sum", "sqrtn"])
def test_rows_kinds_and_vectors(mode, combiner):
    config, model, batch = _setup(mode, seed=len(mode))
    reference = tf_dynemb.ReferenceLookup(config)
    row_ids, _, row_word, kind = tf_dynemb.segment(batch, model)
    want_rows, want_kind = reference.rows(batch)
    np.testing.assert_array_equal(kind.numpy(), want_kind.numpy())
    np.testing.assert_array_equal(row_ids.numpy(), want_rows.flat_values.numpy())
    np.testing.assert_array_equal(row_word.numpy(), want_rows.value_rowids().numpy())
    for dtype, tolerance in ((tf.float32, 1e-6), (tf.float16, 1e-3)):
        table = tf.cast(random_table(config.num_rows, 8, seed=3), dtype)
        got, got_kind = tf_dynemb.lookup(batch, table, model, combiner, return_kind=True)
        want = reference(batch, table, combiner)
        np.testing.assert_array_equal(got_kind.numpy(), want_kind.numpy())
        np.testing.assert_allclose(got.numpy().astype(np.float32),
                                   want.numpy().astype(np.float32),
                                   rtol=tolerance, atol=tolerance)
    kinds = set(want_kind.numpy().tolist())
    if config.num_ngram_buckets:
        assert tf_dynemb.NGRAMS in kinds or not config.pieces


@pytest.mark.parametrize("mode", ["ngrams", "composed"])
@pytest.mark.parametrize("dtype", [tf.float32, tf.float16])
def test_gradient_values(mode, dtype):
    config, model, batch = _setup(mode, seed=7)
    reference = tf_dynemb.ReferenceLookup(config)
    table = tf.Variable(tf.cast(random_table(config.num_rows, 4, seed=5), dtype))
    upstream = tf.cast(tf.random.stateless_normal([batch.shape[0], 4], seed=[1, 2]), dtype)
    gradients = []
    for lookup in (lambda: tf_dynemb.lookup(batch, table, model),
                   lambda: reference(batch, table)):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(lookup() * upstream)
        gradient = tape.gradient(loss, table)
        gradients.append(tf.convert_to_tensor(gradient).numpy().astype(np.float32))
    fused = tape_gradient_type(batch, table, model)
    assert fused is tf.IndexedSlices
    tolerance = 1e-5 if dtype == tf.float32 else 2e-2
    np.testing.assert_allclose(gradients[0], gradients[1], rtol=tolerance, atol=tolerance)


def tape_gradient_type(batch, table, model):
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf_dynemb.lookup(batch, table, model))
    return type(tape.gradient(loss, table))


def test_composed_word_pools_its_own_row_and_subwords():
    model = tf_dynemb.build_model(["ab"], [], 0, num_ngram_buckets=5, min_n=2, max_n=2,
                                  compose_words=True)
    table = tf.constant(np.arange(6, dtype=np.float32)[:, None] * np.float32([1, 10]))
    vector, kind = tf_dynemb.lookup(tf.constant(["ab"]), table, model, "sum", return_kind=True)
    # "<ab>" has the 2-grams "<a", "ab", "b>": the word row 0 plus three n-gram rows.
    ngram_rows = 1 + tf.strings.to_hash_bucket_fast(["<a", "ab", "b>"], 5).numpy()
    want = table.numpy()[0] + table.numpy()[ngram_rows].sum(axis=0)
    assert kind.numpy().tolist() == [tf_dynemb.WORD]
    np.testing.assert_allclose(vector.numpy()[0], want)
