"""Each private Keras use of `tf_dynemb.keras_compat` works on the installed
Keras, and fails with a message naming the checked versions where it is
missing."""

import types

import keras
import pytest
import tensorflow as tf

from tf_dynemb import keras_compat
from tf_dynemb.layers import DynamicEmbedding, TextEmbedding

MISSING = r"lacks; it was checked on Keras 3\.15\.1"


def test_flatten_layers_finds_nested_layers():
    inputs = keras.Input(shape=(), dtype="string")
    text = TextEmbedding(4, vocabulary=["a"], num_oov_buckets=2)
    model = keras.Model(inputs, keras.layers.Dense(1)(text(inputs)))
    layers = keras_compat.flatten_layers(model)
    assert text in layers and text.embedding in layers
    with pytest.raises(RuntimeError, match=r"`Layer._flatten_layers\(\)`.*" + MISSING):
        keras_compat.flatten_layers(object())


def test_take_raw_inputs_sets_keras_flags():
    layer = DynamicEmbedding(4, vocabulary=["a"], num_oov_buckets=2)
    assert layer._convert_input_args is False
    assert layer._allow_non_tensor_positional_args is True
    assert layer(tf.constant(["a", "b"])).shape == (2, 4)  # strings pass unconverted
    with pytest.raises(RuntimeError, match="_convert_input_args.*" + MISSING):
        keras_compat.take_raw_inputs(types.SimpleNamespace())


def test_count_steps_atomically_still_counts():
    optimizer = keras.optimizers.SGD(0.1)
    optimizer.build([keras.Variable([1.0])])
    keras_compat.count_steps_atomically(optimizer)
    optimizer.iterations.assign_add(1)
    optimizer.iterations.assign_add(2)
    assert int(optimizer.iterations.numpy()) == 3
    counter = types.SimpleNamespace(dtype="int64")
    with pytest.raises(RuntimeError, match=r"`Variable.value`.*" + MISSING):
        keras_compat.count_steps_atomically(types.SimpleNamespace(iterations=counter))


def test_trainer_module_has_what_the_workarounds_replace():
    trainer = keras_compat.tensorflow_trainer_module()
    assert callable(keras_compat.unpatched(trainer.TensorFlowTrainer, "_maybe_symbolic_build"))
    assert callable(keras_compat.unpatched(trainer, "reduce_per_replica"))


def test_patch_keras_replaces_only_a_faulty_function_once():
    def original():
        return "keras"

    owner = types.SimpleNamespace(step=original)
    replace = lambda f: lambda: "patched " + f()  # noqa: E731
    assert keras_compat.patch_keras(owner, "step", lambda: False, replace) is False
    assert owner.step is original
    assert keras_compat.patch_keras(owner, "step", lambda: True, replace) is True
    assert owner.step() == "patched keras"
    patched = owner.step
    assert keras_compat.patch_keras(owner, "step", lambda: True, replace) is True
    assert owner.step is patched and keras_compat.unpatched(owner, "step") is original
    assert keras_compat.patch_keras(owner, "absent", lambda: True, replace) is False


def test_keep_message_keeps_an_error_one_line_through_a_model():
    class Failing(keras.layers.Layer):
        def __init__(self, error, **kwargs):
            super().__init__(**kwargs)
            self.error = error

        def call(self, inputs):
            raise self.error

        def compute_output_shape(self, input_shape):
            return input_shape

    inputs = keras.Input(shape=(1,))
    for error, one_line in ((ValueError("one line"), False),
                            (keras_compat.keep_message(ValueError("one line")), True)):
        model = keras.Model(inputs, Failing(error)(inputs))
        with pytest.raises(ValueError) as raised:
            model(tf.ones([1, 1]))
        assert (str(raised.value) == "one line") is one_line, str(raised.value)


def test_convert_data_before_adapters_converts_fit_evaluate_predict_data(monkeypatch):
    from keras.src.trainers import data_adapters, epoch_iterator

    DynamicEmbedding(4, vocabulary=["a"], num_oov_buckets=2)  # installs the conversion
    assert hasattr(data_adapters.get_data_adapter, keras_compat.PATCH_MARK)
    adapter = data_adapters.get_data_adapter(x=["a", "b"], y=[1.0, 2.0], batch_size=2)
    x, y = next(iter(adapter.get_tf_dataset()))
    assert x.dtype == tf.string and y.numpy().tolist() == [1.0, 2.0]
    monkeypatch.setattr(epoch_iterator, "data_adapters", types.SimpleNamespace())
    with pytest.raises(RuntimeError, match=r"`epoch_iterator.data_adapters`.*" + MISSING):
        keras_compat.convert_data_before_adapters(lambda value, name: value)


def test_check_functional_inputs_sees_values_before_the_cast(monkeypatch):
    from keras.src.models.functional import Functional

    DynamicEmbedding(4, vocabulary=["a"], num_oov_buckets=2)  # installs the check
    assert hasattr(Functional._convert_inputs_to_tensors, keras_compat.PATCH_MARK)
    inputs = keras.Input(shape=(), dtype="string", name="words")
    model = keras.Model(inputs, DynamicEmbedding(4, vocabulary=["a"], num_oov_buckets=2)(inputs))
    with pytest.raises(TypeError, match=r"^Input 'words' of model .* got int32 .*\.$"):
        model(tf.constant([1]))
    monkeypatch.delattr(Functional, "_convert_inputs_to_tensors")
    with pytest.raises(RuntimeError, match=r"`Functional._convert_inputs_to_tensors\(\)`.*"
                                           + MISSING):
        keras_compat.check_functional_inputs(lambda model, inputs: None)
