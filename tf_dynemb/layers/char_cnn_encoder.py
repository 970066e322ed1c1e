"""CharCNNEncoder: a word's vector computed from its characters."""

import keras
import tensorflow as tf

from tf_dynemb.layers.string_input_layer import StringInputLayer, check_int_argument


@keras.saving.register_keras_serializable(package="tf_dynemb")
class CharCNNEncoder(StringInputLayer):
    """Character embeddings -> Conv1D -> max pooling -> Dense, per word.

    Characters are Unicode code points (invalid UTF-8 becomes U+FFFD), hashed
    into `char_buckets` rows; a word keeps its first `max_chars`. The empty
    word gives a zero vector.

    Args:
        output_dim: int > 0. Width of the word vectors.
        char_buckets: int > 0. Rows of the character table. Defaults to `1000`.
        char_embedding_dim: Defaults to `16`.
        filters: Conv1D filters. Defaults to `64`.
        kernel_size: Conv1D width in characters. Defaults to `3`.
        max_chars: characters kept per word. Defaults to `20`.

    Call arguments:
        inputs: string tensor of words, any shape `[...]` -> `[..., output_dim]`.

    Examples:

    >>> encoder = CharCNNEncoder(8)
    >>> encoder(tf.constant(["unseen", "words"])).shape
    TensorShape([2, 8])
    """

    def __init__(self, output_dim, char_buckets=1000, char_embedding_dim=16, filters=64,
                 kernel_size=3, max_chars=20, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("output_dim", output_dim), ("char_buckets", char_buckets),
                            ("char_embedding_dim", char_embedding_dim), ("filters", filters),
                            ("kernel_size", kernel_size), ("max_chars", max_chars)):
            check_int_argument(name, value, 1)
        self.output_dim = int(output_dim)
        self.char_buckets = char_buckets
        self.char_embedding_dim = char_embedding_dim
        self.filters = filters
        self.kernel_size = kernel_size
        self.max_chars = max_chars
        self.char_embedding = keras.layers.Embedding(char_buckets + 1, char_embedding_dim,
                                                     dtype=self.dtype_policy, name="chars")
        self.conv = keras.layers.Conv1D(filters, kernel_size, padding="same", activation="relu",
                                        dtype=self.dtype_policy, name="conv")
        self.dense = keras.layers.Dense(output_dim, dtype=self.dtype_policy, name="project")

    def build(self, input_shape=None):
        self.char_embedding.build((None, self.max_chars))
        self.conv.build((None, self.max_chars, self.char_embedding_dim))
        self.dense.build((None, self.filters))
        self.built = True

    def call(self, inputs):
        # One extra empty word, dropped below: TensorFlow's Conv1D rejects an
        # empty batch, which a HybridEmbedding batch without OOV words gives.
        flat = tf.concat([tf.reshape(inputs, [-1]), [""]], axis=0)
        codes = tf.strings.unicode_decode(flat, "UTF-8", errors="replace")[:, : self.max_chars]
        ids = (codes % self.char_buckets + 1).to_tensor(0, shape=[None, self.max_chars])
        present = ids > 0
        features = self.conv(self.char_embedding(ids))
        lowest = tf.cast(features.dtype.min, features.dtype)
        pooled = tf.reduce_max(tf.where(present[:, :, tf.newaxis], features, lowest), axis=1)
        has_chars = tf.reduce_any(present, axis=1)[:, tf.newaxis]
        pooled = tf.where(has_chars, pooled, tf.zeros_like(pooled))
        vectors = tf.where(has_chars, self.dense(pooled), tf.zeros([], self.output_dtype))[:-1]
        return tf.reshape(vectors, tf.concat([tf.shape(inputs), [self.output_dim]], axis=0))

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(tuple(inputs.shape) + (self.output_dim,), dtype=self.output_dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"output_dim": self.output_dim, "char_buckets": self.char_buckets,
                       "char_embedding_dim": self.char_embedding_dim, "filters": self.filters,
                       "kernel_size": self.kernel_size, "max_chars": self.max_chars})
        return config
