"""Pretrained word vectors in the word2vec / GloVe / fastText `.vec` text
format: one `word v1 v2 ... vD` per line, with an optional `COUNT D` header."""

import numpy as np

from tf_dynemb.numbered_names import plain_number
from tf_dynemb.vocabulary import check_unique_tokens, quote, read_lines


def load_text_vectors(path, max_words=None):
    """Returns (words, vectors [N, D] float32) from a text vectors file.

    Raises ValueError naming the file and line of anything malformed: invalid
    UTF-8, a header whose numbers are not ASCII decimals, a wrong number of
    values, a value that is not a finite float32 number, a word that cannot be
    a vocabulary token, a repeated word. A
    leading byte order mark and blank lines are ignored.
    """
    words, line_numbers, rows, dim, count = [], [], [], None, None
    for line_number, line in read_lines(path):
        parts = line.split(" ")
        if line_number == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
            try:  # word2vec header: COUNT DIM
                count, dim = plain_number(parts[0]), plain_number(parts[1])
            except ValueError as e:
                raise ValueError(f"{path}:{line_number}: a header `COUNT DIM` must be plain "
                                 f"numbers: {e}.") from None
            continue
        if not line.strip():
            continue
        if count is not None and len(words) == count:
            raise ValueError(f"{path}:{line_number}: the header promises {count} vectors; the "
                             "file holds more.")
        word, values = parts[0], [p for p in parts[1:] if p]
        if dim is None:
            dim = len(values)
        if len(values) != dim or dim == 0:
            raise ValueError(
                f"{path}:{line_number}: expected a word and {dim} values, "
                f"got {len(values)} values for {quote(word)}."
            )
        try:
            with np.errstate(over="ignore"):
                row = np.asarray(values, dtype=np.float32)
        except ValueError:
            raise ValueError(
                f"{path}:{line_number}: a value of {quote(word)} is not a number."
            ) from None
        if not np.all(np.isfinite(row)):
            bad = values[int(np.argmin(np.isfinite(row)))]
            raise ValueError(
                f"{path}:{line_number}: value {quote(bad)} of {quote(word)} is not a finite "
                "float32 number (NaN, infinite, or beyond 3.4e38).")
        line_numbers.append(line_number)
        words.append(word)
        rows.append(row)
        if max_words is not None and len(words) >= max_words:
            break
    if not words:
        raise ValueError(f"{path}: no vectors found.")
    check_unique_tokens(
        words, lambda i: (f"{path}:{line_numbers[i]}: the word", ""),
        lambda i, first: (f"{path}:{line_numbers[i]}: {quote(words[i])} already appeared on "
                          f"line {line_numbers[first]}."))
    wanted = count if max_words is None or count is None else min(count, max_words)
    if wanted is not None and len(words) < wanted:
        raise ValueError(f"{path}: the header promises {count} vectors; the file holds "
                         f"{len(words)} (truncated?).")
    return words, np.stack(rows)


def check_table_rows(matrix, source, words):
    """`matrix` as float32 rows; raises ValueError naming `source` and the
    first row (and its word) holding a value that is not a finite float32
    number, or when it does not hold numbers."""
    matrix = np.asarray(matrix)
    if not np.issubdtype(matrix.dtype, np.number):
        raise ValueError(f"{source} holds {matrix.dtype} values; expected numbers.")
    with np.errstate(over="ignore", invalid="ignore"):
        rows = matrix.astype(np.float32)
    finite = np.isfinite(rows).reshape(len(rows), -1).all(axis=1) if rows.ndim else True
    if not np.all(finite):
        row = int(np.argmin(finite))
        word = f" ({quote(words[row])})" if row < len(words) else ""
        raise ValueError(f"{source}: row {row}{word} holds a value that is not a finite float32 "
                         "number (NaN, infinite, or beyond 3.4e38).")
    return rows
