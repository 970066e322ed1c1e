"""The one tokenizer of sentences: what `TextEmbedding`, the embedding-only
export and `tf-dynemb learn-vocab` all split text with."""

import tensorflow as tf

# BERT's basic tokenization: punctuation (Unicode P, and ASCII symbols) and
# CJK ideographs become words of their own.
_SEPARATE = r"([\p{P}!-/:-@\[-`{-~]|\p{Han})"


def basic_tokenize(sentences, lowercase=True, strip_accents=False):
    """Words of each sentence: ragged `[..., (words)]`.

    Text is lowercased (`lowercase`), then punctuation, ASCII symbols and CJK
    ideographs are split off as words of their own, then it is split on
    whitespace. Only core TensorFlow ops run, unless `strip_accents` (NFD,
    then combining marks removed), which needs TF Text's `normalize_utf8`.
    """
    text = sentences
    if lowercase:
        text = tf.strings.lower(text, encoding="utf-8")
    if strip_accents:
        import tensorflow_text as tf_text

        text = tf.strings.regex_replace(tf_text.normalize_utf8(text, "NFD"), r"\p{Mn}", "")
    return tf.strings.split(tf.strings.regex_replace(text, _SEPARATE, r" \1 "))
