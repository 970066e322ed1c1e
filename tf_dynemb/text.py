"""The one tokenizer of sentences: what `TextEmbedding`, the embedding-only
export and `tf-dynemb learn-vocab` all split text with."""

import tensorflow as tf

from tf_dynemb.vocabulary import WORD_SEPARATORS

# BERT's basic tokenization: punctuation (Unicode P, and ASCII symbols) and
# CJK ideographs become words of their own.
_SEPARATE = r"([\p{P}!-/:-@\[-`{-~]|\p{Han})"
# Words end at any Unicode whitespace (NBSP, U+3000...) and at byte order
# marks, the characters a vocabulary token cannot begin or end with
# (`tf_dynemb.vocabulary`); and at NUL, which would end the text for
# `tf.strings.lower` (it dropped the rest of the sentence) and cannot be in a piece.
_WORD_SEPARATOR = "[" + "".join(f"\\x{{{ord(c):04x}}}" for c in WORD_SEPARATORS + "\x00") + "]"


def basic_tokenize(sentences, lowercase=True, strip_accents=False):
    """Words of each sentence: ragged `[..., (words)]`.

    Words end at Unicode whitespace, byte order marks and NUL; text is
    lowercased (`lowercase`), then punctuation, ASCII symbols and CJK
    ideographs are split off as words of their own. Only core TensorFlow ops run, unless `strip_accents` (NFD,
    then combining marks removed), which needs TF Text's `normalize_utf8`.
    """
    text = tf.strings.regex_replace(sentences, _WORD_SEPARATOR, " ")
    if lowercase:
        text = tf.strings.lower(text, encoding="utf-8")
    if strip_accents:
        import tensorflow_text as tf_text

        text = tf.strings.regex_replace(tf_text.normalize_utf8(text, "NFD"), r"\p{Mn}", "")
    return tf.strings.split(tf.strings.regex_replace(text, _SEPARATE, r" \1 "))
