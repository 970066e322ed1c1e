"""What stripping accents does to each code point, from Python's `unicodedata`.

A code point c becomes NFD(c) without its combining marks (general category
Mn), as BERT's `_run_strip_accents` and keras-hub's `WordPieceTokenizer`
(`normalize_utf8(..., "NFD")`, then `\\p{Mn}` removed) define it. Hangul
syllables decompose to their jamo. Only the code points that change are kept:
about 15,000 of them (Unicode 14: 2,000 marks removed, 11,172 Hangul
syllables, the rest precomposed letters).

Applied code point by code point, this equals NFD + Mn removal on whole
strings except where NFD would reorder two adjacent combining characters that
are not Mn (25 spacing marks with a nonzero combining class, such as the
musical symbols U+1D165..U+1D172); those keep their order here.
"""

import functools
import unicodedata

import numpy as np

UNICODE_VERSION = unicodedata.unidata_version
"""The Unicode version of the table: that of the Python that builds it."""


def strip_accents_of(text):
    """`text` with its accents stripped, in Python (the table's definition)."""
    return "".join(c for c in unicodedata.normalize("NFD", text)
                   if unicodedata.category(c) != "Mn")


@functools.lru_cache(maxsize=1)
def accent_table():
    """(code_points, splits, replacements): the sorted int32 code points that
    stripping changes; code point `code_points[i]` becomes the int32 code
    points `replacements[splits[i]:splits[i + 1]]` (possibly none)."""
    code_points, splits, replacements = [], [0], []
    for code_point in range(0x110000):
        if 0xD800 <= code_point < 0xE000:
            continue  # surrogates: never decoded from UTF-8
        char = chr(code_point)
        if unicodedata.category(char) == "Cn":
            continue  # unassigned: NFD keeps it
        stripped = strip_accents_of(char)
        if stripped != char:
            code_points.append(code_point)
            replacements.extend(ord(c) for c in stripped)
            splits.append(len(replacements))
    return (np.array(code_points, np.int32), np.array(splits, np.int64),
            np.array(replacements, np.int32))



ACCENT_BLOCK_BITS = 8
"""`accent_lookup` looks code points up by blocks of 2**8."""
ACCENT_COUNT_BITS = 2
"""An `accent_lookup` entry's low bits: how many code points one becomes (at most 3)."""
REPLACEMENTS_START = 0x110000
"""Where, in `accent_lookup` entries, the replacements start: past the last code point."""


@functools.lru_cache(maxsize=1)
def accent_lookup():
    """(blocks, entries): what stripping makes of each code point c: with
    B = ACCENT_BLOCK_BITS, `entries[blocks[c >> B] << B | c % 2**B]` is -1
    where c is kept, else `(REPLACEMENTS_START + start) << ACCENT_COUNT_BITS
    | count`: c becomes `accent_table()[2][start:start + count]`. Identical
    blocks (most: all -1) are stored once; `blocks` is int16, `entries` int32."""
    code_points, splits, _ = accent_table()
    counts = np.diff(splits)
    assert counts.max() < 1 << ACCENT_COUNT_BITS, counts.max()
    entry = np.full(0x110000, -1, np.int64)
    entry[code_points] = (REPLACEMENTS_START + splits[:-1]) << ACCENT_COUNT_BITS | counts
    assert entry.max() < 1 << 31, entry.max()
    unique, blocks = np.unique(entry.reshape(-1, 1 << ACCENT_BLOCK_BITS), axis=0,
                               return_inverse=True)
    assert len(unique) < 1 << 15, len(unique)
    return blocks.reshape(-1).astype(np.int16), unique.reshape(-1).astype(np.int32)
