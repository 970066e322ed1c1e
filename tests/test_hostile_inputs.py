"""Hostile inputs: text that is not what it seems (invalid UTF-8, NUL, every
whitespace, huge words), data of the wrong kind for `adapt()`, and damaged
files for the command line. Each gets a one-line error that names what was
received, or a result equal to the definition; a failed `adapt()` leaves the
layer as it was."""

import io
import json
import re
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf

import tf_dynemb
from normalization_oracle import python_normalized
from cli_helper import one_line_error, run_cli
from tf_dynemb.layers import DynamicEmbedding, TextEmbedding
from tf_dynemb.text import normalize_words

SMALL = dict(num_ngram_buckets=0, compose_words=False)
HOSTILE_WORDS = [
    b"", b"\x00", b"\xed\xa0\x80", b"\xed\xb0\x80A", b"\xc0\xaf", b"\xf4\x90\x80\x80", b"\x80",
    "\u0301\u0301".encode(), "\u00a0".encode(), "\u2028".encode(), "\ufeffA".encode(),
    b"\t\n\r\x0b\x0c ", "\u3000\u2003\u200b".encode(), "ǅİ".encode(), b"A" * (1 << 20),
    ("É" * (1 << 19)).encode(), b"Caf\xc3\xa9", b"caf\xc3"]


@pytest.mark.parametrize("lowercase, strip_accents", [(True, False), (False, True), (True, True)])
def test_normalization_of_hostile_words_is_the_python_definition(lowercase, strip_accents):
    got = normalize_words(tf.constant(HOSTILE_WORDS), lowercase, strip_accents).numpy().tolist()
    assert got == [python_normalized(w, lowercase, strip_accents) for w in HOSTILE_WORDS]


def test_both_flavors_agree_on_hostile_words_in_two_dimensions():
    kwargs = dict(output_dim=4, vocabulary=["cafe", "a"], wordpiece_vocabulary=["[UNK]", "ca"],
                  num_oov_buckets=3, lowercase=True, strip_accents=True, **SMALL)
    fused = DynamicEmbedding(**kwargs)
    portable = DynamicEmbedding(**kwargs, use_custom_op=False)
    fused.build(), portable.build()
    portable.embeddings.assign(fused.embeddings)
    words = tf.reshape(tf.constant(HOSTILE_WORDS), [2, -1])
    for got, want in zip(fused.lookup(words, True), portable.lookup(words, True)):
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert fused.lookup(words, True)[1].numpy()[1, -2] == tf_dynemb.WORD  # "Café"


def _state(layer):
    embedding = getattr(layer, "embedding", layer)
    return embedding.get_vocabulary(), embedding.get_wordpiece_vocabulary(), layer.built


def _raise_midway():
    yield ["a", "a"]
    raise RuntimeError("the corpus reader failed")


@pytest.mark.parametrize("layer_class", [DynamicEmbedding, TextEmbedding])
@pytest.mark.parametrize("data, kwargs, error, message", [
    ({"text": ["a", "a"]}, {}, TypeError, r"Received: dict \{'text'"),
    (None, {}, TypeError, "Received: NoneType None"),
    (["a", "b", "c"], {}, ValueError,
     r"no word that occurs min_frequency=2 times: the most frequent, 'a', occurs 1 times"),
    (["", ""], {}, ValueError, "found no words"),
    (_raise_midway, {}, RuntimeError, "the corpus reader failed"),
    ([b"caf\xc3", b"caf\xc3"], {}, ValueError, "not valid UTF-8"),
    (["a", 1], {}, TypeError, r"got int \(1\) at position \[1\]"),
])
def test_a_failed_adapt_names_the_data_and_changes_nothing(layer_class, data, kwargs, error,
                                                           message):
    layer = layer_class(4, vocabulary=["keep"], wordpiece_vocabulary=["k"], num_oov_buckets=2,
                        lowercase=False, **SMALL)
    before = _state(layer)
    with pytest.raises(error, match=message):
        layer.adapt(data() if callable(data) else data, **kwargs)
    assert _state(layer) == before


def test_adapt_may_learn_no_whole_words_when_asked():
    layer = DynamicEmbedding(4, vocabulary=["keep"], num_oov_buckets=2, **SMALL)
    layer.adapt(["a", "b"], max_tokens=0)
    assert layer.get_vocabulary() == []


def test_words_with_nul_are_words_but_never_pieces():
    layer = DynamicEmbedding(4, num_oov_buckets=2, **SMALL)
    layer.adapt(["a\x00b", "a\x00b", "hello", "hello"], wordpiece_vocabulary_size=20)
    assert layer.get_vocabulary() == ["a\x00b", "hello"]
    assert layer.get_wordpiece_vocabulary() and \
        not any("\x00" in p for p in layer.get_wordpiece_vocabulary())
    only_nul = DynamicEmbedding(4, num_oov_buckets=2, **SMALL)
    with pytest.raises(ValueError, match=r"every word holds a NUL byte.*'a\\x00b'"):
        only_nul.adapt(["a\x00b"] * 2, wordpiece_vocabulary_size=20)
    assert only_nul.get_vocabulary() == []


@pytest.mark.parametrize("layer_class", [DynamicEmbedding, TextEmbedding])
def test_hostile_corpus_adapts_saves_loads_and_exports(layer_class, tmp_path):
    from test_model_export import run_fresh

    # Sentences to split, or words as given (inner whitespace, NUL and all).
    sentences = ["Café\u00a0CAFÉ", "café", "\ufeffcafe", "x\x00y", "\u2028", "caf\u0301e"]
    words = ["Café", "CAFÉ", "caf\u0301e", "x\x00y", "a\u2028b", "x y", "", "\u0301"]
    layer = layer_class(4, num_oov_buckets=3, lowercase=True, strip_accents=True, **SMALL)
    layer.adapt((sentences if layer_class is TextEmbedding else words) * 2)
    assert "cafe" in layer.get_vocabulary()
    inputs = keras.Input(shape=(), dtype="string", name="text")
    model = keras.Model(inputs, keras.layers.Dense(2)(layer(inputs)))
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    probe = ["CAFÉ", "x\x00y", "", "zebra", "a\u2028b"]
    expected = model.predict(tf.constant(probe), verbose=0)
    np.testing.assert_array_equal(loaded.predict(tf.constant(probe), verbose=0), expected)
    for flavor in tf_dynemb.serving.FLAVORS:
        path = tf_dynemb.serving.export_model(loaded, str(tmp_path / flavor), flavor=flavor)
        got = run_fresh(flavor, path, {"text": [w.encode() for w in probe]}, tmp_path)
        np.testing.assert_allclose(got["outputs"]["output_0"], expected, rtol=1e-6, atol=1e-6)


@pytest.fixture(scope="module")
def keras_file(tmp_path_factory):
    layer = DynamicEmbedding(4, vocabulary=["cat"], num_oov_buckets=3, lowercase=True, **SMALL)
    inputs = keras.Input(shape=(), dtype="string")
    path = tmp_path_factory.mktemp("m") / "m.keras"
    keras.Model(inputs, layer(inputs)).save(path)
    return path


def _with_layer_config(path, out, **changes):
    source, data = zipfile.ZipFile(path), io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        for name in source.namelist():
            content = source.read(name)
            if name == "config.json":
                config = json.loads(content)
                for layer in config["config"]["layers"]:
                    if layer["class_name"] == "DynamicEmbedding":
                        layer["config"].update(changes)
                content = json.dumps(config)
            archive.writestr(name, content)
    out.write_bytes(data.getvalue())
    return out


@pytest.mark.parametrize("changes, cause", [
    (dict(lowercase="yes"), r"`lowercase` .*Received: lowercase='yes'"),
    (dict(output_dim=-4), r"output_dim.*-4"),
])
@pytest.mark.parametrize("command", ["inspect", "export"])
def test_a_config_the_layer_refuses_is_named_in_the_one_line(keras_file, tmp_path, capsys,
                                                             changes, cause, command):
    damaged = _with_layer_config(keras_file, tmp_path / "bad.keras", **changes)
    args = [damaged] if command == "inspect" else [f"--keras_model={damaged}",
                                                   f"--output_dir={tmp_path / 'out'}"]
    status, _, err = run_cli(capsys, command, *args)
    line = one_line_error(err)
    assert status == 1 and "cannot be rebuilt from its config" in line, line
    assert re.search(cause, line), line


@pytest.mark.parametrize("command, args", [("inspect", ["/dev/null"]),
                                           ("export", ["--keras_model=/dev/null",
                                                       "--output_dir=unused"])])
def test_a_path_that_is_not_a_regular_file_is_not_called_missing(command, args, capsys):
    status, _, err = run_cli(capsys, command, *args)
    line = one_line_error(err)
    assert status == 1 and "/dev/null" in line and "not a regular file" in line, line
