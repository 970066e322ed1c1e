"""A `.keras` file reads only what it carries: under Keras's safe mode a
config's vocabulary is inline tokens or an asset of the archive, never a
file path; with safe_mode=False a path is read, bounded and only if it is a
regular file; a vocabulary that disagrees with its table fails the load."""

import hashlib
import json
import os
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf_dynemb import keras_compat, vocabulary
from tf_dynemb.layers import DynamicEmbedding, TextEmbedding, vocabulary_reference

WORDS = ["alpha", "beta"]
# Keras wraps an error of a layer's constructor, during deserialization, in a TypeError.
LOAD_ERRORS = (TypeError, ValueError)
SECRET = ["s3cret-line-1", "s3cret-line-2"]  # As many lines as WORDS: sizes agree.


def _save(tmp_path, layer):
    inputs = keras.Input(shape=(), dtype="string")
    model = keras.Model(inputs, layer(inputs))
    path = str(tmp_path / "model.keras")
    model.save(path)
    return path


def _rewrite_layer_config(path, class_name, edit):
    """Rewrites config.json inside the archive: `edit(layer_config)` on the
    config of each layer of `class_name`."""
    with zipfile.ZipFile(path) as zf:
        entries = {name: zf.read(name) for name in zf.namelist()}
    config = json.loads(entries["config.json"])
    found = 0
    for layer in config["config"]["layers"]:
        if layer["class_name"] == class_name:
            edit(layer)
            found += 1
    assert found == 1
    entries["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)


def _crafted(tmp_path, value, cls=DynamicEmbedding):
    path = _save(tmp_path, cls(4, vocabulary=WORDS, num_oov_buckets=2))

    def edit(layer):
        layer["config"]["vocabulary"] = value

    _rewrite_layer_config(path, cls.__name__, edit)
    return path


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("".join(line + "\n" for line in SECRET))
    return path


@pytest.mark.parametrize("cls", [DynamicEmbedding, TextEmbedding])
def test_safe_mode_refuses_an_absolute_path(tmp_path, secret_file, cls):
    path = _crafted(tmp_path, str(secret_file), cls)
    with pytest.raises(LOAD_ERRORS, match=r"safe_mode=True.*safe_mode=False") as error:
        keras.models.load_model(path)
    assert "s3cret-line" not in str(error.value)


def test_safe_mode_refuses_a_relative_path(tmp_path, secret_file, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _crafted(tmp_path, "secret.txt")
    with pytest.raises(LOAD_ERRORS, match="safe_mode"):
        keras.models.load_model(path)


def test_safe_mode_refuses_a_device(tmp_path):
    path = _crafted(tmp_path, "/dev/zero")
    with pytest.raises(LOAD_ERRORS, match="safe_mode"):
        keras.models.load_model(path)


def test_safe_mode_ignores_the_path_of_a_reference(tmp_path, secret_file):
    digest = hashlib.sha256("".join(t + "\n" for t in SECRET).encode()).hexdigest()
    path = _crafted(tmp_path, {"sha256": digest, "size": 2, "path": str(secret_file)})
    model = keras.models.load_model(path)  # The archive has no asset: the tokens stay unknown.
    with pytest.raises(ValueError, match="could not be resolved") as error:
        model.layers[1].get_vocabulary()
    assert "s3cret-line" not in str(error.value)


def test_safe_mode_false_reads_a_path(tmp_path, secret_file):
    model = keras.models.load_model(_crafted(tmp_path, str(secret_file)), safe_mode=False)
    assert model.layers[1].get_vocabulary() == SECRET


def test_safe_mode_false_refuses_a_device(tmp_path):
    with pytest.raises(LOAD_ERRORS, match="/dev/zero is not a regular file"):
        keras.models.load_model(_crafted(tmp_path, "/dev/zero"), safe_mode=False)


def test_python_construction_and_clones_still_read_paths(tmp_path, secret_file, monkeypatch):
    layer = DynamicEmbedding(4, vocabulary=str(secret_file), num_oov_buckets=2)
    assert layer.get_vocabulary() == SECRET
    assert DynamicEmbedding.from_config(layer.get_config()).get_vocabulary() == SECRET
    monkeypatch.setattr(vocabulary_reference, "INLINE_TOKEN_LIMIT", 1)
    layer = DynamicEmbedding(4, vocabulary=str(secret_file), num_oov_buckets=2)
    inputs = keras.Input(shape=(), dtype="string")
    clone = keras.models.clone_model(keras.Model(inputs, layer(inputs)))
    assert clone.layers[1].get_vocabulary() == SECRET


def test_vocabulary_files_are_regular_and_bounded(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="/dev/zero is not a regular file"):
        vocabulary.load_vocabulary("/dev/zero")
    with pytest.raises(ValueError, match="is not a regular file.*directory"):
        vocabulary.load_vocabulary(str(tmp_path))
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not a regular file.*FIFO"):
        vocabulary.load_vocabulary(str(fifo))
    big = tmp_path / "big.txt"
    big.write_text("a\nb\nc\n")
    monkeypatch.setattr(vocabulary, "MAX_VOCABULARY_FILE_BYTES", 4)
    with pytest.raises(ValueError, match="holds 6 bytes; at most 4"):
        vocabulary.load_vocabulary(str(big))
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "words.txt")
    (tmp_path / "words.txt").write_text("a\n")
    assert vocabulary.load_vocabulary(str(link)) == ["a"]  # A link to a regular file is read.


def test_vector_files_are_regular(tmp_path):
    from tf_dynemb.vectors import load_text_vectors

    with pytest.raises(ValueError, match="/dev/zero is not a regular file"):
        load_text_vectors("/dev/zero")
    directory = tmp_path / "d.npy"
    directory.mkdir()
    with pytest.raises(ValueError, match="not a regular file"):
        DynamicEmbedding.from_vectors(str(directory), vocabulary=WORDS)


def test_messages_quote_a_short_prefix(tmp_path):
    long_token = "x" * 5000
    bad = tmp_path / "bad.txt"
    bad.write_text(f"{long_token} \n")
    with pytest.raises(ValueError) as error:
        vocabulary.load_vocabulary(str(bad))
    assert "x" * 41 not in str(error.value) and "5001 in all" in str(error.value)
    repeated = tmp_path / "repeated.txt"
    repeated.write_text(f"{long_token}\n{long_token}\n")
    with pytest.raises(ValueError, match="already appeared") as error:
        vocabulary.load_vocabulary(str(repeated))
    assert "x" * 41 not in str(error.value)
    for tokens in ([long_token + " "], [long_token, long_token]):
        with pytest.raises(ValueError) as error:
            vocabulary.check_tokens(tokens, "vocabulary")
        assert "x" * 41 not in str(error.value)


def test_sizes_disagreeing_with_the_table_fail_the_load(tmp_path):
    path = _crafted(tmp_path, ["alpha", "beta", "gamma"])
    with pytest.raises(LOAD_ERRORS, match=r"vocabulary_sizes=\[2, 0\].*sizes \[3, 0\]"):
        keras.models.load_model(path)


def test_a_table_of_another_shape_fails_the_load(tmp_path):
    path = _save(tmp_path, DynamicEmbedding(4, vocabulary=WORDS, num_oov_buckets=2))

    def edit(layer):
        layer["config"]["vocabulary"] = ["alpha", "beta", "gamma"]
        layer["build_config"]["vocabulary_sizes"] = [3, 0]

    _rewrite_layer_config(path, "DynamicEmbedding", edit)
    with pytest.raises(LOAD_ERRORS, match=r"shape \(4, 4\).*shape \(5, 4\)"):
        keras.models.load_model(path)


def test_keras_safe_mode_probe():
    keras_compat.probe_safe_mode_api()
    assert keras_compat.in_safe_mode() is None
    from keras.src.saving import serialization_lib

    with serialization_lib.SafeModeScope(True):
        assert keras_compat.in_safe_mode() is True
        with pytest.raises(ValueError, match="safe_mode"):
            DynamicEmbedding(4, vocabulary="vocab.txt")
    with serialization_lib.SafeModeScope(False):
        assert keras_compat.in_safe_mode() is False


def test_a_normal_keras_file_still_loads_in_safe_mode(tmp_path, monkeypatch):
    monkeypatch.setattr(vocabulary_reference, "INLINE_TOKEN_LIMIT", 1)
    layer = DynamicEmbedding(4, vocabulary=WORDS, num_oov_buckets=2)
    path = _save(tmp_path, layer)
    model = keras.models.load_model(path)  # A reference resolved from the asset.
    assert model.layers[1].get_vocabulary() == WORDS
    words = tf.constant(["alpha"])
    np.testing.assert_allclose(model.layers[1](words), layer(words))


def test_a_missing_asset_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(vocabulary_reference, "INLINE_TOKEN_LIMIT", 1)
    path = _save(tmp_path, DynamicEmbedding(4, vocabulary=WORDS, wordpiece_vocabulary=["x", "y"]))
    with zipfile.ZipFile(path) as zf:
        entries = {name: zf.read(name) for name in zf.namelist()}
    assert [name for name in entries if name.endswith("/wordpiece_vocabulary.txt")]
    vocabulary_reference._LIVE.clear()  # As in another process.
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            if not name.endswith("/wordpiece_vocabulary.txt"):
                zf.writestr(name, data)
    with pytest.raises(LOAD_ERRORS, match="carries no vocabulary asset 'wordpiece_vocabulary.txt'"):
        keras.models.load_model(path)
