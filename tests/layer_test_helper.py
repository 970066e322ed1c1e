"""One check for every tf_dynemb layer: config round trip (with every
constructor argument in get_config), eager, symbolic and tf.function calls,
one fit step, `.keras` save/load and `model.export()` SavedModel reload."""

import inspect
import os

import keras
import numpy as np
import tensorflow as tf


def run_layer_test(layer_cls, init_kwargs, input_data, expected_output_shape, tmp_path):
    layer = layer_cls(**init_kwargs)

    config = layer.get_config()
    arguments = [name for name in inspect.signature(layer_cls.__init__).parameters
                 if name not in ("self", "kwargs")]
    missing = [name for name in arguments if name not in config]
    assert not missing, f"get_config() lacks constructor arguments {missing}"
    assert layer_cls.from_config(config).get_config() == config

    eager = layer(input_data)
    assert tuple(eager.shape) == tuple(expected_output_shape)
    np.testing.assert_allclose(tf.function(layer)(input_data), eager, rtol=1e-6)

    inputs = keras.Input(shape=tuple(input_data.shape[1:]), dtype="string")
    model = keras.Model(inputs, layer(inputs))
    np.testing.assert_allclose(model(input_data), eager, rtol=1e-6)

    # One fit step moves the table.
    head = keras.layers.Dense(1)
    features = layer(inputs)
    while len(features.shape) > 2:
        features = keras.ops.mean(features, axis=1)
    trainer = keras.Model(inputs, head(features))
    trainer.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    before = keras.ops.convert_to_numpy(layer.trainable_weights[0]).copy()
    trainer.fit(input_data, np.ones((input_data.shape[0], 1)), epochs=1, verbose=0)
    assert not np.allclose(keras.ops.convert_to_numpy(layer.trainable_weights[0]), before)

    expected = keras.ops.convert_to_numpy(model(input_data))
    path = os.path.join(str(tmp_path), "model.keras")
    model.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_allclose(reloaded(input_data), expected, rtol=1e-6)

    export_dir = os.path.join(str(tmp_path), "saved_model")
    model.export(export_dir, format="tf_saved_model", verbose=False)
    served = tf.saved_model.load(export_dir)
    signature = served.signatures["serving_default"]
    spec = list(signature.structured_input_signature[1].values())[0]
    assert spec.dtype == tf.string, f"exported input became {spec.dtype}"
    np.testing.assert_allclose(served.serve(input_data), expected, rtol=1e-6)
    return layer
