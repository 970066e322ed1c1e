"""Vocabularies learned from text: words counted, whole words chosen from the
counts, WordPiece pieces learned from them.

The one implementation behind `tf-dynemb learn-vocab` (its in-process counter
is `WordCounter`; its Beam pipeline counts by itself, then chooses with the
same functions) and the layers' `adapt()`, so both give the same vocabularies
for the same words. No TensorFlow here: TF Text's learner library is numpy.
"""

import collections
import contextlib
import math

from tf_dynemb.vocabulary import quote, token_problem

MAX_TOKENS = 5000
"""Whole words kept by default, most frequent first (learn-vocab's --words)."""
MIN_FREQUENCY = 2
"""A whole word must occur this many times by default (--min_word_count)."""
RESERVED_TOKENS = ("[UNK]",)
"""Pieces put first in a learned WordPiece vocabulary (--reserved_tokens)."""
MAX_DISTINCT_WORDS = 2_000_000
"""`adapt()` counts at most this many distinct words in memory by default
(about 0.5 GB of Python objects); more is an error, never a silent cut."""


class TooManyWordsError(ValueError):
    """The text has more distinct words than the counter may hold."""


class WordCounter:
    """Counts words (UTF-8 bytes or str) in memory, refusing to hold more than
    `max_distinct_words` distinct ones (None: no bound)."""

    def __init__(self, max_distinct_words=None):
        self.max_distinct_words = max_distinct_words
        self._counts = collections.Counter()

    def update(self, words):
        """Counts `words`; TooManyWordsError once the distinct words exceed
        the bound (the counts then hold at most one batch more)."""
        self._counts.update(words)
        if self.max_distinct_words is not None and len(self._counts) > self.max_distinct_words:
            raise TooManyWordsError(
                f"The text has more than {self.max_distinct_words} distinct words, the most "
                f"`max_distinct_words` lets the counter hold in memory. Pass a larger "
                f"`max_distinct_words`, adapt on a sample, or count with `tf-dynemb "
                f"learn-vocab` (Apache Beam), which gives the same vocabularies.")

    def counts(self):
        """{word (str): count}; ValueError naming a word that is not UTF-8."""
        counts = {}
        for word, n in self._counts.items():
            if isinstance(word, bytes):
                try:
                    word = word.decode("utf-8")
                except UnicodeDecodeError as e:
                    raise ValueError(f"A word is not valid UTF-8 ({e.reason} at byte {e.start}). "
                                     f"Received: {quote(word)}") from None
            counts[word] = counts.get(word, 0) + n
        return counts


def most_frequent(counts, n=None):
    """(word, count) pairs of {word: count}, most frequent first, ties in byte
    order."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ranked if n is None else ranked[:n]


def select_words(counts, max_tokens=MAX_TOKENS, min_frequency=MIN_FREQUENCY):
    """The whole-word vocabulary: the `max_tokens` (None: all) most frequent
    words of {word: count} that occur at least `min_frequency` times."""
    words = [w for w, n in most_frequent(counts) if n >= min_frequency]
    return words if max_tokens is None else words[:max_tokens]


def check_words(counts):
    """Raises ValueError for the first counted word that cannot be a
    vocabulary token (whitespace at its ends, a line break...)."""
    for word in counts:
        problem = token_problem(word)
        if problem:
            raise ValueError(f"The word {quote(word)} {problem}, so it cannot be a vocabulary "
                             f"token; give words without it (TextEmbedding and learn-vocab split text at "
                             f"whitespace, byte order marks and NUL first).")


class _NoProgress:
    def update(self, n):
        pass


def learn_pieces(counts, vocab_size, reserved_tokens=RESERVED_TOKENS, suffix_indicator="##",
                 max_piece_length=50, max_unique_chars=1000, slack_ratio=0.05,
                 size_name="vocab_size", progress=None):
    """Pieces (reserved tokens first) for the {word: count} `counts`: at most
    `vocab_size` of them, and at least `vocab_size * (1 - slack_ratio)` when
    there is enough text for it. TF Text's learner (the one behind
    `bert_vocab_from_dataset`) does the work; this drives its search for the
    frequency threshold that gives the size, each trial shown on
    `progress(total)` (a context manager with `update(n)`), if given.
    ValueError, naming `size_name`, when the characters alone need more.
    Words holding a NUL byte are left out: no piece can hold one, so no
    pieces ever split them (as the learner leaves out words longer than
    `max_piece_length`)."""
    from tensorflow_text.tools.wordpiece_vocab import wordpiece_tokenizer_learner_lib as lib

    params = lib.Params(
        upper_thresh=int(1e7), lower_thresh=1, num_iterations=4, max_input_tokens=int(5e6),
        max_token_length=max_piece_length, max_unique_chars=max_unique_chars,
        vocab_size=vocab_size, slack_ratio=slack_ratio, include_joiner_token=True,
        joiner=suffix_indicator, reserved_tokens=list(reserved_tokens))
    pairs = [(word, count) for word, count in counts.items() if "\x00" not in word]
    if not pairs:
        raise ValueError("Cannot learn pieces: every word holds a NUL byte, which no piece can "
                         f"hold. Received {len(counts)} distinct words, e.g. "
                         f"{quote(next(iter(counts), ''))}")
    upper, lower = lib.get_search_threshs(pairs, params.upper_thresh, params.lower_thresh)
    words = lib.get_input_words(pairs, params.reserved_tokens, params.max_token_length)
    allowed = lib.get_allowed_chars(words, params.max_unique_chars)
    words = lib.filter_input_words(words, allowed, params.max_input_tokens)
    # Binary search over the threshold: a piece must occur `threshold` times.
    # A higher threshold gives fewer pieces; keep the largest vocabulary that fits.
    best = None
    steps = max(1, math.ceil(math.log2(max(upper - lower, 1) + 1)) + 1)
    shown = progress(steps) if progress else contextlib.nullcontext(_NoProgress())
    with shown as trials:
        while lower <= upper:
            threshold = (lower + upper) // 2
            vocab = lib.learn_with_thresh(words, threshold, params)
            trials.update(1)
            if len(vocab) <= vocab_size:
                if best is None or len(vocab) > len(best):
                    best = vocab
                if vocab_size - len(vocab) <= slack_ratio * vocab_size:
                    break
                upper = threshold - 1
            else:
                lower = threshold + 1
    if best is None:
        raise ValueError(
            f"{size_name}={vocab_size} is too small: the text's characters alone, with "
            f"and without {suffix_indicator!r}, need {len(vocab)} pieces.")
    return best
