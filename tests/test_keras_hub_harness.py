"""keras-hub's own layer test on every tf_dynemb layer: config and
serialization round trips, build, symbolic and eager calls and mixed
precision; then keras-hub's training step (`jit_compile=True`).

keras-hub's harness runs its training step on `convert_to_numpy(inputs)`, and
Keras 3.15's `fit` refuses numpy arrays of strings ("Invalid dtype: object",
StringLookup included), so that one step is run here on the string tensors,
otherwise as keras-hub runs it.
"""

import keras
import numpy as np
import tensorflow as tf
from keras_hub.src.tests.test_case import TestCase

from tf_dynemb.layers import CharCNNEncoder, DynamicEmbedding, HybridEmbedding, TextEmbedding

WORDS = tf.constant(["the", "unseen", "zebra", "", "cats", "東京"])
SENTENCES = tf.constant(["The cat, unseen!", "", "東京 café"])
VOCABULARIES = dict(vocabulary=["the", "cat", "café"], wordpiece_vocabulary=["un", "##seen"],
                    num_oov_buckets=4)


class KerasHubHarnessTest(TestCase):
    def run_layer_test(self, cls, init_kwargs, input_data, **kwargs):
        super().run_layer_test(cls, init_kwargs, input_data, run_training_check=False, **kwargs)
        layer = cls(**init_kwargs)
        output = layer(input_data)
        inputs = keras.Input(shape=input_data.shape[1:], dtype="string")
        model = keras.Model(inputs, layer(inputs))
        model.compile(optimizer="sgd", loss="mse", jit_compile=True)
        before = [w.numpy().copy() for w in layer.trainable_weights]
        history = model.fit(input_data, np.zeros_like(output), verbose=0)
        self.assertTrue(np.isfinite(history.history["loss"][0]))
        moved = [not np.allclose(w.numpy(), b) for w, b in zip(layer.trainable_weights, before)]
        self.assertTrue(any(moved), "one training step moved no weight")

    def test_dynamic_embedding(self):
        self.run_layer_test(DynamicEmbedding, dict(output_dim=5, **VOCABULARIES), WORDS,
                            expected_output_shape=(6, 5), expected_num_trainable_weights=1)

    def test_dynamic_embedding_on_sequences(self):
        self.run_layer_test(DynamicEmbedding, dict(output_dim=5, combiner="sqrtn", **VOCABULARIES),
                            tf.reshape(WORDS, [2, 3]), expected_output_shape=(2, 3, 5),
                            expected_num_trainable_weights=1)

    def test_text_embedding(self):
        # "sequence" mode is left out: its symbolic shape is [3, None, 5] (the
        # words per sentence are unknown), and the harness wants one shape for
        # symbolic and eager outputs. tests/test_text_embedding.py covers it.
        for mode in ("mean", "max", "sum"):
            self.run_layer_test(TextEmbedding, dict(output_dim=5, output_mode=mode, **VOCABULARIES),
                                SENTENCES, expected_output_shape=(3, 5),
                                expected_num_trainable_weights=1)

    def test_char_cnn_encoder(self):
        # Character embeddings, Conv1D kernel and bias, Dense kernel and bias.
        self.run_layer_test(CharCNNEncoder, dict(output_dim=4, filters=8, max_chars=6), WORDS,
                            expected_output_shape=(6, 4), expected_num_trainable_weights=5)

    def test_hybrid_embedding(self):
        static = DynamicEmbedding(4, vocabulary=["the", "cat"], num_oov_buckets=0)
        self.run_layer_test(HybridEmbedding,
                            dict(static=static, dynamic=CharCNNEncoder(4, filters=8)), WORDS,
                            expected_output_shape=(6, 4), expected_num_trainable_weights=6)
