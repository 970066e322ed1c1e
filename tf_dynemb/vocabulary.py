"""Vocabulary files and tokens: one token per line, as in a BERT `vocab.txt`.

A token must survive being saved as one line of a UTF-8 file and read back:
`check_tokens` refuses any that would not, so a saved model always reloads
with the very tokens it was built from.
"""

import os

_ASSETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "assets")
DEFAULT_WORDS = os.path.join(_ASSETS, "default_words.txt")
DEFAULT_WORDPIECE = os.path.join(_ASSETS, "default_wordpiece.txt")
_BOM = "\ufeff"


def token_problem(token):
    """Why `token` (a str) cannot be one line of a vocabulary file, or None."""
    if not token:
        return "is empty: a vocabulary must not contain the empty string (it is padding)"
    if "\n" in token or "\r" in token:
        return "holds a line break (\\n or \\r); vocabulary files hold one token per line"
    if not token.strip():
        return "is only whitespace"
    if token.strip() != token:
        return "has leading or trailing whitespace"
    if token.startswith(_BOM):
        return "starts with a byte order mark (U+FEFF)"
    try:
        token.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode text (it holds a lone surrogate; pass valid UTF-8)"
    return None


def _as_text(token, where, label):
    if hasattr(token, "numpy"):  # a scalar string tensor
        token = token.numpy()
    if isinstance(token, bytes):
        try:
            return token.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ValueError(
                f"{where} is not valid UTF-8 ({e.reason} at byte {e.start}). "
                f"Received: {label}={token!r:.80}") from None
    if not isinstance(token, str):
        raise TypeError(f"{where} must be a string. Received: {label}={token!r:.80} of type "
                        f"{type(token).__name__}")
    return str(token)


def check_tokens(tokens, name):
    """Returns `tokens` (strings or UTF-8 bytes) as a list of str.

    Raises an error naming `name[i]` for a token that is not text, is empty,
    only whitespace, has leading or trailing whitespace, holds a line break,
    starts with a byte order mark, or repeats an earlier one.
    """
    if isinstance(tokens, (str, bytes, os.PathLike)):
        raise TypeError(f"`{name}` must be a list of tokens. Received: {name}={tokens!r:.80}")
    if hasattr(tokens, "numpy"):
        tokens = tokens.numpy()
    if hasattr(tokens, "tolist"):  # numpy arrays
        tokens = tokens.tolist()
    checked, seen = [], {}
    for i, token in enumerate(tokens):
        text = _as_text(token, f"`{name}[{i}]`", f"{name}[{i}]")
        problem = token_problem(text)
        if problem:
            raise ValueError(f"`{name}[{i}]` {problem}. Received: {name}[{i}]={text!r:.80}")
        if text in seen:
            raise ValueError(
                f"`{name}` must hold unique tokens. Received 1 repeated token: "
                f"{name}[{i}]={text!r:.80}, as {name}[{seen[text]}]")
        seen[text] = i
        checked.append(text)
    return checked


def read_lines(path):
    """(line number, text) of each line of a UTF-8 text file, a leading byte
    order mark dropped; raises ValueError naming the line of invalid UTF-8.
    The file is streamed: vector files run to gigabytes."""
    with open(path, "rb") as f:
        for line_number, raw in enumerate(f, start=1):
            if line_number == 1 and raw.startswith(_BOM.encode()):
                raw = raw[len(_BOM.encode()):]
            raw = raw[:-1] if raw.endswith(b"\n") else raw
            raw = raw[:-1] if raw.endswith(b"\r") else raw
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise ValueError(
                    f"{path}:{line_number}: not valid UTF-8 ({e.reason} at byte {e.start} of "
                    f"the line). Received: {raw!r:.80}") from None
            yield line_number, text


def load_vocabulary(path):
    """Tokens of a vocabulary file, in order: one per line, UTF-8, a byte
    order mark and empty lines at the end ignored.

    Raises ValueError naming the file and line of anything else that is not a
    token (see `check_tokens`), and of a token that appears twice.
    """
    lines = list(read_lines(path))
    while lines and not lines[-1][1]:
        lines.pop()
    tokens, seen = [], {}
    for line_number, token in lines:
        problem = token_problem(token)
        if problem:
            raise ValueError(f"{path}:{line_number}: the line {problem}. Received: {token!r:.80}")
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
