"""Pretrained word vectors in the word2vec / GloVe / fastText `.vec` text
format: one `word v1 v2 ... vD` per line, with an optional `COUNT D` header."""

import numpy as np


def load_text_vectors(path, max_words=None):
    """Returns (words, vectors [N, D] float32) from a text vectors file.

    Raises ValueError naming the file and line of anything malformed: a wrong
    number of values, a value that is not a number, a repeated word.
    """
    words, rows, seen, dim = [], [], {}, None
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line_number, line in enumerate(f, start=1):
            parts = line.rstrip("\r\n").split(" ")
            if line_number == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                dim = int(parts[1])  # word2vec header: COUNT DIM
                continue
            if not line.strip():
                continue
            word, values = parts[0], [p for p in parts[1:] if p]
            if dim is None:
                dim = len(values)
            if len(values) != dim or dim == 0:
                raise ValueError(
                    f"{path}:{line_number}: expected a word and {dim} values, "
                    f"got {len(values)} values for {word!r:.40}."
                )
            try:
                row = np.asarray(values, dtype=np.float32)
            except ValueError:
                raise ValueError(
                    f"{path}:{line_number}: a value of {word!r:.40} is not a number."
                ) from None
            if word in seen:
                raise ValueError(
                    f"{path}:{line_number}: {word!r:.40} already appeared on line "
                    f"{seen[word]}."
                )
            seen[word] = line_number
            words.append(word)
            rows.append(row)
            if max_words is not None and len(words) >= max_words:
                break
    if not words:
        raise ValueError(f"{path}: no vectors found.")
    return words, np.stack(rows)
