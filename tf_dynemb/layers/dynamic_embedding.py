"""DynamicEmbedding: word vectors from raw strings that never break on OOV."""

import os

import keras
import numpy as np
import tensorflow as tf

from tf_dynemb.model_format import VocabularyConfig
from tf_dynemb.distribute import sharded_lookup
from tf_dynemb.distribute.partitioned_init import partitioned_initialization
from tf_dynemb.ops import COMBINERS, build_model, segment
from tf_dynemb.ops import lookup as fused_lookup
from tf_dynemb.reference import ReferenceLookup
from tf_dynemb.layers import vocabulary_reference
from tf_dynemb.layers.string_input_layer import (
    StringInputLayer,
    check_bool_argument,
    check_int_argument,
)
from tf_dynemb.vectors import check_table_rows, load_text_vectors
from tf_dynemb.vocabulary import open_regular_file

_WORDS_ASSET = "vocabulary.txt"
_PIECES_ASSET = "wordpiece_vocabulary.txt"


def _write_tokens(path, tokens):
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in tokens))


@keras.saving.register_keras_serializable(package="tf_dynemb")
class DynamicEmbedding(StringInputLayer):
    """Embeds raw strings; out-of-vocabulary words never break it.

    A word of `vocabulary` takes its own row; any other word is split into
    WordPiece pieces of `wordpiece_vocabulary` whose rows are pooled by
    `combiner`; a word that cannot be split takes one of `num_oov_buckets`
    hash-bucket rows (or the `unknown_token`'s row when there are none). The
    empty string is padding: a zero vector. The table has
    `len(vocabulary) + len(wordpiece_vocabulary) + num_oov_buckets` rows, at
    least one.

    Args:
        output_dim: int > 0. Width of the vectors.
        vocabulary: whole words, a list or a file with one word per line.
            Defaults to `None` (no whole words).
        wordpiece_vocabulary: WordPiece pieces, a list or a file (a BERT
            `vocab.txt` works). Defaults to `None` (no subwords).
        num_oov_buckets: int >= 0. Defaults to `1000`.
        combiner: `"mean"`, `"sum"` or `"sqrtn"`. Defaults to `"mean"`.
        suffix_indicator: marks continuation pieces. Defaults to `"##"`.
        max_bytes_per_word: int in [1, 255]; longer words are not split.
            Defaults to `100`.
        unknown_token: a piece for unsplittable words when there are no
            buckets. Defaults to `None`.
        embeddings_initializer: Defaults to `"uniform"`.
        embeddings_regularizer: Defaults to `None`.
        embeddings_constraint: Defaults to `None`.
        mask_empty: whether the empty string is masked. Defaults to `False`.
        use_custom_op: `False` runs the stock-op reference (core TF and TF
            Text ops), with identical outputs. Can be changed on a built or
            loaded layer. Defaults to `True`.

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
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_empty=False,
        use_custom_op=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.output_dim = check_int_argument("output_dim", output_dim, 1)
        self.num_oov_buckets = check_int_argument("num_oov_buckets", num_oov_buckets, 0)
        if combiner not in COMBINERS:
            raise ValueError(f"`combiner` must be one of {COMBINERS}. Received: combiner={combiner!r}")
        if not isinstance(suffix_indicator, str) or not suffix_indicator:
            raise ValueError("`suffix_indicator` must be a non-empty string. "
                             f"Received: suffix_indicator={suffix_indicator!r}")
        if unknown_token is not None and not isinstance(unknown_token, str):
            raise TypeError("`unknown_token` must be None or a string. "
                            f"Received: unknown_token={unknown_token!r}")
        self.combiner = combiner
        self.suffix_indicator = suffix_indicator
        self.max_bytes_per_word = check_int_argument("max_bytes_per_word", max_bytes_per_word, 1)
        self.unknown_token = unknown_token
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)
        self.embeddings_regularizer = keras.regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = keras.constraints.get(embeddings_constraint)
        self.mask_empty = check_bool_argument("mask_empty", mask_empty)
        self.supports_masking = mask_empty
        self._use_custom_op = check_bool_argument("use_custom_op", use_custom_op)
        self._vocabulary_model = None
        self._reference = None
        self._pending_references = None
        self.set_vocabularies(vocabulary, wordpiece_vocabulary)

    def set_vocabularies(self, vocabulary, wordpiece_vocabulary):
        """Sets both vocabularies (lists or files); once the table is built,
        their sizes must match it."""
        given = (vocabulary, wordpiece_vocabulary)
        if any(vocabulary_reference.is_reference(v) for v in given):
            resolved = [vocabulary_reference.resolve(v)
                        if vocabulary_reference.is_reference(v) else v for v in given]
            if any(v is None for v in resolved):
                # A `.keras` file brings the tokens as assets (load_assets).
                self._pending_references = given
                self._sizes = tuple(v["size"] if vocabulary_reference.is_reference(v)
                                    else len(vocabulary_reference.as_tokens(v, "vocabulary"))
                                    for v in given)
                return
            vocabulary, wordpiece_vocabulary = resolved
        words = vocabulary_reference.as_tokens(vocabulary, "vocabulary")
        pieces = vocabulary_reference.as_tokens(wordpiece_vocabulary, "wordpiece_vocabulary")
        if self.built and (len(words), len(pieces)) != self._sizes:
            raise ValueError(
                f"The table was built for {self._sizes[0]} words and {self._sizes[1]} pieces; "
                f"received {len(words)} and {len(pieces)}.")
        if not words and not pieces and self.num_oov_buckets == 0:
            raise ValueError(
                "The layer would have no rows: pass `vocabulary`, `wordpiece_vocabulary` or "
                "`num_oov_buckets` > 0. Received: no words, no pieces, num_oov_buckets=0")
        self._vocabulary_model = build_model(
            words, pieces, self.num_oov_buckets, self.suffix_indicator,
            self.max_bytes_per_word, self.unknown_token)
        self._words, self._pieces = words, pieces
        self._sizes = (len(words), len(pieces))
        self._pending_references = None
        self._reference = None
        if not self._use_custom_op:
            self._make_reference()

    def _make_reference(self):
        with tf.init_scope():
            self._reference = ReferenceLookup(self.vocabulary_config)

    def _require_vocabularies(self):
        if self._pending_references is not None:
            raise ValueError(
                f"The vocabularies of layer '{self.name}' are references that could not be "
                f"resolved in this process: {self._pending_references!r}. Load the layer from "
                "its .keras file (which carries them), or call set_vocabularies().")

    @property
    def use_custom_op(self):
        """Whether calls and exports use the fused op (`True`) or the stock-op
        reference (`False`). Changing it takes effect on the next call or
        trace (compiled `predict`/`fit` functions keep the path they traced)."""
        return self._use_custom_op

    @use_custom_op.setter
    def use_custom_op(self, value):
        self._use_custom_op = check_bool_argument("use_custom_op", value)
        if not value and self._reference is None and self._pending_references is None:
            self._make_reference()

    @property
    def vocabulary_model(self):
        """The `uint8` model tensor of `tf_dynemb.build_model` for this layer."""
        self._require_vocabularies()
        return self._vocabulary_model

    @property
    def vocabulary_config(self):
        """A `tf_dynemb.VocabularyConfig` of this layer's vocabularies."""
        self._require_vocabularies()
        return VocabularyConfig(
            words=tuple(self._words), pieces=tuple(self._pieces),
            num_oov_buckets=self.num_oov_buckets, suffix_indicator=self.suffix_indicator,
            max_bytes_per_word=self.max_bytes_per_word, unknown_token=self.unknown_token)

    def get_vocabulary(self):
        """The whole words, in row order (word i is row i)."""
        self._require_vocabularies()
        return list(self._words)

    def get_wordpiece_vocabulary(self):
        """The WordPiece pieces, in row order (piece j is row
        `len(get_vocabulary()) + j`)."""
        self._require_vocabularies()
        return list(self._pieces)

    def vocabulary_size(self):
        """Rows of the table, words + pieces + buckets: like `StringLookup`'s,
        the number of distinct ids the layer can map a string to."""
        return self.input_dim

    @classmethod
    def from_vectors(cls, path, vocabulary=None, wordpiece_vocabulary=None, piece_vectors=None,
                     **kwargs):
        """A layer whose word rows are pretrained vectors.

        Args:
            path: a word2vec / GloVe / fastText `.vec` text file (header
                optional), or a `.npy` matrix whose rows match `vocabulary`.
            vocabulary: the words of a `.npy` matrix (a list or a file);
                ignored for text files, which name their words.
            wordpiece_vocabulary: pieces, as for the constructor.
            piece_vectors: optional `[len(pieces), D]` rows for the pieces;
                otherwise pieces and buckets start from the initializer.
            **kwargs: the other constructor arguments.
        """
        if str(path).endswith(".npy"):
            if vocabulary is None:
                raise ValueError(f"{path} is a .npy matrix: pass `vocabulary`, its row words.")
            words = vocabulary_reference.as_tokens(vocabulary, "vocabulary")
            with open_regular_file(path) as f:
                matrix = np.load(f)
            if matrix.ndim != 2 or matrix.shape[0] != len(words):
                raise ValueError(f"{path} has shape {matrix.shape}; expected "
                                 f"[{len(words)}, D] for the {len(words)} words given.")
            matrix = check_table_rows(matrix, path, words)
        else:
            words, matrix = load_text_vectors(path)
        layer = cls(int(matrix.shape[1]), vocabulary=words,
                    wordpiece_vocabulary=wordpiece_vocabulary, **kwargs)
        layer.build()
        layer.assign_rows(0, matrix)
        if piece_vectors is not None:
            layer.assign_rows(len(words), check_table_rows(
                keras.ops.convert_to_numpy(piece_vectors), "piece_vectors",
                layer.get_wordpiece_vocabulary()))
        return layer

    @classmethod
    def from_keras_hub(cls, tokenizer, embedding_matrix, vocabulary=None, **kwargs):
        """A layer whose piece rows are a keras_hub model's token embeddings.

        Args:
            tokenizer: a `keras_hub.tokenizers.WordPieceTokenizer`; its
                vocabulary (in id order) becomes `wordpiece_vocabulary`.
            embedding_matrix: `[vocabulary_size, D]`, row i for token id i
                (for example a BERT backbone's token embedding weights).
            vocabulary: optional whole words, initialised by the initializer.
            **kwargs: the other constructor arguments. The tokenizer's suffix
                indicator is used, and its OOV token when there are no buckets.
        """
        pieces = list(tokenizer.get_vocabulary())
        matrix = keras.ops.convert_to_numpy(embedding_matrix)
        if matrix.ndim != 2 or matrix.shape[0] != len(pieces):
            raise ValueError(f"`embedding_matrix` has shape {matrix.shape}; expected "
                             f"[{len(pieces)}, D] for the tokenizer's {len(pieces)} tokens.")
        kwargs.setdefault("suffix_indicator", getattr(tokenizer, "suffix_indicator", "##"))
        oov = getattr(tokenizer, "oov_token", None)
        if kwargs.get("num_oov_buckets", 1000) == 0 and oov in pieces:
            kwargs.setdefault("unknown_token", oov)
        layer = cls(int(matrix.shape[1]), vocabulary=vocabulary, wordpiece_vocabulary=pieces,
                    **kwargs)
        layer.build()
        layer.assign_rows(len(layer.get_vocabulary()), matrix)
        return layer

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
        """Rows of the table: words + pieces + buckets."""
        return self._sizes[0] + self._sizes[1] + self.num_oov_buckets

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
        self.built = True

    def call(self, inputs):
        return self.lookup(inputs)

    def lookup(self, words, return_kind=False):
        """The layer's computation on a built layer, outside Keras's
        `__call__`: vectors in the output dtype, and with `return_kind` the
        kind of each word (`tf_dynemb.WORD`...)."""
        self._require_vocabularies()
        if sharded_lookup.is_sharded(self.embeddings):
            vectors, kind = self._sharded_lookup(words)
        elif self._use_custom_op:
            vectors, kind = fused_lookup(words, self.embeddings, self._vocabulary_model,
                                   self.combiner, return_kind=True)
        else:
            if self._reference is None:
                self._make_reference()
            vectors, kind = self._reference(words, self.embeddings.value, self.combiner,
                                            return_kind=True)
        vectors = tf.cast(vectors, self.output_dtype)
        return (vectors, kind) if return_kind else vectors

    def _sharded_lookup(self, words):
        """The lookup of a table created under a `variable_partitioner`: the
        rows of each word are found as usual, then gathered shard by shard."""
        return sharded_lookup.embed(words, self.embeddings, self._rows_of)

    def _rows_of(self, flat_words):
        """(row_ids, row_weights, row_word, kind) of 1-D words."""
        if self._use_custom_op:
            return segment(flat_words, self._vocabulary_model, self.combiner)
        if self._reference is None:
            self._make_reference()
        rows, kind = self._reference.rows(flat_words)
        row_word = rows.value_rowids()
        weights = sharded_lookup.weights_of(rows.row_lengths(), self.combiner)
        return rows.flat_values, tf.gather(weights, row_word), row_word, kind

    def compute_mask(self, inputs, mask=None):
        if not self.mask_empty:
            return None
        if isinstance(inputs, keras.KerasTensor):
            # While a functional model is built: Keras computes the mask on the
            # real tensors when the model runs and passes it along with them.
            return None
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
        return {"input_shape": None, "vocabulary_sizes": list(self._sizes)}

    def build_from_config(self, config):
        vocabulary_reference.check_build_sizes(config, self._sizes)
        self.build()

    def load_own_variables(self, store):
        if not sharded_lookup.is_sharded(self.embeddings):
            vocabulary_reference.check_table_shape(store, (self.input_dim, self.output_dim))
        super().load_own_variables(store)

    def save_assets(self, dir_path):
        for name, tokens in ((_WORDS_ASSET, self._words), (_PIECES_ASSET, self._pieces)):
            if vocabulary_reference.is_reference(vocabulary_reference.to_config(tokens)):
                _write_tokens(os.path.join(dir_path, name), tokens)

    def load_assets(self, dir_path):
        if self._pending_references is None:
            return
        given = [vocabulary_reference.asset_path(dir_path, name)
                 if vocabulary_reference.is_reference(value) else value
                 for name, value in zip((_WORDS_ASSET, _PIECES_ASSET), self._pending_references)]
        self.set_vocabularies(*given)

    def get_config(self):
        config = super().get_config()
        if self._pending_references is not None:
            vocabulary, wordpiece_vocabulary = self._pending_references
        else:
            vocabulary = vocabulary_reference.to_config(self._words)
            wordpiece_vocabulary = vocabulary_reference.to_config(self._pieces)
        config.update({
            "output_dim": self.output_dim,
            "vocabulary": vocabulary,
            "wordpiece_vocabulary": wordpiece_vocabulary,
            "num_oov_buckets": self.num_oov_buckets,
            "combiner": self.combiner,
            "suffix_indicator": self.suffix_indicator,
            "max_bytes_per_word": self.max_bytes_per_word,
            "unknown_token": self.unknown_token,
            "embeddings_initializer": keras.initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": keras.regularizers.serialize(self.embeddings_regularizer),
            "embeddings_constraint": keras.constraints.serialize(self.embeddings_constraint),
            "mask_empty": self.mask_empty,
            "use_custom_op": self._use_custom_op,
        })
        return config
