"""Character n-gram rows and composed words (model format 3): the fused op's
rows, kinds, vectors and gradient against an oracle of the contract written
here in plain Python (docs/design.md, "Rows of a word")."""

import numpy as np
import pytest
import tensorflow as tf

import tf_dynemb

COMBINERS = ("mean", "sum", "sqrtn")


def characters(word):
    """The bounded word b"<" + word + b">" cut before every byte that is not a
    UTF-8 continuation byte (0b10xxxxxx)."""
    chars = []
    for byte in b"<" + word + b">":
        if byte & 0xC0 != 0x80:
            chars.append(bytes([byte]))
        else:
            chars[-1] += bytes([byte])  # never first: the word opens with "<"
    return chars


def ngrams(word, min_n, max_n):
    chars = characters(word)
    return [b"".join(chars[start:start + n]) for n in range(min_n, max_n + 1)
            for start in range(len(chars) - n + 1)]


def hash_bucket(strings, buckets):
    if not strings:
        return []
    return tf.strings.to_hash_bucket_fast(tf.constant(strings), buckets).numpy().tolist()


def wordpiece(word, pieces, suffix):
    """Greedy longest-match-first, later pieces behind the suffix indicator; a
    word that starts with the indicator must open with a longer piece. None
    when the word does not split."""
    ids = {p: i for i, p in enumerate(pieces)}
    out, pos = [], 0
    while pos < len(word):
        prefix = b"" if pos == 0 else suffix
        least = len(suffix) + 1 if pos == 0 and word.startswith(suffix) and \
            len(word) > len(suffix) else 1
        for end in range(len(word), pos + least - 1, -1):
            if prefix + word[pos:end] in ids:
                out.append(ids[prefix + word[pos:end]])
                pos = end
                break
        else:
            return None
    return out


def oracle_rows(word, config):
    """(kind, rows) of `word` under the model built from `config`."""
    if word == b"":
        return tf_dynemb.PAD, []
    num_words, num_pieces = len(config.words), len(config.pieces)
    short = len(word) <= config.max_bytes_per_word
    split = wordpiece(word, config.pieces, config.suffix_indicator.encode()) \
        if config.pieces and short else None
    piece_rows = [num_words + p for p in split or []]
    ngram_offset = num_words + num_pieces + config.num_oov_buckets
    ngram_rows = [ngram_offset + h for h in hash_bucket(
        ngrams(word, config.min_n, config.max_n), config.num_ngram_buckets)] \
        if config.num_ngram_buckets and short else []
    if word in config.words:
        rows = [config.words.index(word)]
        return tf_dynemb.WORD, rows + (piece_rows + ngram_rows if config.compose_words else [])
    if piece_rows:
        return tf_dynemb.PIECES, piece_rows + ngram_rows
    if ngram_rows:
        return tf_dynemb.NGRAMS, ngram_rows
    if config.num_oov_buckets:
        return tf_dynemb.BUCKET, [num_words + num_pieces +
                                  hash_bucket([word], config.num_oov_buckets)[0]]
    if config.unknown_token is not None:
        return tf_dynemb.UNKNOWN, [num_words + config.pieces.index(config.unknown_token)]
    return tf_dynemb.UNKNOWN, []


def weight(combiner, count):
    """The weight of each of a word's `count` rows (count > 0)."""
    return {"mean": 1.0 / count, "sum": 1.0, "sqrtn": 1.0 / np.sqrt(count)}[combiner]


MODELS = {
    "ngrams only": dict(words=["the", "é"], num_oov_buckets=5, num_ngram_buckets=97),
    "pieces and ngrams": dict(words=["the", "unaff"], pieces=["un", "##aff", "##able", "a",
                                                               "##b", "[UNK]"],
                              unknown_token="[UNK]", num_ngram_buckets=50, min_n=1, max_n=4),
    "composed": dict(words=["the", "unaff", "ab"], pieces=["un", "##aff", "a", "##b"],
                     num_oov_buckets=3, num_ngram_buckets=31, min_n=2, max_n=2,
                     max_bytes_per_word=6, compose_words=True),
    "composed, long n-grams": dict(words=["the"], pieces=["t", "##h"], num_ngram_buckets=1009,
                                   min_n=4, max_n=16, max_bytes_per_word=255,
                                   compose_words=True),
}


def random_words(seed, count=300):
    rng = np.random.default_rng(seed)
    alphabet = [b"a", b"b", b"t", b"h", b"e", b"u", b"n", b"f", "é".encode(), "東".encode(),
                "\U0001f642".encode(), b"\x80", b"\xbf", b"\xc3", b"\xff", b"\x00", b"<", b">"]
    words = [b"".join(rng.choice(alphabet, rng.integers(0, 9))) for _ in range(count)]
    words += [b"the", b"unaff", b"ab", b"the", b"a" * 6, b"a" * 7, b"x" * 255, b"x" * 256,
              b"\xe6\x9d\xb1" * 85, b"\x80" * 255]
    return words


@pytest.fixture(params=sorted(MODELS), scope="module")
def model_and_config(request):
    model = tf_dynemb.build_model(**MODELS[request.param])
    return model, tf_dynemb.decode_model(model)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_decode_round_trips_the_new_arguments(name):
    arguments = MODELS[name]
    config = tf_dynemb.decode_model(tf_dynemb.build_model(**arguments))
    assert config.num_ngram_buckets == arguments["num_ngram_buckets"]
    assert (config.min_n, config.max_n) == (arguments.get("min_n", 3), arguments.get("max_n", 6))
    assert config.compose_words == arguments.get("compose_words", False)
    assert config.num_rows == (len(config.words) + len(config.pieces) + config.num_oov_buckets
                               + config.num_ngram_buckets)


@pytest.mark.parametrize("combiner", COMBINERS)
def test_segment_rows_equal_the_oracle(model_and_config, combiner):
    model, config = model_and_config
    words = random_words(seed=len(config.words))
    row_ids, row_weights, row_word, kind = tf_dynemb.segment(tf.constant(words), model, combiner)
    want_ids, want_weights, want_word, want_kind = [], [], [], []
    for i, word in enumerate(words):
        k, rows = oracle_rows(word, config)
        want_kind.append(k)
        want_ids += rows
        want_weights += [weight(combiner, len(rows))] * len(rows) if rows else []
        want_word += [i] * len(rows)
    np.testing.assert_array_equal(kind.numpy(), want_kind)
    np.testing.assert_array_equal(row_ids.numpy(), want_ids)
    np.testing.assert_array_equal(row_word.numpy(), want_word)
    np.testing.assert_allclose(row_weights.numpy(), want_weights, rtol=1e-6)
    kinds = set(want_kind)
    assert tf_dynemb.NGRAMS in kinds and tf_dynemb.WORD in kinds and tf_dynemb.PAD in kinds


@pytest.mark.parametrize("dtype", [tf.float32, tf.float16])
@pytest.mark.parametrize("combiner", COMBINERS)
def test_lookup_pools_the_oracle_rows(model_and_config, combiner, dtype):
    model, config = model_and_config
    words = random_words(seed=7)
    table = np.random.default_rng(3).normal(size=[config.num_rows, 6]).astype(
        dtype.as_numpy_dtype)
    got, kind = tf_dynemb.lookup(tf.constant(words), tf.constant(table), model, combiner,
                                 return_kind=True)
    want = np.zeros([len(words), 6], np.float32)
    for i, word in enumerate(words):
        _, rows = oracle_rows(word, config)
        if rows:
            want[i] = table[rows].astype(np.float32).sum(0) * weight(combiner, len(rows))
    tolerance = 1e-5 if dtype == tf.float32 else 4e-3
    np.testing.assert_allclose(got.numpy().astype(np.float32), want, rtol=tolerance,
                               atol=tolerance)
    np.testing.assert_array_equal(kind.numpy(), [oracle_rows(w, config)[0] for w in words])


@pytest.mark.parametrize("combiner", COMBINERS)
def test_gradient_is_the_oracle_rows(model_and_config, combiner):
    model, config = model_and_config
    words = random_words(seed=11, count=60)
    table = tf.Variable(np.random.default_rng(5).normal(size=[config.num_rows, 3]), dtype=tf.float32)
    upstream = np.random.default_rng(6).normal(size=[len(words), 3]).astype(np.float32)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf_dynemb.lookup(tf.constant(words), table, model, combiner)
                             * upstream)
    grad = tape.gradient(loss, table)
    assert isinstance(grad, tf.IndexedSlices)
    want_rows, want_values = [], []
    for i, word in enumerate(words):
        _, rows = oracle_rows(word, config)
        want_rows += rows
        want_values += [upstream[i] * weight(combiner, len(rows))] * len(rows) if rows else []
    np.testing.assert_array_equal(grad.indices.numpy(), want_rows)
    np.testing.assert_allclose(grad.values.numpy(), np.reshape(want_values, [-1, 3]),
                               rtol=1e-6, atol=1e-7)


def test_build_model_refuses_bad_ngram_arguments():
    with pytest.raises(ValueError, match=r"`min_n` must be an int >= 1. Received: min_n=0"):
        tf_dynemb.build_model(num_ngram_buckets=5, min_n=0)
    with pytest.raises(ValueError, match=r"`max_n` must be an int <= 16. Received: max_n=17"):
        tf_dynemb.build_model(num_ngram_buckets=5, max_n=17)
    with pytest.raises(ValueError, match=r"`max_n` must be an int >= 5. Received: max_n=4"):
        tf_dynemb.build_model(num_ngram_buckets=5, min_n=5, max_n=4)
    with pytest.raises(ValueError, match=r"num_ngram_buckets=-1"):
        tf_dynemb.build_model(num_ngram_buckets=-1)
    with pytest.raises(TypeError, match=r"`compose_words` must be True or False"):
        tf_dynemb.build_model(compose_words=1)
