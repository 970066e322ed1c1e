"""`import tf_dynemb` alone registers every layer and optimizer with Keras: a
fresh process reloads a model that holds them, and the CLI reads it."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import tf_dynemb
from cli_helper import run_cli
from tf_dynemb.layers import DynamicEmbedding
from tf_dynemb.optimizers import LazyAdam

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORDS = [f"word{i}" for i in range(2000)]
PIECES = ["un", "##seen", "wo", "##rd"]
TEXTS = ["word1", "unseen", "zzz"]

RELOAD = """
import json, sys
import keras, tf_dynemb
import tensorflow as tf

model = keras.models.load_model(sys.argv[1])
registered = {name: keras.saving.get_registered_object(f"tf_dynemb>{name}") is not None
              for name in tf_dynemb.layers.__all__ + tf_dynemb.optimizers.__all__
              if isinstance(getattr(tf_dynemb.layers, name, None)
                            or getattr(tf_dynemb.optimizers, name), type)}
print(json.dumps({"optimizer": type(model.optimizer).__name__, "registered": registered,
                  "outputs": model(tf.constant(json.loads(sys.argv[2]))).numpy().tolist()}))
"""


@pytest.fixture(scope="module")
def lazy_adam_model(tmp_path_factory):
    """A trained model with a DynamicEmbedding compiled with LazyAdam; its
    config holds a 2,000-word vocabulary."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(), dtype="string", name="words")
    layer = DynamicEmbedding(4, vocabulary=WORDS, wordpiece_vocabulary=PIECES,
                             num_oov_buckets=3, num_ngram_buckets=0)
    model = keras.Model(inputs, keras.layers.Dense(1)(layer(inputs)))
    model.compile(LazyAdam(0.01), "mse")
    model.fit(tf.constant(TEXTS), tf.constant([1.0, 0.0, 1.0]), epochs=1, verbose=0)
    path = tmp_path_factory.mktemp("one_import") / "lazy_adam.keras"
    model.save(str(path))
    return path, model(tf.constant(TEXTS)).numpy()


def test_fresh_process_loads_model_after_one_import(lazy_adam_model):
    path, expected = lazy_adam_model
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run([sys.executable, "-c", RELOAD, str(path), json.dumps(TEXTS)],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    got = json.loads(result.stdout.strip().splitlines()[-1])
    assert got["optimizer"] == "LazyAdam"
    assert got["registered"] and all(got["registered"].values()), got["registered"]
    np.testing.assert_allclose(got["outputs"], expected, rtol=1e-6)


def test_inspect_reads_lazy_adam_model(capsys, lazy_adam_model):
    status, out, err = run_cli(capsys, "inspect", lazy_adam_model[0], "--format=json")
    assert status == 0, err
    (layer,) = json.loads(out)["dynamic_embeddings"]
    assert layer["vocabulary"]["words"] == len(WORDS)
    assert layer["table"]["shape"] == [len(WORDS) + len(PIECES) + 3, 4]


def test_nearest_reads_lazy_adam_model(capsys, lazy_adam_model):
    status, out, err = run_cli(capsys, "nearest", f"--model={lazy_adam_model[0]}", "--k=2",
                               "word1", "unseen")
    assert status == 0, err
    assert "'word1' (word)" in out and "'unseen' (pieces)" in out, out


@pytest.mark.parametrize("embedding_only", [False, True])
def test_export_reads_lazy_adam_model(capsys, lazy_adam_model, tmp_path, embedding_only):
    args = ["export", f"--keras_model={lazy_adam_model[0]}", f"--output_dir={tmp_path}"]
    status, out, err = run_cli(capsys, *args, *(["--embedding_only"] if embedding_only else []))
    assert status == 0, err
    assert f"Exported the portable flavor to {tmp_path / '1'}" in out, out
    assert (tmp_path / "1" / "saved_model.pb").is_file()
    # Each variable once, though Keras's export saves each under two attributes.
    listed = [line.split(":")[0] for line in out.splitlines() if line.startswith("variable ")]
    assert listed and len(listed) == len(set(listed)), out
    assert any(": [2007, 4] float32, 32112 bytes" in line for line in out.splitlines()
               if line.startswith("variable ")), out


def test_error_quoting_a_config_is_short():
    """Keras quotes the whole config when it cannot deserialize a class; a
    class of ours never gets there, and our own argument errors cut what they
    quote."""
    with pytest.raises(TypeError) as caught:
        DynamicEmbedding(output_dim=WORDS)
    assert len(str(caught.value)) < 300, len(str(caught.value))
    assert tf_dynemb.layers.DynamicEmbedding is DynamicEmbedding


def test_cli_cuts_a_keras_load_error(capsys, tmp_path):
    """A model Keras cannot rebuild (here: a constructor argument this version
    lacks) ends in one short line, not Keras's whole config."""
    import zipfile

    inputs = keras.Input(shape=(), dtype="string", name="words")
    model = keras.Model(inputs, DynamicEmbedding(4, vocabulary=WORDS)(inputs))
    good, bad = tmp_path / "good.keras", tmp_path / "bad.keras"
    model.save(str(good))
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "config.json":
                config = json.loads(data)
                layer = next(l for l in config["config"]["layers"]
                             if l["class_name"] == "DynamicEmbedding")
                layer["config"]["argument_of_another_version"] = 1
                data = json.dumps(config).encode()
            dst.writestr(item, data)
    status, _, err = run_cli(capsys, "inspect", bad)
    assert status == 1
    (line,) = err.splitlines()
    assert line.startswith(f"tf-dynemb inspect: error: Keras cannot load {bad}: "), line
    # The layer's own reason, not Keras's dump of the config around it.
    assert "argument_of_another_version" in line and "rebuilt from its config" in line
    assert len(line) < 700, len(line)
