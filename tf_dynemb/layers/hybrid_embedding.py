"""HybridEmbedding: static rows for known words, an encoder for the rest."""

import keras
import tensorflow as tf

from tf_dynemb import contract
from tf_dynemb.layers.dynamic_embedding import DynamicEmbedding
from tf_dynemb.layers.string_input_layer import StringInputLayer, use_custom_op_of


@keras.saving.register_keras_serializable(package="tf_dynemb")
class HybridEmbedding(StringInputLayer):
    """In-vocabulary words take their row of `static`; every other non-empty
    word takes `dynamic`'s vector. `dynamic` runs only on the batch's OOV
    words: they are gathered, encoded, and scattered back.

    Args:
        static: a `DynamicEmbedding`; its whole words are "in vocabulary".
        dynamic: a layer mapping a 1-D string tensor `[n]` to `[n, D]` with
            the same D, for example a `CharCNNEncoder`.

    Call arguments:
        inputs: string tensor of any shape, or ragged -> `[..., D]`.

    Examples:

    >>> static = DynamicEmbedding(8, vocabulary=["the", "cat"], num_oov_buckets=0)
    >>> hybrid = HybridEmbedding(static, CharCNNEncoder(8))
    >>> hybrid(tf.constant(["the", "zebra"])).shape
    TensorShape([2, 8])
    """

    def __init__(self, static, dynamic, **kwargs):
        super().__init__(**kwargs)
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
        vectors, kind = self.static.lookup(flat, return_kind=True)
        vectors = tf.cast(vectors, self.output_dtype)
        oov = tf.where((kind != contract.WORD) & (kind != contract.PAD))
        encoded = tf.cast(self.dynamic(tf.gather_nd(flat, oov)), self.output_dtype)
        self._check_width(encoded.shape)
        vectors = tf.tensor_scatter_nd_update(vectors, oov, encoded)
        if isinstance(inputs, tf.RaggedTensor):
            return inputs.with_flat_values(vectors)
        dim = tf.shape(vectors)[-1:]
        return tf.reshape(vectors, tf.concat([tf.shape(inputs), dim], axis=0))

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(tuple(inputs.shape) + (self.static.output_dim,),
                                 dtype=self.output_dtype)

    use_custom_op = use_custom_op_of("static")

    def get_config(self):
        config = super().get_config()
        config.update({"static": keras.saving.serialize_keras_object(self.static),
                       "dynamic": keras.saving.serialize_keras_object(self.dynamic)})
        return config
