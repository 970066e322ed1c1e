"""`.keras` files written by an earlier version of the layers still load and
give the same outputs (`fixtures/make_fixtures.py` wrote them)."""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import tf_dynemb.layers  # noqa: F401  (registers the layers)

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


@pytest.fixture(scope="module")
def expected():
    with open(os.path.join(FIXTURES, "expected_outputs.json"), encoding="utf-8") as f:
        return json.load(f)


@pytest.mark.parametrize("name, inputs", [("dynamic_embedding", "words"),
                                          ("text_embedding", "sentences")])
@pytest.mark.parametrize("use_custom_op", [True, False])
def test_saved_model_loads_with_the_same_outputs(expected, name, inputs, use_custom_op):
    model = keras.saving.load_model(os.path.join(FIXTURES, name + ".keras"))
    for layer in model.layers:
        if hasattr(layer, "use_custom_op"):
            layer.use_custom_op = use_custom_op
    got = model.predict(tf.constant(expected[inputs]), verbose=0)
    np.testing.assert_allclose(got, np.array(expected[name]), rtol=1e-5, atol=1e-6)
