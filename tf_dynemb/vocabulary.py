"""Vocabulary files: one token per line, as in a BERT `vocab.txt`."""

import os

_ASSETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "assets")
DEFAULT_WORDS = os.path.join(_ASSETS, "default_words.txt")
DEFAULT_WORDPIECE = os.path.join(_ASSETS, "default_wordpiece.txt")


def load_vocabulary(path):
    """Tokens of a vocabulary file, in order; blank lines are skipped.

    Raises ValueError naming the line of a token that appears twice.
    """
    tokens, seen = [], {}
    with open(path, encoding="utf-8") as f:
        for line_number, line in enumerate(f, start=1):
            token = line.rstrip("\r\n")
            if not token:
                continue
            if token in seen:
                raise ValueError(
                    f"{path}:{line_number}: token {token!r} already appeared on "
                    f"line {seen[token]}; vocabularies must be unique."
                )
            seen[token] = line_number
            tokens.append(token)
    return tokens


def default_vocabulary():
    """(words, pieces) bundled with tf_dynemb, learned from the standard
    library's docstrings by scripts/make_default_vocabulary.py."""
    return load_vocabulary(DEFAULT_WORDS), load_vocabulary(DEFAULT_WORDPIECE)
