"""Embedding layers compared by quality_bench.py: the baselines and stock-op
prototypes of the subword modes proposed for DynamicEmbedding.

Every layer maps a batch of words (string [B]) to vectors [B, D]; the bench
puts the same softmax head on each. Tables are laid out as the contract's:
`[words | pieces | oov buckets | n-gram buckets]`.
"""


import keras
import keras_hub
import tensorflow as tf
import tensorflow_text as tf_text

from tf_dynemb.layers import DynamicEmbedding
from tf_dynemb.char_ngrams import ngram_rows

UNKNOWN_PIECE = "[UNK]"
MODES = ("compose", "ngrams", "dropout")


def mean_of_rows(table, rows):
    """Mean of each word's rows of `table` (ragged int [N, (rows)]); no rows: zeros."""
    vectors = tf.gather(table, rows.flat_values)
    sums = tf.math.unsorted_segment_sum(vectors, rows.value_rowids(), rows.nrows())
    counts = tf.cast(tf.maximum(rows.row_lengths(), 1), table.dtype)
    return sums / counts[:, None]


def keep_rows_of(rows, keep):
    """`rows` with the rows of every word whose `keep` is False removed."""
    keep_values = tf.repeat(keep, rows.row_lengths())
    return tf.RaggedTensor.from_row_lengths(
        tf.boolean_mask(rows.flat_values, keep_values),
        rows.row_lengths() * tf.cast(keep, rows.row_lengths().dtype), validate=False)


class MeanEmbedding(keras.layers.Layer):
    """A table and the mean of each word's rows; subclasses say which rows."""

    def __init__(self, output_dim, **kwargs):
        super().__init__(**kwargs)
        self.output_dim = output_dim

    @property
    def num_rows(self):
        raise NotImplementedError

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(
            shape=(self.num_rows, self.output_dim), initializer="uniform", name="embeddings")

    def rows(self, flat_words, training):
        raise NotImplementedError

    def call(self, inputs, training=None):
        return mean_of_rows(self.embeddings, self.rows(tf.reshape(inputs, [-1]), training))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:1]) + (self.output_dim,)


class WordPieceMeanEmbedding(MeanEmbedding):
    """keras-hub's WordPieceTokenizer (each input is one word) and the mean of its pieces."""

    def __init__(self, output_dim, pieces, **kwargs):
        super().__init__(output_dim, **kwargs)
        self.tokenizer = keras_hub.tokenizers.WordPieceTokenizer(
            vocabulary=list(pieces), split=False, oov_token=UNKNOWN_PIECE, dtype="int64")
        self._num_pieces = len(pieces)

    @property
    def num_rows(self):
        return self._num_pieces

    def rows(self, flat_words, training):
        # With split=False a [N] input is one word sequence; [N, 1] gives [N, (pieces)].
        return self.tokenizer.tokenize(flat_words[:, None])


class SubwordEmbedding(MeanEmbedding):
    """Stock-op prototype of the subword modes (table `[words | pieces | K | G]`).

    S(w) = WordPiece rows of w (if it splits) ++ its hashed character n-grams.
    - `compose`: a vocabulary word pools [word row] ++ S(w); other words S(w).
    - `ngrams`: every word pools its n-gram rows only (no words, no pieces).
    - `dropout`: a vocabulary word takes its row, but in training it takes
      S(w) instead with probability `subword_dropout`; other words S(w).
    `oov_pieces=False` leaves the pieces out of S(w) for out-of-vocabulary
    words (n-grams only). A word with no rows at all takes a hash bucket.
    """

    def __init__(self, output_dim, words=(), pieces=(), mode="compose", num_oov_buckets=1000,
                 num_ngram_buckets=200_000, min_n=3, max_n=6, subword_dropout=0.0,
                 oov_pieces=True, max_bytes_per_word=100, seed=0, **kwargs):
        super().__init__(output_dim, **kwargs)
        if mode not in MODES:
            raise ValueError(f"`mode` must be one of {MODES}. Received: mode={mode!r}")
        if mode == "ngrams":
            words, pieces = (), ()
        self.mode, self.subword_dropout, self.oov_pieces = mode, subword_dropout, oov_pieces
        self.num_ngram_buckets, self.min_n, self.max_n = num_ngram_buckets, min_n, max_n
        self.num_oov_buckets, self.max_bytes_per_word = num_oov_buckets, max_bytes_per_word
        self.num_words, self.num_pieces = len(words), len(pieces)
        self._seed = keras.random.SeedGenerator(seed)
        self._words = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(list(words) or [""], tf.string),
                tf.range(max(len(words), 1), dtype=tf.int64)),
            default_value=-1)
        self._pieces = None
        if pieces:
            self._pieces = tf_text.FastWordpieceTokenizer(
                vocab=list(pieces), token_out_type=tf.int64, unknown_token=UNKNOWN_PIECE,
                no_pretokenization=True, max_bytes_per_word=max_bytes_per_word,
                support_detokenization=False)
            self._unknown_piece = list(pieces).index(UNKNOWN_PIECE)

    @property
    def num_rows(self):
        return self.num_words + self.num_pieces + self.num_oov_buckets + self.num_ngram_buckets

    def _piece_rows(self, flat_words):
        if self._pieces is None:
            return tf.RaggedTensor.from_row_lengths(
                tf.zeros([0], tf.int64), tf.zeros(tf.shape(flat_words), tf.int64))
        pieces = self._pieces.tokenize(flat_words)
        split = tf.reduce_all(tf.not_equal(pieces, self._unknown_piece), axis=1)
        return keep_rows_of(pieces + self.num_words, split & (tf.strings.length(flat_words) > 0))

    def rows(self, flat_words, training):
        word_ids = self._words.lookup(flat_words)
        has_word = (word_ids >= 0) & (flat_words != "")
        word_rows = tf.RaggedTensor.from_row_lengths(
            tf.boolean_mask(word_ids, has_word), tf.cast(has_word, tf.int64))
        offset = self.num_words + self.num_pieces + self.num_oov_buckets
        ngrams = ngram_rows(flat_words, self.num_ngram_buckets, self.min_n, self.max_n,
                            self.max_bytes_per_word, offset)
        pieces = self._piece_rows(flat_words)
        if not self.oov_pieces:
            pieces = keep_rows_of(pieces, has_word)
        subwords = tf.concat([pieces, ngrams], axis=1)
        has_subwords = subwords.row_lengths() > 0
        if self.mode == "compose":
            take_word, take_subwords = has_word, tf.ones_like(has_word)
        else:  # "ngrams" has no words; "dropout" drops the word row in training.
            dropped = tf.zeros_like(has_word)
            if training and self.subword_dropout > 0:
                draw = keras.random.uniform(tf.shape(flat_words), seed=self._seed)
                dropped = has_word & has_subwords & (draw < self.subword_dropout)
            take_word = has_word & ~dropped
            take_subwords = ~take_word
        rows = tf.concat([keep_rows_of(word_rows, take_word),
                          keep_rows_of(subwords, take_subwords)], axis=1)
        no_rows = (rows.row_lengths() == 0) & (flat_words != "")
        if self.num_oov_buckets:
            buckets = tf.strings.to_hash_bucket_fast(flat_words, self.num_oov_buckets)
            buckets = buckets + self.num_words + self.num_pieces
            rows = tf.concat([rows, tf.RaggedTensor.from_row_lengths(
                tf.boolean_mask(buckets, no_rows), tf.cast(no_rows, tf.int64))], axis=1)
        return rows


def dynamic_embedding(output_dim, words, pieces, **subword_arguments):
    """DynamicEmbedding with 1,000 buckets; `subword_arguments`
    (num_ngram_buckets, min_n, max_n, compose_words) override its defaults."""
    return DynamicEmbedding(
        output_dim, vocabulary=list(words), wordpiece_vocabulary=list(pieces),
        num_oov_buckets=1000, **subword_arguments)
