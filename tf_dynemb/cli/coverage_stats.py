"""How a corpus's words land in a vocabulary model: word, pieces, bucket or
unknown, by token and by distinct word; pieces per split word; bucket load."""

import dataclasses

import numpy as np

from tf_dynemb import contract
from tf_dynemb.cli.progress import bar

# The kinds a corpus word can take (never PAD: words are not empty), by code.
KIND_NAMES = {code: contract.KIND_NAMES[code].lower()
              for code in (contract.WORD, contract.PIECES, contract.BUCKET, contract.UNKNOWN)}
CHUNK_WORDS = 50_000


@dataclasses.dataclass
class Coverage:
    tokens: int
    distinct: int
    tokens_by_kind: dict  # kind name -> tokens
    distinct_by_kind: dict  # kind name -> distinct words
    pieces_per_word: dict  # pieces m -> {"distinct": n, "tokens": n}, over split words
    top_oov: list  # [{"word", "count", "kind", "split"}], most frequent first
    num_buckets: int
    bucket_load: dict  # distinct words in a bucket -> number of buckets
    bucket_collision_rate: float  # of distinct bucket words, the share sharing a bucket
    bucket_token_collision_rate: float  # the same, weighted by token counts

    def share(self, kind, by="tokens"):
        table, total = ((self.tokens_by_kind, self.tokens) if by == "tokens"
                        else (self.distinct_by_kind, self.distinct))
        return table[kind] / total if total else 0.0

    def as_dict(self):
        out = dataclasses.asdict(self)
        out["token_shares"] = {k: self.share(k) for k in KIND_NAMES.values()}
        out["distinct_shares"] = {k: self.share(k, "distinct") for k in KIND_NAMES.values()}
        return out


def _segment(words, vocabulary_model):
    """(kind [N], rows per word [N], flat rows, row_word) for a list of str."""
    import tensorflow as tf

    import tf_dynemb

    row_ids, _, row_word, kind = tf_dynemb.segment(tf.constant(words, tf.string), vocabulary_model)
    row_word = row_word.numpy()
    return kind.numpy(), np.bincount(row_word, minlength=len(words)), row_ids.numpy(), row_word


def measure(counts, vocabulary_model, config, top=20):
    """Coverage of the {word: count} `counts` by `vocabulary_model`
    (`build_model`'s tensor), whose `VocabularyConfig` is `config`."""
    words = sorted(counts, key=lambda w: (-counts[w], w))
    freq = np.array([counts[w] for w in words], dtype=np.int64)
    kind = np.zeros(len(words), np.int32)
    num_rows = np.zeros(len(words), np.int64)
    first_row = np.full(len(words), -1, np.int64)
    with bar(total=len(words), desc="looking up words", unit="word") as progress:
        for start in range(0, len(words), CHUNK_WORDS):
            chunk = slice(start, start + CHUNK_WORDS)
            k, n, row_ids, row_word = _segment(words[chunk], vocabulary_model)
            kind[chunk], num_rows[chunk] = k, n
            first = np.searchsorted(row_word, np.arange(len(k)))
            if len(row_ids):
                first_row[chunk] = np.where(n > 0, row_ids[np.minimum(first, len(row_ids) - 1)],
                                            -1)
            progress.update(len(k))
    top_oov = np.flatnonzero(kind != contract.WORD)[:top]
    splits = _splits([words[i] for i in top_oov], vocabulary_model, config) if len(top_oov) else []
    return _summarize(words, freq, kind, num_rows, first_row, dict(zip(top_oov, splits)), config)


def _splits(words, vocabulary_model, config):
    """How each word is embedded, in words: its pieces, its bucket, or unknown."""
    kind, n, row_ids, row_word = _segment(words, vocabulary_model)
    num_words, num_pieces = len(config.words), len(config.pieces)
    shown = []
    for i, k in enumerate(kind):
        rows = row_ids[row_word == i]
        if k == contract.PIECES:
            shown.append(" ".join(config.pieces[r - num_words].decode("utf-8", "replace")
                                  for r in rows))
        elif k == contract.BUCKET:
            shown.append(f"bucket {rows[0] - num_words - num_pieces}")
        else:
            shown.append("unknown")
    return shown


def _summarize(words, freq, kind, num_rows, first_row, splits, config):
    tokens_by_kind, distinct_by_kind = {}, {}
    for code, name in KIND_NAMES.items():
        tokens_by_kind[name] = int(freq[kind == code].sum())
        distinct_by_kind[name] = int((kind == code).sum())
    is_split = kind == contract.PIECES
    pieces_per_word = {
        int(m): {"distinct": int((num_rows[is_split] == m).sum()),
                 "tokens": int(freq[is_split][num_rows[is_split] == m].sum())}
        for m in np.unique(num_rows[is_split])
    }
    num_words, num_pieces = len(config.words), len(config.pieces)
    top_oov = [{"word": words[i], "count": int(freq[i]), "kind": KIND_NAMES[int(kind[i])],
                "split": split} for i, split in splits.items()]
    in_bucket = kind == contract.BUCKET
    buckets = first_row[in_bucket] - num_words - num_pieces
    load = np.bincount(buckets, minlength=config.num_oov_buckets) if config.num_oov_buckets \
        else np.zeros(0, np.int64)
    shared = load[buckets] > 1 if len(buckets) else np.zeros(0, bool)
    bucket_tokens = freq[in_bucket]
    return Coverage(
        tokens=int(freq.sum()),
        distinct=len(words),
        tokens_by_kind=tokens_by_kind,
        distinct_by_kind=distinct_by_kind,
        pieces_per_word=pieces_per_word,
        top_oov=top_oov,
        num_buckets=config.num_oov_buckets,
        bucket_load={int(n): int(b) for n, b in enumerate(np.bincount(load)) if b} if len(load)
        else {},
        bucket_collision_rate=float(shared.mean()) if len(buckets) else 0.0,
        bucket_token_collision_rate=float(bucket_tokens[shared].sum() / bucket_tokens.sum())
        if len(buckets) else 0.0,
    )
