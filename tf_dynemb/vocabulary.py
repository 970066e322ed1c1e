"""Vocabulary files and tokens: one token per line, as in a BERT `vocab.txt`.

A token must survive being saved as one line of a UTF-8 file and read back:
`check_tokens` refuses any that would not, so a saved model always reloads
with the very tokens it was built from.
"""

import os
import stat

_ASSETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "assets")
DEFAULT_WORDS = os.path.join(_ASSETS, "default_words.txt")
DEFAULT_WORDPIECE = os.path.join(_ASSETS, "default_wordpiece.txt")
_BOM = "\ufeff"
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
              "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
"""Python's whitespace (`str.isspace`, `str.strip`): no token begins or ends
with one, nor is only whitespace."""
WORD_SEPARATORS = WHITESPACE + _BOM
"""Characters that end a word of text (`basic_tokenize`): whitespace and the
byte order mark, so every word of a text can be a token."""

MAX_VOCABULARY_FILE_BYTES = 1 << 30
"""A vocabulary file is read up to this size (1 GiB: ~100 million tokens)."""
QUOTED_TOKEN_CHARS = 40
"""Error messages quote at most this many characters of a token or line."""


def quote(value):
    """`repr` of at most the first `QUOTED_TOKEN_CHARS` characters of `value`
    (of its repr when it is neither str nor bytes), marked when cut, for
    error messages."""
    if not isinstance(value, (str, bytes)):
        text = repr(value)
        return text if len(text) <= QUOTED_TOKEN_CHARS else (
            f"{text[:QUOTED_TOKEN_CHARS]}... ({len(text)} characters in all)")
    if len(value) <= QUOTED_TOKEN_CHARS:
        return repr(value)
    return f"{value[:QUOTED_TOKEN_CHARS]!r}... ({len(value)} in all)"


def open_regular_file(path):
    """`path` opened for binary reading; raises ValueError unless it is a
    regular file (after symbolic links: a vocabulary in a model cache is often
    one). The check is on the open descriptor, so the file cannot be swapped
    between check and read; O_NONBLOCK keeps a FIFO from blocking the open."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise ValueError(f"{path} is not a regular file (it is a "
                             f"{_file_kind(mode)}); only regular files are read.")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _file_kind(mode):
    for test, kind in ((stat.S_ISDIR, "directory"), (stat.S_ISCHR, "character device"),
                       (stat.S_ISBLK, "block device"), (stat.S_ISFIFO, "FIFO"),
                       (stat.S_ISSOCK, "socket")):
        if test(mode):
            return kind
    return "special file"


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
                f"Received: {label}={quote(token)}") from None
    if not isinstance(token, str):
        raise TypeError(f"{where} must be a string. Received: {label}={quote(token)} of type "
                        f"{type(token).__name__}")
    return str(token)


def check_tokens(tokens, name):
    """Returns `tokens` (strings or UTF-8 bytes) as a list of str.

    Raises an error naming `name[i]` for a token that is not text, is empty,
    only whitespace, has leading or trailing whitespace, holds a line break,
    starts with a byte order mark, or repeats an earlier one.
    """
    if isinstance(tokens, (str, bytes, os.PathLike)):
        raise TypeError(
            f"`{name}` must be a list of tokens. Received: {name}={quote(os.fspath(tokens))}")
    if hasattr(tokens, "numpy"):
        tokens = tokens.numpy()
    if hasattr(tokens, "tolist"):  # numpy arrays
        tokens = tokens.tolist()
    checked, seen = [], {}
    for i, token in enumerate(tokens):
        text = _as_text(token, f"`{name}[{i}]`", f"{name}[{i}]")
        problem = token_problem(text)
        if problem:
            raise ValueError(f"`{name}[{i}]` {problem}. Received: {name}[{i}]={quote(text)}")
        if text in seen:
            raise ValueError(
                f"`{name}` must hold unique tokens. Received 1 repeated token: "
                f"{name}[{i}]={quote(text)}, as {name}[{seen[text]}]")
        seen[text] = i
        checked.append(text)
    return checked


def read_lines(path, max_bytes=None):
    """(line number, text) of each line of a UTF-8 text file, a leading byte
    order mark dropped; raises ValueError naming the line of invalid UTF-8,
    and past `max_bytes` bytes when given. Only regular files are read
    (`open_regular_file`). The file is streamed: vector files run to gigabytes."""
    with open_regular_file(path) as f:
        size = os.fstat(f.fileno()).st_size
        if max_bytes is not None and size > max_bytes:
            raise ValueError(f"{path} holds {size} bytes; at most {max_bytes} are read.")
        read = 0
        limit = -1 if max_bytes is None else max_bytes + 1
        for line_number, raw in enumerate(iter(lambda: f.readline(limit), b""), start=1):
            read += len(raw)
            if max_bytes is not None and read > max_bytes:
                raise ValueError(f"{path} grew past {max_bytes} bytes while it was read.")
            if line_number == 1 and raw.startswith(_BOM.encode()):
                raw = raw[len(_BOM.encode()):]
            raw = raw[:-1] if raw.endswith(b"\n") else raw
            raw = raw[:-1] if raw.endswith(b"\r") else raw
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise ValueError(
                    f"{path}:{line_number}: not valid UTF-8 ({e.reason} at byte {e.start} of "
                    f"the line). Received: {quote(raw)}") from None
            yield line_number, text


def load_vocabulary(path):
    """Tokens of a vocabulary file, in order: one per line, UTF-8, a byte
    order mark and empty lines at the end ignored.

    Raises ValueError naming the file and line of anything else that is not a
    token (see `check_tokens`), and of a token that appears twice.
    """
    lines = list(read_lines(path, MAX_VOCABULARY_FILE_BYTES))
    while lines and not lines[-1][1]:
        lines.pop()
    tokens, seen = [], {}
    for line_number, token in lines:
        problem = token_problem(token)
        if problem:
            raise ValueError(f"{path}:{line_number}: the line {problem}. Received: {quote(token)}")
        if token in seen:
            raise ValueError(
                f"{path}:{line_number}: token {quote(token)} already appeared on "
                f"line {seen[token]}; vocabularies must be unique."
            )
        seen[token] = line_number
        tokens.append(token)
    return tokens


def default_vocabulary():
    """(words, pieces) bundled with tf_dynemb, learned from the standard
    library's docstrings by scripts/make_default_vocabulary.py."""
    return load_vocabulary(DEFAULT_WORDS), load_vocabulary(DEFAULT_WORDPIECE)
