"""SavedModels for TF Serving, loaded in fresh processes as a server would."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import prediction_log_pb2

import tf_dynemb
from saved_model_helper import op_types
from tf_dynemb import serving
from tf_dynemb.layers import TextEmbedding
from tf_dynemb.text import basic_tokenize
from tf_dynemb.vocabulary import default_vocabulary

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

WORDS = ["the", "function", "tokenization", "Zürich", "東京", "", "qzxv", "\U0001f642"]
SENTENCES = ["The function, tokenization!", "", "Zürich 東京 qzxv"]

# Runs in a fresh interpreter: loads a SavedModel and prints both signatures'
# outputs as JSON. PRELUDE decides what the process imports.
LOAD_AND_RUN = """
import json, sys
{prelude}
loaded = tf.saved_model.load(sys.argv[1])
words = loaded.signatures["embed_words"](words=tf.constant(json.loads(sys.argv[2])))
sentences = loaded.signatures["serving_default"](sentences=tf.constant(json.loads(sys.argv[3])))
print(json.dumps({{"embeddings": words["embeddings"].numpy().tolist(),
                   "kind": words["kind"].numpy().tolist(),
                   "embedding": sentences["embedding"].numpy().tolist(),
                   "modules": sorted(m for m in sys.modules if m.startswith("tf_dynemb"))}}))
"""
PRELUDES = {
    "portable": "import tensorflow as tf\nimport tensorflow_text",
    "fused": f"import tensorflow as tf\ntf.load_op_library({tf_dynemb.op_library_path()!r})",
}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    words, pieces = default_vocabulary()
    base = tmp_path_factory.mktemp("models")
    paths, servers = {}, {}
    for flavor in serving.FLAVORS:
        paths[flavor] = serving.export(
            str(base / flavor), words, pieces, dim=8, num_oov_buckets=50, combiner="mean",
            flavor=flavor)
        servers[flavor] = serving.make_server(words, pieces, 8, 50, flavor=flavor)
    return paths, servers


def run_fresh(flavor, path):
    script = LOAD_AND_RUN.format(prelude=PRELUDES[flavor])
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-c", script, path, json.dumps(WORDS), json.dumps(SENTENCES)],
        capture_output=True, text=True, env=env, cwd="/", timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("flavor", serving.FLAVORS)
def test_fresh_process_gives_in_process_vectors(exported, flavor):
    paths, servers = exported
    got = run_fresh(flavor, paths[flavor])
    assert got["modules"] == []  # the server process never imported tf_dynemb
    want_words = servers[flavor].embed_words(tf.constant(WORDS))
    want_sentences = servers[flavor].embed_sentences(tf.constant(SENTENCES))
    np.testing.assert_allclose(got["embeddings"], want_words["embeddings"], rtol=1e-6, atol=1e-6)
    assert got["kind"] == want_words["kind"].numpy().tolist()
    np.testing.assert_allclose(got["embedding"], want_sentences["embedding"], rtol=1e-6,
                               atol=1e-6)
    assert got["kind"][WORDS.index("")] == tf_dynemb.PAD


def test_flavors_agree(exported):
    _, servers = exported
    fused = servers["fused"].embed_words(tf.constant(WORDS))
    portable = servers["portable"].embed_words(tf.constant(WORDS))
    np.testing.assert_allclose(fused["embeddings"], portable["embeddings"], rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(fused["kind"], portable["kind"])


@pytest.mark.parametrize("flavor", serving.FLAVORS)
def test_served_sentences_are_split_as_text_embedding_splits_them(exported, flavor):
    """`serving_default` gives the mean of the word vectors of the words that
    TextEmbedding's tokenizer finds, punctuation included."""
    paths, servers = exported
    served = tf.saved_model.load(paths[flavor]).signatures["serving_default"]
    got = served(sentences=tf.constant(SENTENCES))["embedding"].numpy()
    words = basic_tokenize(tf.constant(SENTENCES))
    assert {",", "!"} <= {w.decode() for w in words[0].numpy()}
    vectors = servers[flavor].embed_words(words.flat_values)["embeddings"]
    mean = tf.reduce_mean(words.with_flat_values(vectors), axis=1).numpy()
    want = np.where((words.row_lengths() > 0).numpy()[:, None], mean, 0.0)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    vocabulary, pieces = default_vocabulary()
    layer = TextEmbedding(8, vocabulary=vocabulary, wordpiece_vocabulary=pieces,
                          num_oov_buckets=50, use_custom_op=flavor == "fused")
    layer.build()
    layer.embedding.embeddings.assign(servers[flavor].table)
    np.testing.assert_allclose(got, layer(tf.constant(SENTENCES)), rtol=1e-6, atol=1e-6)


def test_portable_graph_has_stock_ops_only(exported):
    paths, _ = exported
    portable, fused = op_types(paths["portable"]), op_types(paths["fused"])
    assert not [op for op in portable if op.startswith("TfDynemb")]
    assert "FastWordpieceTokenizeWithOffsets" in portable
    assert "TfDynembResourceLookup" in fused  # the table is a variable


@pytest.mark.parametrize("flavor", serving.FLAVORS)
def test_inputs_stay_strings(exported, flavor):
    paths, _ = exported
    shown = subprocess.run(
        [sys.executable, "-m", "tensorflow.python.tools.saved_model_cli", "show", "--dir",
         paths[flavor], "--all"], capture_output=True, text=True, check=True).stdout
    for name in ("words", "sentences"):
        block = shown.split(f"inputs['{name}'] tensor_info:")[1]
        assert block.split("\n")[1].strip() == "dtype: DT_STRING"
    assert "outputs['embedding']" in shown and "outputs['kind']" in shown


def test_warmup_requests_parse_back(exported):
    paths, _ = exported
    path = os.path.join(paths["portable"], "assets.extra", "tf_serving_warmup_requests")
    requests = []
    for record in tf.data.TFRecordDataset(path):
        log = prediction_log_pb2.PredictionLog.FromString(record.numpy())
        requests.append(log.predict_log.request)
    assert [r.model_spec.signature_name for r in requests] == ["serving_default", "embed_words"]
    sentences = tf.make_ndarray(requests[0].inputs["sentences"])
    assert [s.decode() for s in sentences] == serving.WARMUP_SENTENCES


def test_versions_count_up_and_never_overwrite(tmp_path):
    words, pieces = ["a", "b"], ["c", "##d"]
    first = serving.export(str(tmp_path), words, pieces, 4, 3, "mean", "portable")
    second = serving.export(str(tmp_path), words, pieces, 4, 3, "mean", "portable")
    assert [os.path.basename(first), os.path.basename(second)] == ["1", "2"]
    assert sorted(os.listdir(tmp_path)) == ["1", "2"]  # no staging directory left
    assert oct(os.stat(first).st_mode & 0o777) == "0o755"
    with pytest.raises(FileExistsError, match="pass another version"):
        serving.export(str(tmp_path), words, pieces, 4, 3, "mean", "portable",
                                  version=2)


def test_vectors_fill_word_rows(tmp_path):
    vec = tmp_path / "v.vec"
    vec.write_text("2 3\nalpha 1 2 3\nbeta 4 5 6\n")
    from tf_dynemb.vectors import load_text_vectors
    words, matrix = load_text_vectors(str(vec))
    server = serving.make_server(words, ["x"], 3, 2, vectors=dict(zip(words, matrix)))
    got = server.embed_words(tf.constant(["beta", "alpha"]))["embeddings"].numpy()
    np.testing.assert_array_equal(got, [[4, 5, 6], [1, 2, 3]])


@pytest.mark.parametrize("text, message", [
    ("alpha 1 2\nbeta 1\n", r"v.vec:2: expected a word and 2 values, got 1"),
    ("alpha 1 x\n", r"v.vec:1: a value of 'alpha' is not a number"),
    ("alpha 1 2\nalpha 3 4\n", r"v.vec:2: 'alpha' already appeared on line 1"),
])
def test_bad_vectors_name_the_line(tmp_path, text, message):
    from tf_dynemb.vectors import load_text_vectors
    vec = tmp_path / "v.vec"
    vec.write_text(text)
    with pytest.raises(ValueError, match=message):
        load_text_vectors(str(vec))


@pytest.mark.parametrize("flavor", serving.FLAVORS)
def test_export_from_a_trained_keras_model(tmp_path, flavor):
    import keras
    from tf_dynemb.layers import DynamicEmbedding

    layer = DynamicEmbedding(6, vocabulary=["the", "cat"], wordpiece_vocabulary=["un", "##seen"],
                             num_oov_buckets=7, combiner="sqrtn")
    inputs = keras.Input(shape=(), dtype="string")
    model = keras.Model(inputs, keras.layers.Dense(1)(layer(inputs)))
    model.compile("sgd", "mse")
    model.fit(tf.constant(["the", "unseen", "zebra"]), np.ones((3, 1)), epochs=1, verbose=0)
    model.save(str(tmp_path / "m.keras"))
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "export", "export_saved_model.py"),
         f"--keras_model={tmp_path / 'm.keras'}", "--embedding_only", f"--flavor={flavor}",
         f"--output_dir={tmp_path / 'out'}"],
        capture_output=True, text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert result.returncode == 0, result.stderr[-3000:]
    got = run_fresh(flavor, str(tmp_path / "out" / "1"))
    np.testing.assert_allclose(got["embeddings"], layer(tf.constant(WORDS)), rtol=1e-6, atol=1e-6)


def test_keras_model_without_the_layer_is_refused(tmp_path):
    import keras

    inputs = keras.Input(shape=(3,))
    keras.Model(inputs, keras.layers.Dense(1)(inputs)).save(str(tmp_path / "plain.keras"))
    with pytest.raises(ValueError, match="exactly one DynamicEmbedding layer to export its embedding; found 0"):
        serving.server_from_keras(str(tmp_path / "plain.keras"))
