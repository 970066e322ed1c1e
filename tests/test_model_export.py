"""export_model: whole trained Keras models served in both flavors, equal to
predict in fresh processes that import only what a server has."""

import base64
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import prediction_log_pb2

import tf_dynemb
from saved_model_helper import op_types
from tf_dynemb import serving
from tf_dynemb.serving import folding
from tf_dynemb.flavors import scoped_flavor
from tf_dynemb.layers import (
    CharCNNEncoder,
    DynamicEmbedding,
    HybridEmbedding,
    TextEmbedding,
    dynamic_embeddings,
)

WORDS = ["the", "cat", "sat", "on", "mat", "socket", "create"]
PIECES = ["un", "##seen", "##s", "sock", "##et", "cre", "##ate", "[UNK]"]
HOSTILE = [w if isinstance(w, bytes) else w.encode() for w in [
    "", b"\xff\xfe", b"\xc3", "Create a socket.", "東京タワー", "\U0001f642!", "a" * (1 << 20),
    "unseen cats", "the the the", "qzxv"]]

# Runs in a fresh interpreter with only what a server has: TensorFlow and TF
# Text (portable), and also the op library (fused); never tf_dynemb.
LOAD_AND_RUN = """
import base64, json, sys
{prelude}
inputs = {{name: tf.constant([base64.b64decode(v) for v in values])
          for name, values in json.load(open(sys.argv[2])).items()}}
signature = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
shapes = {{n: s.shape for n, s in signature.structured_input_signature[1].items()}}
inputs = {{n: tf.reshape(v, [-1] + shapes[n].as_list()[1:]) for n, v in inputs.items()}}
out = signature(**inputs)
print(json.dumps({{"outputs": {{k: v.numpy().tolist() for k, v in out.items()}},
                   "dtypes": {{n: s.dtype.name for n, s in
                              signature.structured_input_signature[1].items()}},
                   "modules": sorted(m for m in sys.modules if m.startswith("tf_dynemb"))}}))
"""
PRELUDES = {
    "portable": "import tensorflow as tf\nimport tensorflow_text",
    "fused": "import tensorflow as tf\nimport tensorflow_text\n"
             f"tf.load_op_library({tf_dynemb.op_library_path()!r})",
}


def run_fresh(flavor, path, inputs, tmp_path):
    data = tmp_path / "inputs.json"
    data.write_text(json.dumps({
        name: [base64.b64encode(v).decode() for v in np.asarray(values, dtype=object).ravel()]
        for name, values in inputs.items()}))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run([sys.executable, "-c", LOAD_AND_RUN.format(prelude=PRELUDES[flavor]),
                             path, str(data)], capture_output=True, text=True, env=env, cwd="/",
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _train(model, x, classes):
    model.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy")
    model.fit(x, np.arange(len(next(iter(x.values())) if isinstance(x, dict) else x)) % classes,
              epochs=2, verbose=0)
    return model


def text_classifier():
    inputs = keras.Input(shape=(), dtype="string", name="sentence")
    x = TextEmbedding(8, vocabulary=WORDS, wordpiece_vocabulary=PIECES, num_oov_buckets=5,
                      output_mode="max", strip_accents=True)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))
    return _train(model, tf.constant(["The cat sat.", "create a socket", "unseen mats",
                                      "東京"] * 4), 3), {"sentence": HOSTILE}


def hybrid_tagger():
    inputs = keras.Input(shape=(5,), dtype="string", name="words")
    hybrid = HybridEmbedding(DynamicEmbedding(8, vocabulary=WORDS, num_oov_buckets=0),
                             CharCNNEncoder(8, filters=8))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(hybrid(inputs)))
    words = tf.reshape(tf.constant(HOSTILE[:5] * 2 + ["cat"] * 10), [4, 5])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(words, np.ones((4, 5)), verbose=0)
    return model, {"words": np.array(HOSTILE, dtype=object).reshape(2, 5)}


def two_inputs_shared_and_nested():
    shared = DynamicEmbedding(6, vocabulary=WORDS, wordpiece_vocabulary=PIECES,
                              num_oov_buckets=3, combiner="sqrtn")
    inner_in = keras.Input(shape=(), dtype="string")
    inner = keras.Model(inner_in, keras.layers.Dense(4)(shared(inner_in)), name="inner")
    title = keras.Input(shape=(), dtype="string", name="title")
    body = keras.Input(shape=(), dtype="string", name="body")
    other = DynamicEmbedding(4, wordpiece_vocabulary=PIECES, num_oov_buckets=7, combiner="sum")
    x = keras.layers.Concatenate()([inner(title), shared(body), other(body)])
    model = keras.Model({"title": title, "body": body}, keras.layers.Dense(1)(x))
    model.compile("sgd", "mse")
    model.fit({"title": tf.constant(WORDS), "body": tf.constant(PIECES[:7])}, np.ones((7, 1)),
              verbose=0)
    return model, {"title": HOSTILE, "body": HOSTILE[::-1]}


MODELS = {"text_classifier": text_classifier, "hybrid_tagger": hybrid_tagger,
          "two_inputs_shared_and_nested": two_inputs_shared_and_nested}


@pytest.fixture(scope="module", params=sorted(MODELS))
def trained(request):
    return MODELS[request.param]()


@pytest.mark.parametrize("flavor", serving.FLAVORS)
def test_export_equals_predict_in_a_fresh_process(trained, flavor, tmp_path):
    model, inputs = trained
    path = serving.export_model(model, str(tmp_path / "model"), flavor=flavor)
    assert path == str(tmp_path / "model" / "1")
    tensors = {name: tf.constant(value) for name, value in inputs.items()}
    expected = model.predict(next(iter(tensors.values())) if len(tensors) == 1 else tensors,
                             verbose=0)
    got = run_fresh(flavor, path, inputs, tmp_path)
    assert got["modules"] == []
    assert set(got["dtypes"]) == set(inputs) and set(got["dtypes"].values()) == {"string"}
    np.testing.assert_allclose(got["outputs"]["output_0"], expected, rtol=1e-6, atol=1e-6)
    assert serving.read_export_info(path)["flavor"] == flavor
    # The model's own layers are on the path they were trained with.
    assert all(layer.use_custom_op for layer in dynamic_embeddings(model))


@pytest.mark.parametrize("flavor", serving.FLAVORS)
def test_an_export_failing_midway_leaves_the_model_as_it_was(monkeypatch, tmp_path, flavor):
    model, inputs = two_inputs_shared_and_nested()
    layers = dynamic_embeddings(model)
    layers[1].use_custom_op = False
    paths = [layer.use_custom_op for layer in layers]
    batch = {name: tf.constant(value) for name, value in inputs.items()}
    before = model.predict(batch, verbose=0)
    export = keras.Model.export

    def export_then_fail(self, *args, **kwargs):
        export(self, *args, **kwargs)  # traced with the export's flavor
        raise RuntimeError("disk full")

    monkeypatch.setattr(keras.Model, "export", export_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        serving.export_model(model, str(tmp_path / "m"), flavor=flavor)
    assert [layer.use_custom_op for layer in layers] == paths
    assert scoped_flavor() is None
    assert not os.path.exists(tmp_path / "m" / "1")
    model.make_predict_function(force=True)
    np.testing.assert_array_equal(model.predict(batch, verbose=0), before)


def test_a_portable_model_exports_fused_and_stays_portable(tmp_path):
    model, inputs = text_classifier()
    layer = dynamic_embeddings(model)[0]
    layer.use_custom_op = False
    path = serving.export_model(model, str(tmp_path / "m"), flavor="fused")
    assert any(op.startswith("TfDynemb") for op in op_types(path))
    assert layer.use_custom_op is False
    got = run_fresh("fused", path, inputs, tmp_path)
    expected = model.predict(tf.constant(inputs["sentence"]), verbose=0)
    np.testing.assert_allclose(got["outputs"]["output_0"], expected, rtol=1e-6, atol=1e-6)


def test_flavors_hold_the_right_ops_and_warmup(tmp_path):
    model, inputs = text_classifier()
    portable = serving.export_model(model, str(tmp_path / "m"), flavor="portable")
    fused = serving.export_model(model, str(tmp_path / "m"), flavor="fused")
    assert fused.endswith("2")
    assert not any(op.startswith("TfDynemb") for op in op_types(portable))
    assert "FastWordpieceTokenizeWithOffsets" in op_types(portable)
    assert any(op.startswith("TfDynemb") for op in op_types(fused))
    records = list(tf.data.TFRecordDataset(
        os.path.join(portable, "assets.extra", "tf_serving_warmup_requests")))
    log = prediction_log_pb2.PredictionLog.FromString(records[0].numpy())
    request = log.predict_log.request
    assert request.model_spec.signature_name == "serving_default"
    sent = tf.make_ndarray(request.inputs["sentence"]).tolist()
    assert sent[:2] == [b"the", b"cat"] and b"" in sent  # from the vocabulary
    custom = serving.export_model(model, str(tmp_path / "w"), warmup_inputs=["a b", ""])
    records = list(tf.data.TFRecordDataset(
        os.path.join(custom, "assets.extra", "tf_serving_warmup_requests")))
    log = prediction_log_pb2.PredictionLog.FromString(records[0].numpy())
    assert tf.make_ndarray(log.predict_log.request.inputs["sentence"]).tolist() == [b"a b", b""]


class DirectLookup(keras.layers.Layer):
    """Calls the fused op itself, not through a tf_dynemb layer."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._model = tf_dynemb.build_model(["a"], num_oov_buckets=1)

    def build(self, input_shape):
        self.table = self.add_weight(shape=(2, 3), name="table")

    def call(self, words):
        return tf_dynemb.lookup(words, self.table.value, self._model)

    def compute_output_spec(self, words):
        return keras.KerasTensor(tuple(words.shape) + (3,))


class EagerOnly(keras.layers.Layer):
    """Gives other outputs when traced than eagerly: an export cannot match."""

    def call(self, x):
        return x + (1.0 if tf.executing_eagerly() else 0.0)


def test_nothing_is_dropped_silently(tmp_path):
    inputs = keras.Input(shape=(), dtype="string")
    direct = keras.Model(inputs, DirectLookup()(inputs))
    with pytest.raises(ValueError, match="holds the tf_dynemb op TfDynemb.*direct_lookup"):
        serving.export_model(direct, str(tmp_path / "direct"))
    assert os.listdir(tmp_path / "direct") == []  # no version, no staging directory
    assert serving.export_model(direct, str(tmp_path / "direct"), flavor="fused")

    words = keras.Input(shape=(), dtype="string")
    vectors = DynamicEmbedding(3, vocabulary=WORDS, num_oov_buckets=1)(words)
    sneaky = keras.Model(words, EagerOnly()(vectors))
    with pytest.raises(ValueError, match="does not reproduce the model's output 'output_0'"):
        serving.export_model(sneaky, str(tmp_path / "sneaky"))
    assert os.listdir(tmp_path / "sneaky") == []
    with pytest.raises(ValueError, match="`flavor` must be one of"):
        serving.export_model(sneaky, str(tmp_path / "x"), flavor="xla")


def test_embedding_only_export_refuses_wrapped_layers(tmp_path):
    model, _ = text_classifier()
    model.save(str(tmp_path / "text.keras"))
    with pytest.raises(ValueError, match="belongs to the TextEmbedding .* tokenization"):
        serving.server_from_keras(str(tmp_path / "text.keras"))
    model, _ = hybrid_tagger()
    model.save(str(tmp_path / "hybrid.keras"))
    with pytest.raises(ValueError, match="belongs to the HybridEmbedding .* encoder"):
        serving.server_from_keras(str(tmp_path / "hybrid.keras"))


def test_composed_words_are_served_from_one_row_each():
    layer = DynamicEmbedding(4, vocabulary=WORDS, wordpiece_vocabulary=PIECES, num_oov_buckets=3,
                             num_ngram_buckets=50)
    words = tf.constant(WORDS + ["unseen", "qzxv"])
    expected = layer(words).numpy()
    vocabulary_model, table = folding.fold(layer)
    row_ids, _, row_word, _ = tf_dynemb.segment(words, vocabulary_model)
    per_word = np.bincount(row_word.numpy(), minlength=len(WORDS) + 2)
    assert per_word[:len(WORDS)].tolist() == [1] * len(WORDS)  # one row a vocabulary word
    assert per_word[len(WORDS):].min() > 1  # the others still pool their subwords
    np.testing.assert_array_equal(tf_dynemb.lookup(words, table, vocabulary_model).numpy(),
                                  expected)
    assert layer.subwords.compose_words  # the layer itself is unchanged
    assert folding.fold(DynamicEmbedding(4, vocabulary=WORDS, compose_words=False)) is None


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_models_export_folded(policy, tmp_path):
    inputs = keras.Input(shape=(), dtype="string")
    layer = DynamicEmbedding(4, vocabulary=WORDS, wordpiece_vocabulary=PIECES, num_oov_buckets=3,
                             num_ngram_buckets=50, dtype=policy)
    model = keras.Model(inputs, layer(inputs))
    words = tf.constant(WORDS + ["unseen", "qzxv", ""])
    for flavor in serving.FLAVORS:
        path = serving.export_model(model, str(tmp_path / flavor), flavor=flavor,
                                    warmup_inputs=words)
        served = tf.saved_model.load(path).signatures["serving_default"]
        np.testing.assert_array_equal(next(iter(served(words).values())).numpy(),
                                      model(words).numpy())
