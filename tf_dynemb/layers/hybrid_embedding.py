"""HybridEmbedding: static rows for known words, an encoder for the rest."""

import keras
import tensorflow as tf

from tf_dynemb import contract
from tf_dynemb.layers.dynamic_embedding import DynamicEmbedding
from tf_dynemb.layers.string_input_layer import (
    StringInputLayer,
    check_bool_argument,
    use_custom_op_of,
)


@keras.saving.register_keras_serializable(package="tf_dynemb")
class HybridEmbedding(StringInputLayer):
    """Every other non-empty word than `static`'s whole words takes
    `dynamic`'s vector; an in-vocabulary word takes the mean of its `static`
    vector and `dynamic`'s (`compose_words`), so the encoder learns from
    every training word, or its `static` vector alone. `dynamic` runs only
    on the words that need it: they are gathered, encoded, and scattered back.

    Args:
        static: a `DynamicEmbedding`; its whole words are "in vocabulary"
            (its own subwords are then unused for other words: give it
            `num_ngram_buckets=0`).
        dynamic: a layer mapping a 1-D string tensor `[n]` to `[n, D]` with
            the same D, for example a `CharCNNEncoder`.
        compose_words: whether in-vocabulary words pool their row with the
            encoder's vector. Defaults to `True` (configs saved before it
            existed load with `False`).

    Call arguments:
        inputs: string tensor of any shape, or ragged -> `[..., D]`.

    Examples:

    >>> static = DynamicEmbedding(8, vocabulary=["the", "cat"], num_oov_buckets=0,
    ...                           num_ngram_buckets=0)
    >>> hybrid = HybridEmbedding(static, CharCNNEncoder(8))
    >>> hybrid(tf.constant(["the", "zebra"])).shape
    TensorShape([2, 8])
    """

    def __init__(self, static, dynamic, compose_words=True, **kwargs):
        super().__init__(**kwargs)
        self.compose_words = check_bool_argument("compose_words", compose_words)
        if isinstance(static, dict):
            static = keras.saving.deserialize_keras_object(static)
        if isinstance(dynamic, dict):
            dynamic = keras.saving.deserialize_keras_object(dynamic)
        if not isinstance(static, DynamicEmbedding):
            raise TypeError(f"`static` must be a DynamicEmbedding. Received: {type(static).__name__}")
        if not isinstance(dynamic, keras.layers.Layer):
            raise TypeError(f"`dynamic` must be a Keras layer. Received: {type(dynamic).__name__}")
        self.static = static
        self.dynamic = dynamic
        try:
            spec = dynamic.compute_output_spec(keras.KerasTensor((None,), dtype="string"))
        except TypeError:
            spec = None  # Not inferable symbolically: checked when called.
        if spec is not None:
            self._check_width(spec.shape)

    def _check_width(self, shape):
        shape = tuple(shape)
        if len(shape) != 2 or shape[1] not in (None, self.static.output_dim):
            raise ValueError(
                f"`dynamic` must map [n] words to [n, {self.static.output_dim}] vectors, as wide "
                f"as `static` (output_dim={self.static.output_dim}). Received: `dynamic` "
                f"({type(self.dynamic).__name__}) gives shape {shape}")

    def build(self, input_shape=None):
        if not self.static.built:
            self.static.build()
        if not self.dynamic.built:
            self.dynamic.build((None,))
        self.built = True

    def call(self, inputs):
        flat = inputs.flat_values if isinstance(inputs, tf.RaggedTensor) else tf.reshape(inputs, [-1])
        # Normalized once (`static`'s lowercase, strip_accents): the encoder
        # sees the word that `static` looks up.
        flat = self.static._lookup_keys(flat)  # noqa: SLF001 - the layer it owns
        vectors, kind = self.static.lookup(flat, return_kind=True, normalized=True)
        vectors = tf.cast(vectors, self.output_dtype)
        is_word = tf.equal(kind, contract.WORD)
        encode = tf.not_equal(kind, contract.PAD) & (self.compose_words | ~is_word)
        at = tf.where(encode)
        encoded = tf.cast(self.dynamic(tf.gather_nd(flat, at)), self.output_dtype)
        self._check_width(encoded.shape)
        if self.compose_words:
            composed = (tf.gather_nd(vectors, at) + encoded) / 2
            encoded = tf.where(tf.gather_nd(is_word, at)[:, tf.newaxis], composed, encoded)
        vectors = tf.tensor_scatter_nd_update(vectors, at, encoded)
        if isinstance(inputs, tf.RaggedTensor):
            return inputs.with_flat_values(vectors)
        dim = tf.shape(vectors)[-1:]
        return tf.reshape(vectors, tf.concat([tf.shape(inputs), dim], axis=0))

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(tuple(inputs.shape) + (self.static.output_dim,),
                                 dtype=self.output_dtype)

    use_custom_op = use_custom_op_of("static")

    @classmethod
    def from_config(cls, config):
        return super().from_config({"compose_words": False, **config})

    def get_config(self):
        config = super().get_config()
        config.update({"static": keras.saving.serialize_keras_object(self.static),
                       "dynamic": keras.saving.serialize_keras_object(self.dynamic),
                       "compose_words": self.compose_words})
        return config
