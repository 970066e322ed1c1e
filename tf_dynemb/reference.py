"""The lookup contract written with stock TensorFlow and TF Text ops only.

It is the oracle of the tests and the `portable` export flavor: a SavedModel
made from it runs on a stock `tensorflow_model_server`.
"""

import collections
import dataclasses
import itertools

import numpy as np
import tensorflow as tf
import tensorflow_text as tf_text
from tensorflow_text.core.pybinds import pywrap_fast_wordpiece_tokenizer_model_builder

from tf_dynemb import char_ngrams, contract
from tf_dynemb.contract import row_weights
from tf_dynemb.model_format import VocabularyConfig, decode_model
from tf_dynemb.ops import check_lookup_args

_SENTINEL_STEM = b"tf_dynemb:unsplittable>"


def _as_bytes(token):
    return token.encode("utf-8", "surrogateescape") if isinstance(token, str) else bytes(token)


def _suffix_bytes(config):
    return config.suffix_indicator.encode("utf-8", "surrogateescape")


def _sentinel(config):
    """A token no split word can match: longer than max_bytes_per_word (at
    most 255, so it fits FastWordpiece's 256 bytes), not a continuation piece,
    not one of the pieces (a counter grows until none is: a finite vocabulary
    cannot hold them all; 255 bytes leave room for any counter it needs)."""
    pieces = set(config.pieces)
    first = b"<" if _suffix_bytes(config)[0] != ord("<") else b"!"
    for count in itertools.count():
        sentinel = first + _SENTINEL_STEM + (str(count).encode() if count else b"")
        sentinel += b"~" * max(0, config.max_bytes_per_word + 1 - len(sentinel))
        if sentinel not in pieces:
            return sentinel


def _wordpiece_model(config, sentinel):
    """The FastWordpiece model bytes that FastWordpieceTokenizer(vocab=...)
    would build; tokens go as bytes, so invalid UTF-8 stays as it is."""
    buf = pywrap_fast_wordpiece_tokenizer_model_builder.build_fast_wordpiece_model(
        list(config.pieces) + [sentinel], config.max_bytes_per_word, _suffix_bytes(config),
        sentinel, True, False)
    return tf.constant(np.frombuffer(buf, np.uint8))


def fingerprint(tensor):
    """Fingerprint64 of a tensor's bytes (strings: of their fingerprints, so
    boundaries count), as a uint8 [8] tensor; stock ops only."""
    if tensor.dtype == tf.string:
        tensor = tf.fingerprint(tensor)
    return tf.fingerprint(tf.reshape(tensor, [1, -1]))[0]


class _CheckedInitializer(tf.lookup.KeyValueTensorInitializer):
    """Fills the word table once its keys, values and every other vocabulary
    constant match the fingerprints taken when the lookup was built.

    A SavedModel runs table initializers when it is loaded, so a damaged
    constant fails the load with a message naming it, before any request (and
    before TF Text reads a byte of a damaged WordPiece model)."""

    def __init__(self, keys, values, extra):
        super().__init__(keys, values)
        self._checked = {"word strings": keys, "word ids": values, **extra}
        self._expected = {name: fingerprint(t).numpy() for name, t in self._checked.items()}

    def initialize(self, table):
        checks = []
        for name, tensor in self._checked.items():
            intact = tf.reduce_all(tf.equal(fingerprint(tensor), self._expected[name]))
            checks.append(tf.debugging.Assert(intact, [
                f"tf_dynemb: the {name} constant of this portable model is damaged "
                "(its fingerprint changed since export); re-export the model."]))
        with tf.control_dependencies(checks):
            return super().initialize(table)


def _check_config(config):
    """ValueError, naming the value, for a vocabulary the stock path cannot
    hold as the contract says: `build_model`'s rules, written again here (not
    by calling the op library) so that the tests compare two refusals."""
    suffix = _suffix_bytes(config)

    def refuse(rule, received):
        raise ValueError(f"{rule}. Received: {received}")

    if config.num_oov_buckets < 0:
        refuse("`num_oov_buckets` must be >= 0", f"num_oov_buckets={config.num_oov_buckets}")
    if not 1 <= config.max_bytes_per_word <= 255:  # the sentinel fits FastWordpiece's 256
        refuse("`max_bytes_per_word` must be in [1, 255]",
               f"max_bytes_per_word={config.max_bytes_per_word}")
    if not 1 <= len(suffix) <= 64 or b"\x00" in suffix:
        refuse("`suffix_indicator` must have 1 to 64 bytes, none of them NUL",
               f"suffix_indicator={suffix!r}")
    for i, word in enumerate(config.words):
        if not word:  # "" is padding
            refuse("`words` must not contain the empty string", f"words[{i}]=''")
    for i, piece in enumerate(config.pieces):
        if not piece or b"\x00" in piece:
            refuse("`pieces` must be non-empty and free of NUL bytes", f"pieces[{i}]={piece!r}")
        if len(piece) - (len(suffix) if piece.startswith(suffix) else 0) > 256:
            refuse("`pieces` may hold at most 256 bytes each, not counting a leading suffix "
                   "indicator", f"pieces[{i}] of {len(piece)} bytes")
    for name, tokens in (("words", config.words), ("pieces", config.pieces)):
        if len(set(tokens)) != len(tokens):
            repeated = next(t for t, n in collections.Counter(tokens).items() if n > 1)
            refuse(f"`{name}` must be unique", f"a repeated one: {repeated!r}")
    if config.unknown_token is not None and config.unknown_token not in config.pieces:
        refuse("`unknown_token` must be one of `pieces`",
               f"unknown_token={config.unknown_token!r:.80}")
    if config.num_ngram_buckets < 0:
        refuse("`num_ngram_buckets` must be >= 0", f"num_ngram_buckets={config.num_ngram_buckets}")
    if not 1 <= config.min_n <= config.max_n <= 16:
        refuse("n-gram lengths must satisfy 1 <= `min_n` <= `max_n` <= 16",
               f"min_n={config.min_n}, max_n={config.max_n}")
    if not isinstance(config.compose_words, bool):
        raise TypeError(f"`compose_words` must be True or False. Received: "
                        f"compose_words={config.compose_words!r:.80}")


class ReferenceLookup(tf.Module):
    """Stock-op lookup for one vocabulary: StaticHashTable for words,
    FastWordpieceTokenizer for pieces, to_hash_bucket_fast for buckets.

    It accepts the vocabularies `build_model` accepts and refuses the others
    with ValueError; it checks them itself (`_check_config`), without the op
    library, so that it stays an independent oracle. Its vocabulary constants
    are fingerprinted when it is built and checked whenever its word table is
    initialized (at construction, and when a SavedModel holding it is
    loaded)."""

    def __init__(self, config: VocabularyConfig, name=None):
        super().__init__(name=name)
        config = dataclasses.replace(
            config, words=tuple(map(_as_bytes, config.words)),
            pieces=tuple(map(_as_bytes, config.pieces)),
            unknown_token=None if config.unknown_token is None else _as_bytes(
                config.unknown_token))
        _check_config(config)
        self.config = config
        self._num_words = len(config.words)
        self._num_pieces = len(config.pieces)
        extra = {}
        self._tokenizer = None
        if config.pieces:
            self._sentinel_id = self._num_pieces
            wordpiece_model = _wordpiece_model(config, _sentinel(config))
            extra["WordPiece model"] = wordpiece_model
            self._tokenizer = tf_text.FastWordpieceTokenizer(
                model_buffer=wordpiece_model, token_out_type=tf.int64)
        # Padding ("", never a word) maps to -1 as misses do; it keeps the
        # table non-empty, as LookupTableImportV2 requires.
        self._word_table = tf.lookup.StaticHashTable(
            _CheckedInitializer(
                tf.constant([b""] + list(config.words), tf.string),
                tf.range(-1, self._num_words, dtype=tf.int64),
                extra,
            ),
            default_value=-1,
        )
        self._unknown_row = -1
        if config.unknown_token is not None:
            self._unknown_row = self._num_words + list(config.pieces).index(
                config.unknown_token
            )

    def rows(self, flat_words, compose_words=None):
        """Row ids `[N, (rows)]` (ragged, int64) and kinds `[N]` of 1-D words:
        a word's own row, bucket or unknown row first, then its pieces, then
        its n-grams, as the contract orders them. `compose_words` overrides
        the config's (an export serves folded words with False)."""
        config = self.config
        if compose_words is None:
            compose_words = config.compose_words
        n = tf.shape(flat_words, out_type=tf.int64)[0]
        is_pad = tf.equal(flat_words, "")
        word_id = self._word_table.lookup(flat_words)
        is_word = word_id >= 0
        split = self._pieces_of(flat_words, n)
        ngrams = char_ngrams.ngram_rows(
            flat_words, config.num_ngram_buckets, config.min_n, config.max_n,
            config.max_bytes_per_word, offset=self._num_words + self._num_pieces
            + config.num_oov_buckets)
        has_pieces = (~is_pad) & (split.row_lengths() > 0)
        has_ngrams = (~is_pad) & (ngrams.row_lengths() > 0)
        is_pieces = (~is_word) & has_pieces
        is_ngrams = (~is_word) & (~has_pieces) & has_ngrams
        rest = (~is_pad) & (~is_word) & (~is_pieces) & (~is_ngrams)
        num_buckets = config.num_oov_buckets
        if num_buckets > 0:
            is_bucket, is_unknown = rest, tf.zeros_like(rest)
            bucket_row = (
                tf.strings.to_hash_bucket_fast(flat_words, num_buckets)
                + self._num_words + self._num_pieces
            )
        else:
            is_bucket, is_unknown = tf.zeros_like(rest), rest
            bucket_row = tf.zeros([n], tf.int64)
        single_row = tf.where(is_word, word_id, tf.where(is_bucket, bucket_row, self._unknown_row))
        has_single = is_word | is_bucket | (is_unknown & (self._unknown_row >= 0))
        # A listed word pools its subwords too when the model composes words.
        subwords = (is_word & compose_words) | is_pieces | is_ngrams
        rows = tf.concat([
            tf.RaggedTensor.from_row_lengths(
                tf.boolean_mask(single_row, has_single), tf.cast(has_single, tf.int64)),
            _rows_where(split, subwords & has_pieces),
            _rows_where(ngrams, subwords),
        ], axis=1)
        kind = tf.zeros([n], tf.int32)
        for mask, value in ((is_word, contract.WORD), (is_pieces, contract.PIECES),
                            (is_ngrams, contract.NGRAMS), (is_bucket, contract.BUCKET),
                            (is_unknown, contract.UNKNOWN)):
            kind = tf.where(mask, value, kind)
        return rows, kind

    def _pieces_of(self, flat_words, n):
        """Ragged piece rows `[N, (pieces)]` of the words WordPiece splits
        (no rows for the others)."""
        if self._tokenizer is None:
            return tf.RaggedTensor.from_row_lengths(
                tf.zeros([0], tf.int64), tf.zeros([n], tf.int64))
        split = self._tokenizer.tokenize(flat_words)
        lengths = split.row_lengths()
        # The sentinel matches no word, so holding its id means failure.
        failed = tf.reduce_any(tf.equal(split, self._sentinel_id), axis=1)
        return _rows_where(split + self._num_words, (lengths > 0) & (~failed))

    def __call__(self, words, table, combiner="mean", return_kind=False, compose_words=None):
        if isinstance(words, tf.RaggedTensor):
            embeddings, kind = self(words.flat_values, table, combiner, True, compose_words)
            embeddings, kind = words.with_flat_values(embeddings), words.with_flat_values(kind)
            return (embeddings, kind) if return_kind else embeddings
        table = tf.convert_to_tensor(table) if not isinstance(table, tf.Variable) else table
        flat = tf.reshape(words, [-1])
        rows, kind = self.rows(flat, compose_words)
        gathered = tf.cast(tf.gather(table, rows.flat_values), tf.float32)
        sums = tf.reduce_sum(rows.with_flat_values(gathered), axis=1)
        sums = sums * row_weights(rows.row_lengths(), combiner)[:, tf.newaxis]
        dim = tf.shape(table)[1:2]
        shape = tf.concat([tf.shape(words), dim], axis=0)
        embeddings = tf.reshape(tf.cast(sums, table.dtype), shape)
        kind = tf.reshape(kind, tf.shape(words))
        return (embeddings, kind) if return_kind else embeddings


def _rows_where(rows, keep):
    """The ragged `rows` with every row not in `keep` emptied."""
    lengths = rows.row_lengths()
    values = tf.boolean_mask(rows.flat_values, tf.repeat(keep, lengths))
    return tf.RaggedTensor.from_row_lengths(values, tf.where(keep, lengths, 0))


def reference_lookup(words, table, vocabulary_model, combiner="mean", return_kind=False):
    """`tf_dynemb.lookup` written with stock ops only; same signature.

    A convenience: it reads the vocabularies back from the model buffer with
    `decode_model` (the library's own decoder), so it is no independent oracle
    of that buffer; the tests build `ReferenceLookup` from the vocabulary lists
    instead. `vocabulary_model` must have a value known here (the eager tensor of
    build_model).
    """
    words, table, vocabulary_model = check_lookup_args(words, table, vocabulary_model, combiner)
    return ReferenceLookup(decode_model(vocabulary_model))(words, table, combiner, return_kind)
