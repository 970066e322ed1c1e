"""StringInputLayer: what every tf_dynemb layer shares as a Keras layer that
takes raw strings (as `keras.layers.StringLookup` does)."""

import keras

from tf_dynemb import keras_compat
from tf_dynemb.arguments import check_bool_argument, check_int_argument  # noqa: F401


class StringInputLayer(keras.layers.Layer):
    """Base of the tf_dynemb layers: raw string inputs, TensorFlow backend.

    - Inputs are never converted to the compute dtype, and XLA is declared
      unsupported (string ops have no XLA kernels), so `jit_compile=True` and
      `"auto"` fall back with Keras's warning, as for `StringLookup`.
    - Keras's `Sequential.build` gives the `InputLayer` it creates the first
      layer's `compute_dtype` (keras/src/models/sequential.py). Until the layer
      is built, `compute_dtype` is therefore `"string"`, so a `Sequential`
      model that starts with a tf_dynemb layer takes strings without a
      `keras.Input`. Once built, it is the dtype policy's compute dtype.
    """

    def __init__(self, **kwargs):
        if keras.config.backend() != "tensorflow":
            raise RuntimeError(
                f"{type(self).__name__} runs TensorFlow ops and needs the TensorFlow backend. "
                f"Received: backend={keras.config.backend()!r}; set KERAS_BACKEND=tensorflow.")
        super().__init__(**kwargs)
        keras_compat.take_raw_inputs(self)
        self.supports_jit = False

    @property
    def input_dtype(self):
        return "string"

    @property
    def compute_dtype(self):
        if not getattr(self, "built", False):
            return "string"
        return super().compute_dtype

    @property
    def output_dtype(self):
        """The dtype of the vectors: the dtype policy's compute dtype."""
        return self.dtype_policy.compute_dtype


def use_custom_op_of(inner):
    """A `use_custom_op` property for a layer made around a `DynamicEmbedding`
    (its attribute `inner`): reads and sets that layer's."""

    def get(self):
        return getattr(self, inner).use_custom_op

    def set_(self, value):
        getattr(self, inner).use_custom_op = value

    return property(get, set_, doc=f"As `DynamicEmbedding.use_custom_op`, for `{inner}`.")
