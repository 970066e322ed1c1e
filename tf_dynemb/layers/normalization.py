"""How a `DynamicEmbedding` normalizes its words (`lowercase`, then
`strip_accents`, by `tf_dynemb.text.normalize_words` in both flavors), and
the warning about vocabulary tokens that normalized words can never match."""

import re
import warnings

import tensorflow as tf

from tf_dynemb.text import normalize_words

_EXAMPLES = 5
# BERT's special tokens ([CLS], [UNK]...): never words of text, so not warned about.
_SPECIAL_TOKEN = re.compile(r"\[[A-Za-z0-9_]+\]")


def unreachable(tokens, lowercase, strip_accents, prefix=""):
    """The tokens that normalization changes (after `prefix`, a piece's
    suffix indicator, where they start with it): no normalized word reaches
    them. Special tokens in brackets (`[CLS]`) are left out."""
    if not (lowercase or strip_accents) or not tokens:
        return []
    bodies = [t[len(prefix):] if prefix and t.startswith(prefix) else t for t in tokens]
    with tf.init_scope():
        normalized = normalize_words(tf.constant(bodies, tf.string), lowercase,
                                     strip_accents).numpy()
    return [token for token, body, new in zip(tokens, bodies, normalized)
            if body.encode("utf-8", "surrogateescape") != new
            and not _SPECIAL_TOKEN.fullmatch(token)]


def warn_unreachable(layer_name, words, pieces, suffix_indicator, lowercase, strip_accents):
    """Warns once per vocabulary that holds tokens normalization changes."""
    for what, tokens, prefix in (("vocabulary", words, ""),
                                 ("wordpiece_vocabulary", pieces, suffix_indicator)):
        dead = unreachable(tokens, lowercase, strip_accents, prefix)
        if dead:
            examples = ", ".join(repr(t[:20]) for t in dead[:_EXAMPLES])
            warnings.warn(
                f"Layer '{layer_name}': {len(dead)} of the {len(tokens)} tokens of its `{what}` "
                f"change under lowercase={lowercase}, strip_accents={strip_accents} (e.g. "
                f"{examples}), so no normalized word can match them; their rows stay "
                "untrained. Normalize the vocabulary, or turn the options off.", stacklevel=4)
