"""The fused op equals the stock-op reference (ReferenceLookup built from the
same vocabulary lists, not from the op's buffer): rows, kinds and vectors."""

import numpy as np
import pytest
import tensorflow as tf

import tf_dynemb
from conftest import ADVERSARIAL_WORDS, random_table, stock_reference

COMBINERS = ("mean", "sum", "sqrtn")


def both_paths(words=(), pieces=(), num_oov_buckets=0, **kwargs):
    """(model, reference): each path built on its own from the same lists."""
    return (tf_dynemb.build_model(words, pieces, num_oov_buckets, **kwargs),
            stock_reference(words, pieces, num_oov_buckets, **kwargs))


def assert_same_lookup(words, table, paths, combiner):
    model, reference = paths
    got, got_kind = tf_dynemb.lookup(words, table, model, combiner, return_kind=True)
    want, want_kind = reference(words, table, combiner, return_kind=True)
    if isinstance(words, tf.RaggedTensor):
        np.testing.assert_array_equal(got.row_splits, want.row_splits)
        got, want = got.flat_values, want.flat_values
        got_kind, want_kind = got_kind.flat_values, want_kind.flat_values
    np.testing.assert_array_equal(got_kind.numpy(), want_kind.numpy())
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-6)
    return got_kind.numpy()


def assert_same_rows(words, paths):
    model, reference = paths
    flat = tf.reshape(words, [-1])
    row_ids, _, row_word, kind = tf_dynemb.segment(flat, model)
    ref_rows, ref_kind = reference.rows(flat)
    np.testing.assert_array_equal(kind.numpy(), ref_kind.numpy())
    np.testing.assert_array_equal(row_ids.numpy(), ref_rows.flat_values.numpy())
    np.testing.assert_array_equal(row_word.numpy(), ref_rows.value_rowids().numpy())


@pytest.mark.parametrize("buckets", [0, 37])
@pytest.mark.parametrize("combiner", COMBINERS)
def test_real_text(real_vocab, corpus_words, buckets, combiner):
    words, pieces = real_vocab
    paths = both_paths(words, pieces, buckets, unknown_token="[UNK]")
    table = random_table(len(words) + len(pieces) + buckets, 16, seed=1)
    rng = np.random.default_rng(2)
    sample = [w.encode() for w in rng.choice(corpus_words, 3000)]
    # Capitalised and unseen forms exercise pieces, buckets and the unknown row.
    sample += [w.capitalize() for w in sample[:300]] + [w + b"zq" for w in sample[:300]]
    batch = tf.constant(sample + ADVERSARIAL_WORDS)
    found = assert_same_lookup(batch, table, paths, combiner)
    assert_same_rows(batch, paths)
    expected = {tf_dynemb.PAD, tf_dynemb.WORD, tf_dynemb.PIECES,
                tf_dynemb.BUCKET if buckets else tf_dynemb.UNKNOWN}
    assert expected <= set(found.tolist())


def _random_vocab(rng):
    alphabet = ["a", "b", "e", "#", "é", "東", "\U0001f642", " ", "."]
    def token(lo, hi):
        return "".join(rng.choice(alphabet, rng.integers(lo, hi + 1)))
    words = sorted({token(1, 4) for _ in range(rng.integers(0, 15))})
    pieces = {token(1, 3) for _ in range(rng.integers(0, 25))}
    pieces |= {"##" + token(1, 3) for _ in range(rng.integers(0, 25))}
    pieces |= {p for p in ("#", "##", "###") if rng.random() < 0.3}
    return words, sorted(pieces)


@pytest.mark.parametrize("seed", range(40))
def test_random_vocabularies(seed):
    rng = np.random.default_rng(seed)
    words, pieces = _random_vocab(rng)
    buckets = int(rng.choice([0, 1, 5]))
    unknown = pieces[0] if (pieces and buckets == 0 and rng.random() < 0.5) else None
    max_bytes = int(rng.choice([3, 8, 100]))
    paths = both_paths(words, pieces, buckets, max_bytes_per_word=max_bytes,
                       unknown_token=unknown)
    alphabet = [b"a", b"b", b"e", b"#", "é".encode(), b"\xff", b"\x00", "東".encode()]
    batch = [b"".join(rng.choice(alphabet, rng.integers(0, 7))) for _ in range(300)]
    batch += [w.encode() for w in words] + [p.encode() for p in pieces] + ADVERSARIAL_WORDS[:19]
    table = random_table(len(words) + len(pieces) + buckets, 5, seed=seed)
    batch = tf.constant(batch)
    assert_same_lookup(batch, table, paths, COMBINERS[seed % 3])
    assert_same_rows(batch, paths)


@pytest.fixture(scope="module")
def small_paths():
    return both_paths(["the", "cat"], ["un", "##aff", "##able", "sat"], 4)


@pytest.fixture(scope="module")
def small(small_paths):
    return small_paths[0], random_table(2 + 4 + 4, 3, seed=7)


@pytest.mark.parametrize("shape", [[], [1], [5], [0], [2, 3], [2, 0], [2, 2, 2]])
def test_shapes(small, small_paths, shape):
    model, table = small
    words = np.array(["the", "unaffable", "", "dog", "cat", "sat", "un", "x"], dtype=object)
    size = int(np.prod(shape))
    batch = tf.constant(np.resize(words, size).reshape(shape) if size else np.zeros(shape, object), tf.string)
    got = tf_dynemb.lookup(batch, table, model)
    assert got.shape == shape + [3]
    assert_same_lookup(batch, table, small_paths, "mean")


def test_ragged(small, small_paths):
    model, table = small
    batch = tf.ragged.constant([["the", "unaffable"], [], ["dog", "", "cat"]])
    got = tf_dynemb.lookup(batch, table, model)
    assert isinstance(got, tf.RaggedTensor) and got.shape.as_list() == [3, None, 3]
    assert_same_lookup(batch, table, small_paths, "sum")


def test_tf_function_unknown_batch(small):
    model, table = small

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.string)])
    def embed(words):
        out = tf_dynemb.lookup(words, table, model)
        assert out.shape.as_list() == [None, None, 3]
        return out

    batch = tf.constant([["the", "unaffable"], ["zzz", ""]])
    np.testing.assert_allclose(embed(batch), tf_dynemb.lookup(batch, table, model))


@pytest.mark.parametrize("dtype", [tf.float16, tf.bfloat16])
def test_low_precision_tables(small, small_paths, dtype):
    model, table = small
    table = tf.cast(table, dtype)
    batch = tf.constant(["the", "unaffable", "dog", "", "cat", "sat"])
    got = tf_dynemb.lookup(batch, table, model)
    want = small_paths[1](batch, table)
    assert got.dtype == dtype == want.dtype
    one_row = small_paths[1].rows(batch)[0].row_lengths().numpy() <= 1
    assert one_row.tolist() == [True, False, True, True, True, True]  # "unaffable": 3 pieces
    # A word of one row (a word, a bucket, a lone piece) is that row copied,
    # and padding zeros: bit for bit.
    got_bits = tf.bitcast(got, tf.uint16).numpy()
    np.testing.assert_array_equal(got_bits[one_row], tf.bitcast(want, tf.uint16).numpy()[one_row])
    # A split word is pooled in float32 and rounded once by each path: within
    # one unit in the last place of the table's dtype (8 bits of mantissa in
    # bfloat16, 11 in float16).
    ulp = {tf.float16: 2.0**-10, tf.bfloat16: 2.0**-7}[dtype]
    np.testing.assert_allclose(tf.cast(got, tf.float32)[~one_row],
                               tf.cast(want, tf.float32)[~one_row], rtol=ulp, atol=ulp)


@pytest.mark.parametrize("combiner", ["mean", "sum", "sqrtn"])
def test_float16_pooling_is_exact(combiner):
    """Split words in a float16 table: rows summed in float32 in order, scaled,
    rounded to nearest even, bit for bit (D = 19: 8-wide blocks and a tail)."""
    model = tf_dynemb.build_model(["the"], ["un", "##aff", "##able", "##a", "a"], 2)
    rng = np.random.default_rng(3)
    table = rng.normal(size=(1 + 5 + 2, 19)).astype(np.float16)
    words = ["unaffable", "una", "unaff", "aa", "the", "unaffable"]
    rows = {"unaffable": [1, 2, 3], "una": [1, 4], "unaff": [1, 2], "aa": [5, 4], "the": [0]}
    got = tf_dynemb.lookup(tf.constant(words), tf.constant(table), model, combiner=combiner)
    for w, vector in zip(words, got.numpy()):
        total = np.zeros(19, np.float32)
        for r in rows[w]:
            total += table[r].astype(np.float32)
        m = np.float32(len(rows[w]))
        weight = {"mean": np.float32(1) / m, "sum": np.float32(1),
                  "sqrtn": np.float32(1) / np.sqrt(m)}[combiner]
        np.testing.assert_array_equal(vector.view(np.uint16),
                                      (total * weight).astype(np.float16).view(np.uint16), w)


def test_kinds_of_the_contract(small):
    model, table = small
    _, kind = tf_dynemb.lookup(tf.constant(["", "cat", "unaffable", "dog"]), table, model,
                               return_kind=True)
    assert kind.numpy().tolist() == [tf_dynemb.PAD, tf_dynemb.WORD, tf_dynemb.PIECES,
                                     tf_dynemb.BUCKET]
    no_buckets = tf_dynemb.build_model(["cat"], ["un"], 0)
    emb, kind = tf_dynemb.lookup(["dog"], random_table(2, 3, 0), no_buckets, return_kind=True)
    assert kind.numpy().tolist() == [tf_dynemb.UNKNOWN]
    np.testing.assert_array_equal(emb.numpy(), np.zeros((1, 3)))


@pytest.mark.parametrize("dtype", [tf.float32, tf.float16])
@pytest.mark.parametrize("combiner", COMBINERS)
def test_threaded_batch_equals_small_batches(real_vocab, corpus_words, dtype, combiner):
    # 24,000 words at D = 64 are far over the work the op keeps on the calling
    # thread, so the batch is split over the thread pool, each unit with its
    # own repeat memo; 400-word batches stay on one thread. Bit for bit.
    words, pieces = real_vocab
    model, reference = both_paths(words, pieces, 37)
    table = tf.cast(random_table(len(words) + len(pieces) + 37, 64, seed=3), dtype)
    rng = np.random.default_rng(4)
    sample = [w.encode() for w in rng.choice(corpus_words, 20000)]
    sample += [w.capitalize() + b"zq" for w in sample[:4000]]  # repeated split and bucket words
    batch = tf.constant(rng.permutation(np.array(sample, dtype=object)))
    whole = tf_dynemb.lookup(batch, table, model, combiner).numpy()
    parts = [tf_dynemb.lookup(batch[i:i + 400], table, model, combiner).numpy()
             for i in range(0, len(sample), 400)]
    np.testing.assert_array_equal(whole, np.concatenate(parts))
    if dtype == tf.float32:
        want = reference(batch, table, combiner)
        np.testing.assert_allclose(whole, want.numpy(), rtol=1e-6, atol=1e-6)
