"""Hashed character n-grams of words, with core TensorFlow ops only.

The n-grams of the lookup contract (model format version 3): the bounded word
`b"<" + w + b">"` is cut into characters at every byte that is not a UTF-8
continuation byte (`(b & 0xC0) != 0x80`), so any byte string has exactly one
cut; its n-grams are every run of n consecutive characters for n from `min_n`
to `max_n`, ordered by n, then by start. An n-gram's row is
`offset + tf.strings.to_hash_bucket_fast(ngram, num_ngram_buckets)`. A word
longer than `max_bytes_per_word` bytes (markers not counted) has none, and so
does every word when `num_ngram_buckets == 0`.

Only core TF ops are used, so a SavedModel built on it is servable by a stock
`tensorflow_model_server`.
"""

import tensorflow as tf

from tf_dynemb.arguments import check_int_argument

MAX_NGRAM_LENGTH = 16
MAX_BYTES_PER_WORD = 255


def check_ngram_args(num_ngram_buckets, min_n, max_n, max_bytes_per_word):
    """The arguments as ints; raises TypeError/ValueError naming what was received."""
    num_ngram_buckets = check_int_argument("num_ngram_buckets", num_ngram_buckets, 0)
    min_n = check_int_argument("min_n", min_n, 1, MAX_NGRAM_LENGTH)
    max_n = check_int_argument("max_n", max_n, 1, MAX_NGRAM_LENGTH)
    if min_n > max_n:
        raise ValueError(f"`min_n` must be <= `max_n`. Received: min_n={min_n}, max_n={max_n}")
    max_bytes_per_word = check_int_argument(
        "max_bytes_per_word", max_bytes_per_word, 1, MAX_BYTES_PER_WORD)
    return num_ngram_buckets, min_n, max_n, max_bytes_per_word


def word_characters(flat_words):
    """Ragged string [N, (characters)]: the contract's characters of `"<" + w + ">"`."""
    bounded = tf.strings.join(["<", flat_words, ">"])
    byte_strings = tf.strings.bytes_split(bounded)
    byte_values = tf.reshape(tf.io.decode_raw(byte_strings.flat_values, tf.uint8), [-1])
    starts = tf.cast(
        tf.not_equal(tf.bitwise.bitwise_and(byte_values, 0xC0), 0x80), tf.int64)
    # Every bounded word begins with "<", a start: one running count numbers
    # the characters of the whole batch, word after word.
    character_ids = tf.math.cumsum(starts) - 1
    num_characters = tf.reduce_sum(starts)
    characters = tf.strings.unsorted_segment_join(
        byte_strings.flat_values, character_ids, num_segments=num_characters)
    starts_per_word = byte_strings.with_flat_values(starts)
    return tf.RaggedTensor.from_row_lengths(
        characters, tf.reduce_sum(starts_per_word, axis=1), validate=False)


def ngram_strings(flat_words, min_n, max_n, max_bytes_per_word):
    """Ragged string [N, (n-grams)] of the 1-D `flat_words`, in the contract's order."""
    flat_words = tf.convert_to_tensor(flat_words, tf.string)
    keep = tf.strings.length(flat_words) <= max_bytes_per_word
    # Too-long words are cut as "" (cheap) and their n-grams dropped below.
    characters = word_characters(tf.where(keep, flat_words, ""))
    ngrams = tf.strings.ngrams(
        characters, ngram_width=tuple(range(min_n, max_n + 1)), separator="")
    lengths = ngrams.row_lengths() * tf.cast(keep, tf.int64)
    values = tf.boolean_mask(ngrams.flat_values, tf.repeat(keep, ngrams.row_lengths()))
    return tf.RaggedTensor.from_row_lengths(values, lengths, validate=False)


def ngram_rows(flat_words, num_ngram_buckets, min_n=3, max_n=6, max_bytes_per_word=100,
               offset=0):
    """Ragged int64 [N, (rows)]: the n-gram rows of each of the 1-D `flat_words`.

    Args:
        flat_words: 1-D string tensor (or anything convertible to one).
        num_ngram_buckets: int >= 0, G. 0 gives every word no rows.
        min_n, max_n: n-gram lengths in characters, 1 <= min_n <= max_n <= 16.
        max_bytes_per_word: int in [1, 255]; longer words have no n-grams.
        offset: int >= 0 added to every row (Nw + Np + K in a full table).
    """
    num_ngram_buckets, min_n, max_n, max_bytes_per_word = check_ngram_args(
        num_ngram_buckets, min_n, max_n, max_bytes_per_word)
    offset = check_int_argument("offset", offset, 0)
    flat_words = tf.convert_to_tensor(flat_words, tf.string)
    if flat_words.shape.rank != 1:
        raise ValueError(f"`flat_words` must be 1-D. Received shape {flat_words.shape}")
    if num_ngram_buckets == 0:
        return tf.RaggedTensor.from_row_lengths(
            tf.zeros([0], tf.int64), tf.zeros(tf.shape(flat_words, tf.int64), tf.int64),
            validate=False)
    ngrams = ngram_strings(flat_words, min_n, max_n, max_bytes_per_word)
    return ngrams.with_flat_values(
        tf.strings.to_hash_bucket_fast(ngrams.flat_values, num_ngram_buckets) + offset)
