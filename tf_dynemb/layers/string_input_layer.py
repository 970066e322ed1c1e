"""StringInputLayer: what every tf_dynemb layer shares as a Keras layer that
takes raw strings (as `keras.layers.StringLookup` does)."""

import keras

from tf_dynemb import inputs, keras_compat
from tf_dynemb.arguments import check_bool_argument, check_int_argument  # noqa: F401


class StringInputLayer(keras.layers.Layer):
    """Base of the tf_dynemb layers: raw string inputs, TensorFlow backend.

    - Inputs are strings: a string tensor, or what `tf_dynemb.string_inputs`
      converts (lists, numpy and pandas arrays of str or bytes); anything
      else is refused with one line naming the layer. Making a layer also
      lets `fit`/`evaluate`/`predict` take that data (`accept_string_data`).
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
        accept_string_data()
        self.supports_jit = False

    def __call__(self, *args, **kwargs):
        owner = f"{type(self).__name__} {self.name!r}"
        try:
            if args:
                args = (inputs.string_inputs(args[0], owner),) + args[1:]
            elif "inputs" in kwargs:
                kwargs["inputs"] = inputs.string_inputs(kwargs["inputs"], owner)
        except (TypeError, ValueError) as error:
            raise keras_compat.keep_message(error) from None
        return super().__call__(*args, **kwargs)

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


def _convert_data(value, name):
    try:
        return inputs.batch_data(value, f"`{name}`")
    except (TypeError, ValueError) as error:
        raise keras_compat.keep_message(error) from None


def _check_model_inputs(model, model_inputs):
    try:
        inputs.check_model_inputs(model, model_inputs)
    except TypeError as error:
        raise keras_compat.keep_message(error) from None


_accepting = []


def accept_string_data():
    """Makes Keras's `fit`, `evaluate` and `predict` take lists, numpy and
    pandas arrays of strings (converted by `tf_dynemb.inputs.batch_data`,
    which stock Keras refuses), and makes a model refuse numbers for a string
    `keras.Input` with one line. Every model of the process then does; the
    data changed is only data that stock Keras refuses. Installed once."""
    if not _accepting:
        keras_compat.convert_data_before_adapters(_convert_data)
        keras_compat.check_functional_inputs(_check_model_inputs)
        _accepting.append(True)


def use_custom_op_of(inner):
    """A `use_custom_op` property for a layer made around a `DynamicEmbedding`
    (its attribute `inner`): reads and sets that layer's."""

    def get(self):
        return getattr(self, inner).use_custom_op

    def set_(self, value):
        getattr(self, inner).use_custom_op = value

    return property(get, set_, doc=f"As `DynamicEmbedding.use_custom_op`, for `{inner}`.")
