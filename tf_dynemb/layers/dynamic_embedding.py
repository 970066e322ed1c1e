"""DynamicEmbedding: word vectors from raw strings that never break on OOV."""

import os

import keras
import numpy as np
import tensorflow as tf

from tf_dynemb.model_format import decode_model
from tf_dynemb.ops import COMBINERS, build_model, lookup
from tf_dynemb.reference import ReferenceLookup
from tf_dynemb.vectors import load_text_vectors
from tf_dynemb.vocabulary import check_tokens, load_vocabulary

_WORDS_ASSET = "vocabulary.txt"
_PIECES_ASSET = "wordpiece_vocabulary.txt"


def _require_tensorflow_backend(name):
    if keras.config.backend() != "tensorflow":
        raise RuntimeError(
            f"{name} runs TensorFlow ops and needs the TensorFlow backend. "
            f"Received: backend={keras.config.backend()!r}; set KERAS_BACKEND=tensorflow."
        )


def check_int_argument(name, value, minimum):
    """Raises ValueError unless `value` is an int >= `minimum` (0 or 1)."""
    if not isinstance(value, int) or value < minimum:
        bound = "an int > 0" if minimum == 1 else f"an int >= {minimum}"
        raise ValueError(f"`{name}` must be {bound}. Received: {name}={value!r}")


def _tokens(value, name):
    """A vocabulary given as a list of strings or a file path."""
    if value is None:
        return []
    if isinstance(value, (str, os.PathLike)):
        return load_vocabulary(value)
    return check_tokens(value, name)


def _write_tokens(path, tokens):
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in tokens))


@keras.saving.register_keras_serializable(package="tf_dynemb")
class DynamicEmbedding(keras.layers.Layer):
    """Embeds raw strings; out-of-vocabulary words never break it.

    A word of `vocabulary` takes its own row; any other word is split into
    WordPiece pieces of `wordpiece_vocabulary` whose rows are pooled by
    `combiner`; a word that cannot be split takes one of `num_oov_buckets`
    hash-bucket rows (or the `unknown_token`'s row when there are none). The
    empty string is padding: a zero vector. The table has
    `len(vocabulary) + len(wordpiece_vocabulary) + num_oov_buckets` rows.

    Args:
        output_dim: int > 0. Width of the vectors.
        vocabulary: whole words, a list or a file with one word per line.
            Defaults to `None` (no whole words).
        wordpiece_vocabulary: WordPiece pieces, a list or a file (a BERT
            `vocab.txt` works). Defaults to `None` (no subwords).
        num_oov_buckets: int >= 0. Defaults to `1000`.
        combiner: `"mean"`, `"sum"` or `"sqrtn"`. Defaults to `"mean"`.
        suffix_indicator: marks continuation pieces. Defaults to `"##"`.
        max_bytes_per_word: longer words are not split. Defaults to `100`.
        unknown_token: a piece for unsplittable words when there are no
            buckets. Defaults to `None`.
        embeddings_initializer: Defaults to `"uniform"`.
        embeddings_regularizer: Defaults to `None`.
        embeddings_constraint: Defaults to `None`.
        mask_empty: whether the empty string is masked. Defaults to `False`.
        use_custom_op: `False` runs the stock-op reference, with identical
            outputs. Defaults to `True`.

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
        _require_tensorflow_backend(type(self).__name__)
        super().__init__(**kwargs)
        check_int_argument("output_dim", output_dim, 1)
        check_int_argument("num_oov_buckets", num_oov_buckets, 0)
        if combiner not in COMBINERS:
            raise ValueError(f"`combiner` must be one of {COMBINERS}. Received: combiner={combiner!r}")
        self.output_dim = output_dim
        self.num_oov_buckets = num_oov_buckets
        self.combiner = combiner
        self.suffix_indicator = suffix_indicator
        self.max_bytes_per_word = max_bytes_per_word
        self.unknown_token = unknown_token
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)
        self.embeddings_regularizer = keras.regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = keras.constraints.get(embeddings_constraint)
        self.mask_empty = mask_empty
        self.use_custom_op = use_custom_op
        self.supports_masking = mask_empty
        self._model = None
        self._reference = None
        self.set_vocabularies(vocabulary, wordpiece_vocabulary)

    def set_vocabularies(self, vocabulary, wordpiece_vocabulary):
        """Sets both vocabularies; sizes must match the table once built."""
        words = _tokens(vocabulary, "vocabulary")
        pieces = _tokens(wordpiece_vocabulary, "wordpiece_vocabulary")
        if self.built and (len(words), len(pieces)) != self._sizes:
            raise ValueError(
                f"The table was built for {self._sizes[0]} words and {self._sizes[1]} pieces; "
                f"received {len(words)} and {len(pieces)}.")
        self._words, self._pieces = words, pieces
        self._sizes = (len(words), len(pieces))
        self._model = build_model(words, pieces, self.num_oov_buckets, self.suffix_indicator,
                                  self.max_bytes_per_word, self.unknown_token)
        self._reference = None if self.use_custom_op else ReferenceLookup(
            decode_model(self._model))

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
            words, matrix = _tokens(vocabulary, "vocabulary"), np.load(path)
            if matrix.ndim != 2 or matrix.shape[0] != len(words):
                raise ValueError(f"{path} has shape {matrix.shape}; expected "
                                 f"[{len(words)}, D] for the {len(words)} words given.")
        else:
            words, matrix = load_text_vectors(path)
        layer = cls(int(matrix.shape[1]), vocabulary=words,
                    wordpiece_vocabulary=wordpiece_vocabulary, **kwargs)
        layer.build()
        layer.assign_rows(0, matrix)
        if piece_vectors is not None:
            layer.assign_rows(len(words), piece_vectors)
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
        layer.assign_rows(layer._sizes[0], matrix)
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
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
            name="embeddings",
        )
        self.built = True

    def call(self, inputs):
        if self.use_custom_op:
            out = lookup(inputs, self.embeddings, self._model, self.combiner)
        else:
            out = self._reference(inputs, self.embeddings.value, self.combiner)
        return tf.cast(out, self.compute_dtype)

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
                                 dtype=self.compute_dtype)

    # Saving: the vocabularies are assets, their sizes are in the build config
    # so that a reloaded layer builds its table before the assets arrive.
    def get_build_config(self):
        return {"input_shape": None, "vocabulary_sizes": list(self._sizes)}

    def build_from_config(self, config):
        self._sizes = tuple(config["vocabulary_sizes"])
        self.build()

    def save_assets(self, dir_path):
        _write_tokens(os.path.join(dir_path, _WORDS_ASSET), self._words)
        _write_tokens(os.path.join(dir_path, _PIECES_ASSET), self._pieces)

    def load_assets(self, dir_path):
        self.set_vocabularies(os.path.join(dir_path, _WORDS_ASSET),
                              os.path.join(dir_path, _PIECES_ASSET))

    def get_config(self):
        config = super().get_config()
        config.update({
            "output_dim": self.output_dim,
            "vocabulary": None,  # saved as an asset
            "wordpiece_vocabulary": None,  # saved as an asset
            "num_oov_buckets": self.num_oov_buckets,
            "combiner": self.combiner,
            "suffix_indicator": self.suffix_indicator,
            "max_bytes_per_word": self.max_bytes_per_word,
            "unknown_token": self.unknown_token,
            "embeddings_initializer": keras.initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": keras.regularizers.serialize(self.embeddings_regularizer),
            "embeddings_constraint": keras.constraints.serialize(self.embeddings_constraint),
            "mask_empty": self.mask_empty,
            "use_custom_op": self.use_custom_op,
        })
        return config
