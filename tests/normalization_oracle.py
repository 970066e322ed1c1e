"""The Python definition of `tf_dynemb.text.normalize_words`, the oracle of
its tests."""

from tf_dynemb.accents import strip_accents_of


def python_normalized(word, lowercase, strip_accents):
    """`word` (bytes) decoded with U+FFFD replacements, `str.lower`, then NFD
    without Mn, encoded again."""
    text = word.decode("utf-8", "replace")
    text = text.lower() if lowercase else text
    return (strip_accents_of(text) if strip_accents else text).encode()
