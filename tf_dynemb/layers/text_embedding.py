"""TextEmbedding: sentences in, word vectors (a sequence, or pooled) out."""

import keras
import tensorflow as tf

from tf_dynemb import vocabulary_learning
from tf_dynemb.layers import subword_options, vocabulary_adapt
from tf_dynemb.layers.dynamic_embedding import DynamicEmbedding
from tf_dynemb.layers.string_input_layer import (
    StringInputLayer,
    check_bool_argument,
    use_custom_op_of,
)
from tf_dynemb.text import basic_tokenize

OUTPUT_MODES = ("sequence", "mean", "max", "sum")


@keras.saving.register_keras_serializable(package="tf_dynemb")
class TextEmbedding(StringInputLayer):
    """Embeds sentences: basic tokenization, then a `DynamicEmbedding`.

    Args:
        output_dim: int > 0. Width of the vectors.
        vocabulary: whole words (list or file). Defaults to `None`.
        wordpiece_vocabulary: WordPiece pieces (list or file). Defaults to `None`.
        num_oov_buckets: int >= 0. Defaults to `1000`.
        combiner: pooling of a word's rows. Defaults to `"mean"`.
        num_ngram_buckets, min_n, max_n, compose_words: the subword options
            of `DynamicEmbedding`, with its defaults (`200000`, `2`, `5`,
            `True`; configs saved before they existed load without them).
        lowercase: lowercase the text first. Defaults to `True`.
        strip_accents: remove combining marks after NFD. Defaults to `False`.
        output_mode: `"sequence"` (word vectors, padded with zeros and a mask)
            or a pooling over the words: `"mean"`, `"max"`, `"sum"` (a sentence
            without words gives zeros). Defaults to `"mean"`.
        ragged: with `"sequence"`, return a ragged tensor instead of padding.
            Defaults to `False`.
        embeddings_initializer: Defaults to `"uniform"`.
        use_custom_op: `False` runs the stock-op reference. Defaults to `True`.

    Call arguments:
        inputs: a string tensor of sentences, shape `[batch]` or
            `[batch, 1]` (the trailing 1 is squeezed, as `TextVectorization`
            does).

    Examples:

    >>> layer = TextEmbedding(8, vocabulary=["the", "cat"], num_oov_buckets=10)
    >>> layer(tf.constant(["The cat sat.", ""])).shape
    TensorShape([2, 8])
    """

    def __init__(self, output_dim, vocabulary=None, wordpiece_vocabulary=None,
                 num_oov_buckets=1000, combiner="mean",
                 num_ngram_buckets=subword_options.NUM_NGRAM_BUCKETS,
                 min_n=subword_options.MIN_N, max_n=subword_options.MAX_N,
                 compose_words=subword_options.COMPOSE_WORDS, lowercase=True,
                 strip_accents=False, output_mode="mean", ragged=False,
                 embeddings_initializer="uniform", use_custom_op=True, **kwargs):
        super().__init__(**kwargs)
        if output_mode not in OUTPUT_MODES:
            raise ValueError(f"`output_mode` must be one of {OUTPUT_MODES}. "
                             f"Received: output_mode={output_mode!r}")
        if ragged and output_mode != "sequence":
            raise ValueError("`ragged=True` needs output_mode='sequence'. "
                             f"Received: output_mode={output_mode!r}")
        self.lowercase = check_bool_argument("lowercase", lowercase)
        self.strip_accents = check_bool_argument("strip_accents", strip_accents)
        check_bool_argument("ragged", ragged)
        self.output_mode = output_mode
        self.ragged = ragged
        self.supports_masking = output_mode == "sequence" and not ragged
        self.embedding = DynamicEmbedding(
            output_dim, vocabulary=vocabulary, wordpiece_vocabulary=wordpiece_vocabulary,
            num_oov_buckets=num_oov_buckets, combiner=combiner,
            num_ngram_buckets=num_ngram_buckets, min_n=min_n, max_n=max_n,
            compose_words=compose_words, embeddings_initializer=embeddings_initializer, use_custom_op=use_custom_op,
            dtype=self.dtype_policy, name="embedding")

    def build(self, input_shape=None):
        if input_shape is not None:
            self._sentence_shape(input_shape)
        if not self.embedding.built:
            self.embedding.build()
        self.built = True

    def _sentence_shape(self, shape):
        """`[batch]` of `[batch]` or `[batch, 1]` sentences; any other shape
        is an error."""
        shape = tuple(shape)
        if len(shape) == 1 or (len(shape) == 2 and shape[1] == 1):
            return shape[:1]
        raise ValueError(f"{type(self).__name__} takes sentences of shape [batch] or "
                         f"[batch, 1]. Received: shape={shape}")

    def _words(self, sentences):
        if isinstance(sentences, tf.RaggedTensor):
            raise ValueError(f"{type(self).__name__} takes dense sentences of shape [batch] or "
                             f"[batch, 1]. Received a ragged tensor of shape {sentences.shape}")
        sentences = tf.convert_to_tensor(sentences)
        if sentences.shape.rank is not None:
            self._sentence_shape(sentences.shape)
        return basic_tokenize(tf.reshape(sentences, [-1]), self.lowercase, self.strip_accents)

    def call(self, inputs):
        words = self._words(inputs)
        vectors = self.embedding(words)
        if self.output_mode == "sequence":
            return vectors if self.ragged else vectors.to_tensor()
        if self.output_mode == "max":
            pooled = tf.reduce_max(vectors, axis=-2)
            has_words = (words.row_lengths() > 0)[:, tf.newaxis]
            return tf.where(has_words, pooled, tf.zeros_like(pooled))
        pooled = tf.reduce_sum(vectors, axis=-2)
        if self.output_mode == "mean":
            count = tf.cast(tf.maximum(words.row_lengths(), 1), pooled.dtype)
            pooled = pooled / count[:, tf.newaxis]
        return pooled

    def compute_mask(self, inputs, mask=None):
        if not self.supports_masking:
            return None
        if isinstance(inputs, keras.KerasTensor):
            # While a functional model is built: Keras computes the mask on the
            # real tensors when the model runs and passes it along with them.
            return None
        return tf.not_equal(self._words(inputs).to_tensor(default_value=""), "")

    def compute_output_spec(self, inputs):
        dim = self.embedding.output_dim
        batch = self._sentence_shape(inputs.shape)
        shape = batch + ((None, dim) if self.output_mode == "sequence" else (dim,))
        return keras.KerasTensor(shape, dtype=self.output_dtype, ragged=self.ragged)

    use_custom_op = use_custom_op_of("embedding")

    def adapt(self, data, max_tokens=vocabulary_learning.MAX_TOKENS,
              min_frequency=vocabulary_learning.MIN_FREQUENCY, wordpiece_vocabulary_size=None,
              batch_size=None, steps=None,
              max_distinct_words=vocabulary_learning.MAX_DISTINCT_WORDS):
        """Learns the vocabularies from sentences, split as `call` splits
        them: as `DynamicEmbedding.adapt`, and as `tf-dynemb learn-vocab`
        with the same `lowercase` and `strip_accents`."""
        vocabulary_adapt.adapt(
            self, self.embedding, data,
            lambda sentences: self.embedding._lookup_keys(self._words(sentences)), max_tokens,
            min_frequency, wordpiece_vocabulary_size, batch_size, steps, max_distinct_words)

    def get_vocabulary(self):
        """The whole words of the embedding, in row order."""
        return self.embedding.get_vocabulary()

    def get_wordpiece_vocabulary(self):
        """The WordPiece pieces of the embedding, in row order."""
        return self.embedding.get_wordpiece_vocabulary()

    def vocabulary_size(self):
        """Rows of the embedding table: words + pieces + buckets + n-gram buckets."""
        return self.embedding.vocabulary_size()

    def get_build_config(self):
        if not self.built:
            return None
        return self.embedding.get_build_config()

    def build_from_config(self, config):
        self.embedding.build_from_config(config)
        self.build()

    @classmethod
    def from_config(cls, config):
        return super().from_config(subword_options.with_legacy_defaults(config))

    def get_config(self):
        config = super().get_config()
        inner = self.embedding.get_config()
        config.update({name: inner[name] for name in (
            "output_dim", "vocabulary", "wordpiece_vocabulary", "num_oov_buckets", "combiner",
            *self.embedding.subwords.build_arguments(), "embeddings_initializer",
            "use_custom_op")})
        config.update({"lowercase": self.lowercase, "strip_accents": self.strip_accents,
                       "output_mode": self.output_mode, "ragged": self.ragged})
        return config
