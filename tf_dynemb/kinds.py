"""How each word was embedded: the `kind` output of a lookup."""

PAD = 0  # The empty string: a zero vector.
WORD = 1  # A whole-vocabulary word: its own row.
PIECES = 2  # Out of vocabulary, split into WordPiece pieces: pooled rows.
BUCKET = 3  # Not splittable: a hash-bucket row.
UNKNOWN = 4  # No bucket: the unknown token's row, or a zero vector.
NGRAMS = 5  # Out of vocabulary, not splittable: pooled character n-gram rows.

KIND_NAMES = ("PAD", "WORD", "PIECES", "BUCKET", "UNKNOWN", "NGRAMS")  # Indexed by kind.
