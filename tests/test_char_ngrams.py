"""char_ngrams against a pure-Python oracle of the contract's n-grams."""

import random

import numpy as np
import pytest
import tensorflow as tf

from tf_dynemb.char_ngrams import ngram_rows, ngram_strings


def oracle_ngrams(word, min_n, max_n, max_bytes_per_word):
    """bytes -> characters (a new one at every non-continuation byte) -> n-grams."""
    if len(word) > max_bytes_per_word:
        return []
    characters = []
    for byte in b"<" + word + b">":
        if byte & 0xC0 != 0x80:
            characters.append(bytearray())
        characters[-1].append(byte)
    return [
        b"".join(characters[start:start + n])
        for n in range(min_n, max_n + 1)
        for start in range(len(characters) - n + 1)
    ]


def oracle_rows(words, num_ngram_buckets, min_n, max_n, max_bytes_per_word, offset):
    rows = []
    for word in words:
        ngrams = oracle_ngrams(word, min_n, max_n, max_bytes_per_word) if num_ngram_buckets else []
        if not ngrams:
            rows.append([])
            continue
        hashed = tf.strings.to_hash_bucket_fast(tf.constant(ngrams, tf.string), num_ngram_buckets)
        rows.append([int(row) + offset for row in hashed.numpy()])
    return rows


MAX_BYTES = 12


def seeded_words(seed=7, count=300):
    """Edge cases, then random words over ASCII, multi-byte UTF-8 and raw bytes."""
    words = [
        b"", b"a", b"ab", b"abc", "é".encode(), "日本".encode(), "🙂x".encode(),
        b"\x80", b"\x80\x80abc", b"a\x80b", b"\xff", b"\xc3", b"ab\xe6\x97", b"\xf0\x9f\x99",
        b"x" * MAX_BYTES, b"y" * (MAX_BYTES + 1), "é".encode() * (MAX_BYTES // 2),
        "é".encode() * (MAX_BYTES // 2) + b"z", b"<>", b"a<b>",
    ]
    rng = random.Random(seed)
    alphabet = [c.encode() for c in "abcxyz<>#"] + [c.encode() for c in "éßжж日本🙂"]
    alphabet += [bytes([b]) for b in (0x80, 0xBF, 0xC3, 0xE6, 0xF0, 0xFF, 0x00)]
    while len(words) < count:
        length = rng.randint(0, 9)
        words.append(b"".join(rng.choice(alphabet) for _ in range(length)))
    return words


def as_lists(ragged):
    return [list(row) for row in ragged.to_list()]


@pytest.mark.parametrize("min_n,max_n", [(1, 1), (2, 5), (3, 6), (4, 16)])
def test_ngram_strings_match_oracle(min_n, max_n):
    words = seeded_words()
    got = as_lists(ngram_strings(tf.constant(words), min_n, max_n, MAX_BYTES))
    expected = [oracle_ngrams(w, min_n, max_n, MAX_BYTES) for w in words]
    assert got == expected


@pytest.mark.parametrize("in_function", [False, True])
@pytest.mark.parametrize("num_ngram_buckets,min_n,max_n,offset", [
    (1000, 2, 5, 0), (97, 3, 6, 12345), (1, 1, 3, 7), (0, 3, 6, 5)])
def test_ngram_rows_match_oracle(in_function, num_ngram_buckets, min_n, max_n, offset):
    words = seeded_words(seed=num_ngram_buckets)

    def rows(flat_words):
        return ngram_rows(flat_words, num_ngram_buckets, min_n, max_n, MAX_BYTES, offset)

    if in_function:
        rows = tf.function(rows, input_signature=[tf.TensorSpec([None], tf.string)])
    got = rows(tf.constant(words))
    assert got.dtype == tf.int64
    expected = oracle_rows(words, num_ngram_buckets, min_n, max_n, MAX_BYTES, offset)
    assert as_lists(got) == expected
    if num_ngram_buckets:
        assert sum(map(len, expected)) > len(words)  # the oracle is not vacuous


def test_length_bound_is_in_bytes_without_markers():
    got = as_lists(ngram_rows(tf.constant([b"x" * 4, b"x" * 5]), 50, 2, 3, 4))
    assert len(got[0]) == (6 - 1) + (6 - 2)
    assert got[1] == []


def test_empty_batch_and_short_words():
    assert ngram_rows(tf.constant([], tf.string), 10, 3, 6).to_list() == []
    # "<a>" has 3 characters: no 4-gram, one 3-gram; "" gives "<>": nothing of length 3.
    got = as_lists(ngram_strings(tf.constant([b"a", b""]), 3, 6, 100))
    assert got == [[b"<a>"], []]


def test_rows_stay_in_range():
    got = ngram_rows(tf.constant(seeded_words(seed=3)), 5, 1, 4, MAX_BYTES, offset=100)
    values = got.flat_values.numpy()
    assert values.size > 0 and np.all((values >= 100) & (values < 105))


@pytest.mark.parametrize("kwargs,message", [
    (dict(num_ngram_buckets=-1), "num_ngram_buckets"),
    (dict(min_n=0), "min_n"),
    (dict(max_n=17), "max_n"),
    (dict(min_n=4, max_n=3), "min_n=4, max_n=3"),
    (dict(max_bytes_per_word=256), "max_bytes_per_word"),
    (dict(offset=-2), "offset"),
])
def test_bad_arguments_say_what_was_received(kwargs, message):
    args = dict(num_ngram_buckets=10, min_n=3, max_n=6, max_bytes_per_word=100, offset=0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        ngram_rows(tf.constant(["a"]), **args)


def test_rank_other_than_one_is_refused():
    with pytest.raises(ValueError, match="1-D"):
        ngram_rows(tf.constant([["a"]]), 10)
