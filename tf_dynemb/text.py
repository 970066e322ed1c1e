"""Text in core TensorFlow ops: the normalization of words (`normalize_words`:
what `DynamicEmbedding` does before its lookup, in both flavors) and the one
tokenizer of sentences (`basic_tokenize`: what `TextEmbedding`, the
embedding-only export and `tf-dynemb learn-vocab` all split text with)."""

import numpy as np
import tensorflow as tf

from tf_dynemb.accents import (ACCENT_BLOCK_BITS, ACCENT_COUNT_BITS, REPLACEMENTS_START,
                               accent_lookup, accent_table)
from tf_dynemb.vocabulary import WORD_SEPARATORS

MAX_NORMALIZED_WORD_BYTES = 1 << 28
"""The longest string (256 MiB) that `normalize_words` takes: a longer one is
refused with an error giving its length (`tf.strings.lower` returns '' for
strings over ~800 MB)."""

# BERT's basic tokenization: punctuation (Unicode P, and ASCII symbols) and
# CJK ideographs become words of their own.
_SEPARATE = r"([\p{P}!-/:-@\[-`{-~]|\p{Han})"
# Words end at any Unicode whitespace (NBSP, U+3000...) and at byte order
# marks, the characters a vocabulary token cannot begin or end with
# (`tf_dynemb.vocabulary`); and at NUL, which cannot be in a piece.
_WORD_SEPARATOR = "[" + "".join(f"\\x{{{ord(c):04x}}}" for c in WORD_SEPARATORS + "\x00") + "]"
_REPLACEMENT_CHARACTER = 0xFFFD


def normalize_words(words, lowercase=False, strip_accents=False):
    """`words` (a string tensor of any shape, or ragged) lowercased, then with
    accents stripped, as BERT's tokenizer does (keras-hub's `WordPieceTokenizer`
    strips, then case-folds with NFKC: it also maps "ß" to "ss", "ﬁ" to "fi",
    full-width letters to ASCII, and composes Hangul jamo into syllables).

    - `lowercase`: `tf.strings.lower(encoding="utf-8")`, Unicode's full
      lowercase mapping as Python's `str.lower()` (BERT's), not case folding:
      "ß" and "ﬁ" stay. NUL bytes and the text after them are kept.
    - `strip_accents`: NFD, then combining marks (Mn) removed, code point by
      code point (`tf_dynemb.accents`, Python's Unicode version).
    - Bytes that are not UTF-8 become U+FFFD, one per ICU's maximal invalid
      subsequence (as `tf.strings.lower` replaces them).

    Core TF ops only. A string longer than `MAX_NORMALIZED_WORD_BYTES` is
    refused (InvalidArgumentError naming its position and length). With
    both options off, `words` is returned as given.
    """
    if not (lowercase or strip_accents):
        return words
    if isinstance(words, tf.RaggedTensor):
        return words.with_flat_values(
            normalize_words(words.flat_values, lowercase, strip_accents))
    words = tf.convert_to_tensor(words, tf.string)
    flat = _check_lengths(tf.reshape(words, [-1]))
    # Only the strings with a byte over 0x7F, or a NUL, need Unicode's rules:
    # they are found once, normalized together and put back once.
    others = tf.where(tf.logical_not(tf.strings.regex_full_match(flat, r"[\x01-\x7f]*")))
    normalized = tf.gather_nd(flat, others)
    if lowercase:
        flat = tf.strings.lower(flat)
        normalized = _lower_unicode(normalized)
    if strip_accents:
        # (Lowercasing may make a string ASCII: stripping then keeps it.)
        normalized = _strip_accents_unicode(normalized)
    flat = tf.tensor_scatter_nd_update(flat, others, normalized)
    return tf.reshape(flat, tf.shape(words))


def _check_lengths(flat):
    lengths = tf.concat([tf.strings.length(flat), [0]], 0)
    longest = tf.argmax(lengths)
    check = tf.debugging.Assert(
        lengths[longest] <= MAX_NORMALIZED_WORD_BYTES,
        [f"lowercase/strip_accents take strings of at most {MAX_NORMALIZED_WORD_BYTES} bytes "
         "(tf_dynemb.text.MAX_NORMALIZED_WORD_BYTES); the string at flat position", longest,
         "has", lengths[longest], "bytes"])
    with tf.control_dependencies([check]):
        return tf.identity(flat)


def _lower_unicode(flat):
    # `tf.strings.lower(encoding="utf-8")` would end each string at its first
    # NUL: the strings with one are lowered part by part.
    with_nul = tf.where(tf.logical_not(tf.strings.regex_full_match(flat, r"[^\x00]*")))
    lowered = tf.strings.lower(flat, encoding="utf-8")
    return tf.tensor_scatter_nd_update(lowered, with_nul,
                                       _lower_parts(tf.gather_nd(flat, with_nul)))


def _lower_parts(flat):
    # (The NUL goes back as a tensor: string attributes such as a join's
    # separator end at a NUL.)
    parts = tf.raw_ops.StringSplitV2(input=flat, sep=tf.constant("\x00"))
    rows = parts.indices[:, 0]
    last = tf.not_equal(rows, tf.concat([rows[1:], [-1]], 0))
    ends = tf.where(last, "", tf.constant("\x00"))
    lowered = tf.strings.join([tf.strings.lower(parts.values, encoding="utf-8"), ends])
    return tf.strings.unsorted_segment_join(lowered, rows, tf.size(flat, out_type=tf.int64))


def _strip_accents_unicode(flat):
    # Every string is rebuilt: decoding and encoding keep valid UTF-8 as it
    # is, and replace invalid bytes.
    codes = tf.strings.unicode_decode(flat, "UTF-8", errors="replace",
                                      replacement_char=_REPLACEMENT_CHARACTER)
    new_codes, new_splits = _replace(codes.flat_values)
    return tf.strings.unicode_encode(tf.RaggedTensor.from_row_splits(
        new_codes, tf.gather(new_splits, codes.row_splits), validate=False), "UTF-8")


def _replace(code_points):
    """(new code points, the row splits of what each old one became)."""
    # Each code point becomes the range [start, start + count): itself (count
    # 1) or, from REPLACEMENTS_START on, replacements. No ASCII code point changes: only
    # the others are looked up.
    others = tf.where(code_points >= 0x80)
    other_code_points = tf.gather_nd(code_points, others)
    entry = _accent_entries(other_code_points)
    found = entry >= 0
    starts = tf.tensor_scatter_nd_update(code_points, others, tf.where(
        found, tf.bitwise.right_shift(entry, ACCENT_COUNT_BITS), other_code_points))
    counts = tf.tensor_scatter_nd_update(tf.ones_like(code_points), others, tf.where(
        found, tf.bitwise.bitwise_and(entry, (1 << ACCENT_COUNT_BITS) - 1), 1))
    taken = tf.ragged.range(starts, starts + counts)
    replacement = tf.maximum(taken.flat_values - REPLACEMENTS_START, 0)
    new_code_points = tf.where(taken.flat_values < REPLACEMENTS_START, taken.flat_values,
                               tf.gather(tf.constant(accent_table()[2]), replacement))
    return new_code_points, taken.row_splits


def _accent_entries(code_points):
    """`tf_dynemb.accents.accent_lookup`'s entries for `code_points`."""
    blocks, entries = accent_lookup()
    block = tf.cast(tf.gather(tf.constant(blocks),
                              tf.bitwise.right_shift(code_points, ACCENT_BLOCK_BITS)), tf.int32)
    return tf.gather(tf.constant(entries), tf.bitwise.bitwise_or(
        tf.bitwise.left_shift(block, ACCENT_BLOCK_BITS),
        tf.bitwise.bitwise_and(code_points, (1 << ACCENT_BLOCK_BITS) - 1)))


def basic_tokenize(sentences, lowercase=True, strip_accents=False):
    """Words of each sentence: ragged `[..., (words)]`.

    Words end at Unicode whitespace, byte order marks and NUL; text is
    normalized (`normalize_words`: `lowercase`, then `strip_accents`), then
    punctuation, ASCII symbols and CJK ideographs are split off as words of
    their own. Only core TensorFlow ops run.
    """
    text = tf.strings.regex_replace(sentences, _WORD_SEPARATOR, " ")
    text = normalize_words(text, lowercase, strip_accents)
    return tf.strings.split(tf.strings.regex_replace(text, _SEPARATE, r" \1 "))
