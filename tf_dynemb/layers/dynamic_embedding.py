"""DynamicEmbedding: word vectors from raw strings that never break on OOV."""

import keras
import numpy as np
import tensorflow as tf

from tf_dynemb.contract import check_combiner
from tf_dynemb import vocabulary_learning
from tf_dynemb.layers import lookup_paths, normalization
from tf_dynemb.layers import pretrained, subword_fitting, subword_options, vocabulary_reference
from tf_dynemb.layers import vocabulary_adapt
from tf_dynemb.layers.string_input_layer import (
    StringInputLayer,
    check_bool_argument,
    check_int_argument,
)
from tf_dynemb.layers.vocabulary_state import VocabularyState
from tf_dynemb.reference import ReferenceLookup
from tf_dynemb.tables import sharded_lookup
from tf_dynemb.tables.partitioned_init import partitioned_initialization
from tf_dynemb.text import normalize_words


@keras.saving.register_keras_serializable(package="tf_dynemb")
class DynamicEmbedding(StringInputLayer):
    """Embeds raw strings; out-of-vocabulary words never break it.

    A word of `vocabulary` takes its own row, pooled by `combiner` with its
    subword rows when `compose_words` (so every training word trains the
    subwords, and a word never seen in training gets a useful vector); any
    other word pools the rows of its WordPiece pieces of
    `wordpiece_vocabulary` and of its hashed character n-grams; a word with
    neither takes one of `num_oov_buckets` hash-bucket rows (or the
    `unknown_token`'s row when there are none). The empty string is padding: a
    zero vector. The table has `len(vocabulary) + len(wordpiece_vocabulary) +
    num_oov_buckets + num_ngram_buckets` rows, at least one.

    Args:
        output_dim: int > 0. Width of the vectors.
        vocabulary: whole words, a list or a file with one word per line.
            Defaults to `None` (no whole words, or words learned by `adapt`).
        wordpiece_vocabulary: WordPiece pieces, a list or a file (a BERT
            `vocab.txt` works). Defaults to `None` (no subwords).
        num_oov_buckets: int >= 0. Defaults to `1000`.
        combiner: `"mean"`, `"sum"` or `"sqrtn"`. Defaults to `"mean"`.
        suffix_indicator: marks continuation pieces. Defaults to `"##"`.
        max_bytes_per_word: int in [1, 255]; longer words are not split.
            Defaults to `100`.
        unknown_token: a piece for unsplittable words when there are no
            buckets. Defaults to `None`.
        num_ngram_buckets: int >= 0, hash buckets of the character n-grams of
            `"<" + word + ">"` (0: no n-grams). Defaults to `200000`.
        min_n, max_n: n-gram lengths in characters, `1 <= min_n <= max_n <=
            16`. Default to `2` and `5`.
        compose_words: whether a vocabulary word's vector also pools its
            pieces and n-grams. Defaults to `True`. (Configs saved before these
            options existed load with no n-grams and `False`.) Exports fold
            composed words into one row each.
        embeddings_initializer: Defaults to `"uniform"`.
        embeddings_regularizer: Defaults to `None`.
        embeddings_constraint: Defaults to `None`.
        mask_empty: whether padding is masked: "", and a word that
            `strip_accents` empties (combining marks alone). Defaults to `False`.
        use_custom_op: `False` runs the stock-op reference (core TF and TF
            Text ops), with identical outputs. Can be changed on a built or
            loaded layer. Defaults to `True`.
        lowercase: lowercase words before the lookup. Defaults to `False`
            (words as given; so do configs saved before the option existed).
        strip_accents: strip accents (NFD, then combining marks removed)
            before the lookup, after `lowercase`. Defaults to `False`.
            Both as BERT's basic tokenizer (`normalize_words` in
            `tf_dynemb.text`); set them as a BERT uncased `vocab.txt` needs.

    Vocabularies of up to 100,000 tokens each are kept in `get_config()`;
    larger ones are referenced there (see `vocabulary_reference.py`) and saved
    as `.keras` assets.

    Call arguments:
        inputs: string tensor of any shape, or a ragged string tensor.

    Examples:

    >>> layer = DynamicEmbedding(8, vocabulary=["the", "cat"],
    ...                          wordpiece_vocabulary=["un", "##seen"],
    ...                          num_oov_buckets=10)
    >>> layer(tf.constant(["the", "unseen", "zebra", ""])).shape
    TensorShape([4, 8])
    """

    def __init__(
        self,
        output_dim,
        vocabulary=None,
        wordpiece_vocabulary=None,
        num_oov_buckets=1000,
        combiner="mean",
        suffix_indicator="##",
        max_bytes_per_word=100,
        unknown_token=None,
        num_ngram_buckets=subword_options.NUM_NGRAM_BUCKETS,
        min_n=subword_options.MIN_N,
        max_n=subword_options.MAX_N,
        compose_words=subword_options.COMPOSE_WORDS,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_empty=False,
        use_custom_op=True,
        lowercase=False,
        strip_accents=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.output_dim = check_int_argument("output_dim", output_dim, 1)
        self.num_oov_buckets = check_int_argument("num_oov_buckets", num_oov_buckets, 0)
        self.combiner = check_combiner(combiner)
        self.suffix_indicator = suffix_indicator
        self.max_bytes_per_word = check_int_argument("max_bytes_per_word", max_bytes_per_word, 1)
        self.unknown_token = unknown_token
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)
        self.embeddings_regularizer = keras.regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = keras.constraints.get(embeddings_constraint)
        self.mask_empty = check_bool_argument("mask_empty", mask_empty)
        self.supports_masking = mask_empty
        self._use_custom_op = check_bool_argument("use_custom_op", use_custom_op)
        self.lowercase = check_bool_argument("lowercase", lowercase)
        self.strip_accents = check_bool_argument("strip_accents", strip_accents)
        self.subwords = subword_options.SubwordOptions(num_ngram_buckets, min_n, max_n,
                                                       compose_words)
        self._vocabulary = VocabularyState(self.num_oov_buckets, suffix_indicator,
                                           self.max_bytes_per_word, unknown_token, self.subwords)
        self._reference = None
        self._lookup_path = lookup_paths.choose(self._use_custom_op, None)
        self.set_vocabularies(vocabulary, wordpiece_vocabulary)

    @classmethod
    def from_config(cls, config):
        return super().from_config(subword_options.with_legacy_defaults(config))

    def set_vocabularies(self, vocabulary, wordpiece_vocabulary):
        """Sets both vocabularies (lists or files); once the table is built,
        their sizes must match it."""
        self._vocabulary.set(vocabulary, wordpiece_vocabulary, fixed_sizes=self.built)
        self._reference = None
        if self._vocabulary.pending is None:
            normalization.warn_unreachable(self.name, self._vocabulary.words,
                                           self._vocabulary.pieces, self.suffix_indicator,
                                           self.lowercase, self.strip_accents)
            if not self._use_custom_op:
                self._reference_lookup()

    def _reference_lookup(self):
        """The stock-op lookup of the vocabularies, made when first needed."""
        if self._reference is None:
            self._require_vocabularies()
            with tf.init_scope():
                self._reference = ReferenceLookup(self._vocabulary.config)
        return self._reference

    def _require_vocabularies(self):
        self._vocabulary.require(self.name)

    @property
    def use_custom_op(self):
        """Whether calls and exports use the fused op (`True`) or the stock-op
        reference (`False`). Changing it takes effect on the next call or
        trace (compiled `predict`/`fit` functions keep the path they traced)."""
        return self._use_custom_op

    @use_custom_op.setter
    def use_custom_op(self, value):
        check_bool_argument("use_custom_op", value)
        if not value and self._vocabulary.pending is None:
            self._reference_lookup()  # made first: if it fails, nothing changed
        self._use_custom_op = value
        self._lookup_path = lookup_paths.choose(value, getattr(self, "embeddings", None))

    @property
    def vocabulary_model(self):
        """The `uint8` model tensor of `tf_dynemb.build_model` for this layer."""
        self._require_vocabularies()
        return self._vocabulary.vocabulary_model

    @property
    def vocabulary_config(self):
        """A `tf_dynemb.VocabularyConfig` of this layer's vocabularies."""
        self._require_vocabularies()
        return self._vocabulary.config

    def get_vocabulary(self):
        """The whole words, in row order (word i is row i)."""
        self._require_vocabularies()
        return list(self._vocabulary.words)

    def get_wordpiece_vocabulary(self):
        """The WordPiece pieces, in row order (piece j is row
        `len(get_vocabulary()) + j`)."""
        self._require_vocabularies()
        return list(self._vocabulary.pieces)

    def vocabulary_size(self):
        """Rows of the table, words + pieces + buckets + n-gram buckets: like `StringLookup`'s,
        the number of distinct ids the layer can map a string to."""
        return self.input_dim

    @classmethod
    def from_vectors(cls, path, vocabulary=None, wordpiece_vocabulary=None, piece_vectors=None,
                     **kwargs):
        """A layer whose word rows are pretrained vectors (`.vec` or `.npy`):
        see `tf_dynemb.layers.pretrained.from_vectors`."""
        return pretrained.from_vectors(cls, path, vocabulary, wordpiece_vocabulary,
                                       piece_vectors, **kwargs)

    @classmethod
    def from_keras_hub(cls, tokenizer, embedding_matrix, vocabulary=None, **kwargs):
        """A layer whose piece rows are a keras_hub model's token embeddings:
        see `tf_dynemb.layers.pretrained.from_keras_hub`."""
        return pretrained.from_keras_hub(cls, tokenizer, embedding_matrix, vocabulary, **kwargs)

    def adapt(self, data, max_tokens=vocabulary_learning.MAX_TOKENS,
              min_frequency=vocabulary_learning.MIN_FREQUENCY, wordpiece_vocabulary_size=None,
              batch_size=None, steps=None,
              max_distinct_words=vocabulary_learning.MAX_DISTINCT_WORDS):
        """Learns the vocabularies from words (a `tf.data.Dataset`, tensor,
        array or list; "" is padding) before the layer is built, as
        `tf-dynemb learn-vocab` would: the `max_tokens` (None: all) most
        frequent words seen `min_frequency` times, and, given
        `wordpiece_vocabulary_size`, that many WordPiece pieces at most
        (otherwise the pieces stay). See `tf_dynemb.layers.vocabulary_adapt`."""
        vocabulary_adapt.adapt(self, self, data, self._lookup_keys, max_tokens, min_frequency,
                               wordpiece_vocabulary_size, batch_size, steps, max_distinct_words)

    def _lookup_keys(self, words):
        """The strings the vocabularies are searched for, for `words`: what
        `lookup` looks up and `adapt` counts."""
        return normalize_words(words, self.lowercase, self.strip_accents)

    def fit_subwords(self, **kwargs):
        """Fits the piece and n-gram rows to the word rows (no training): see
        `tf_dynemb.layers.subword_fitting.fit_subword_rows`."""
        return subword_fitting.fit_subword_rows(self, **kwargs)

    def assign_rows(self, start, values):
        """Overwrites table rows [start, start + len(values))."""
        values = np.asarray(keras.ops.convert_to_numpy(values), dtype=self.embeddings.dtype)
        if values.ndim != 2 or values.shape[1] != self.output_dim or \
                start + values.shape[0] > self.input_dim:
            raise ValueError(f"Cannot write rows of shape {values.shape} at row {start} of a "
                             f"[{self.input_dim}, {self.output_dim}] table.")
        table = keras.ops.convert_to_numpy(self.embeddings).copy()
        table[start:start + values.shape[0]] = values
        self.embeddings.assign(table)

    @property
    def input_dim(self):
        """Rows of the table: words + pieces + buckets + n-gram buckets."""
        return self._vocabulary.num_rows

    def build(self, input_shape=None):
        shape = (self.input_dim, self.output_dim)
        # Under ParameterServerStrategy each shard is drawn where it lives.
        with partitioned_initialization(self.embeddings_initializer, shape,
                                        self.variable_dtype):
            self.embeddings = self.add_weight(
                shape=shape,
                initializer=self.embeddings_initializer,
                regularizer=self.embeddings_regularizer,
                constraint=self.embeddings_constraint,
                name="embeddings",
            )
        self._lookup_path = lookup_paths.choose(self._use_custom_op, self.embeddings)
        self.built = True

    def call(self, inputs):
        return self.lookup(inputs)

    def lookup(self, words, return_kind=False, normalized=False):
        """The layer's computation on a built layer, outside Keras's
        `__call__`: vectors in the output dtype, and with `return_kind` the
        kind of each word (`tf_dynemb.WORD`...). `normalized`: `words` are
        already what `_lookup_keys` makes of them (not normalized again)."""
        self._require_vocabularies()
        keys = words if normalized else self._lookup_keys(words)
        vectors, kind = self._lookup_path(self, keys)
        vectors = tf.cast(vectors, self.output_dtype)
        return (vectors, kind) if return_kind else vectors

    def compute_mask(self, inputs, mask=None):
        if not self.mask_empty:
            return None
        if isinstance(inputs, keras.KerasTensor):
            # While a functional model is built: Keras computes the mask on the
            # real tensors when the model runs and passes it along with them.
            return None
        if self.strip_accents:  # a word of combining marks alone is "" to the lookup
            inputs = self._lookup_keys(inputs)
        if isinstance(inputs, tf.RaggedTensor):
            return tf.ragged.map_flat_values(tf.not_equal, inputs, "")
        return tf.not_equal(inputs, "")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(tuple(inputs.shape) + (self.output_dim,),
                                 dtype=self.output_dtype)

    # Saving: vocabularies too large for the config are assets; their sizes
    # are in the build config, so a reloaded table is built before they arrive.
    def get_build_config(self):
        if not self.built:
            return None
        return {"input_shape": None, "vocabulary_sizes": list(self._vocabulary.sizes)}

    def build_from_config(self, config):
        vocabulary_reference.check_build_sizes(config, self._vocabulary.sizes)
        self.build()

    def load_own_variables(self, store):
        if not sharded_lookup.is_sharded(self.embeddings):
            vocabulary_reference.check_table_shape(store, (self.input_dim, self.output_dim))
        super().load_own_variables(store)

    def save_assets(self, dir_path):
        self._vocabulary.save_assets(dir_path)

    def load_assets(self, dir_path):
        given = self._vocabulary.assets_to_load(dir_path)
        if given is not None:
            self.set_vocabularies(*given)

    def get_config(self):
        config = super().get_config()
        vocabulary, wordpiece_vocabulary = self._vocabulary.config_values()
        config.update({
            "output_dim": self.output_dim,
            "vocabulary": vocabulary,
            "wordpiece_vocabulary": wordpiece_vocabulary,
            "num_oov_buckets": self.num_oov_buckets,
            "combiner": self.combiner,
            "suffix_indicator": self.suffix_indicator,
            "max_bytes_per_word": self.max_bytes_per_word,
            "unknown_token": self.unknown_token,
            **self.subwords.build_arguments(),
            "embeddings_initializer": keras.initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": keras.regularizers.serialize(self.embeddings_regularizer),
            "embeddings_constraint": keras.constraints.serialize(self.embeddings_constraint),
            "mask_empty": self.mask_empty,
            "use_custom_op": self._use_custom_op,
            "lowercase": self.lowercase,
            "strip_accents": self.strip_accents,
        })
        return config
