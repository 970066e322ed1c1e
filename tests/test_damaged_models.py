"""Damaged models are refused with a message naming the damage: the model
buffer (decode_model, export) and the constants a portable SavedModel carries."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

import tf_dynemb
from tf_dynemb import serving
from tf_dynemb._loader import model_format
from tf_dynemb.vocabulary import default_vocabulary

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "export", "cc"))
from cc_loader import CcLoaderError, run_cc_loader  # noqa: E402

FORMAT = model_format()  # the format's constants, from ops/core/model_format.h
FIELDS = FORMAT["fields"]


def reseal(buf):
    """`buf` with its checksum recomputed: damage the checksum cannot see."""
    buf = np.array(buf, np.uint8)
    end = FORMAT["checksum_end"]
    checksum = tf.fingerprint(tf.constant(buf[end:][None, :])).numpy()[0]
    buf[FIELDS["checksum_lo"]:FIELDS["checksum_hi"] + 4] = checksum
    return buf


def section_offset(buf, name):
    """Where section `name` starts, read from the section table."""
    at = FORMAT["section_table_at"] + FORMAT["section_ref_bytes"] * FORMAT["sections"][name]
    return int(np.frombuffer(buf[at:at + 4], "<u4")[0])


def set_u32(buf, at, value):
    buf = np.array(buf, np.uint8)
    buf[at:at + 4] = np.frombuffer(np.uint32(value).tobytes(), np.uint8)
    return buf


@pytest.fixture(scope="module")
def model():
    return tf_dynemb.build_model(["the", "cat"], ["un", "##aff", "[UNK]"], 3,
                                 unknown_token="[UNK]").numpy()


def test_decode_model_round_trip(model):
    config = tf_dynemb.decode_model(model)
    assert config == tf_dynemb.VocabularyConfig(
        words=(b"the", b"cat"), pieces=(b"un", b"##aff", b"[UNK]"), num_oov_buckets=3,
        suffix_indicator="##", max_bytes_per_word=100, unknown_token=b"[UNK]")
    raw = tf_dynemb.build_model([b"\xff\xfe"], ["\u00e9", b"##\xc3"], suffix_indicator="@@")
    config = tf_dynemb.decode_model(raw)
    assert (config.words, config.pieces, config.suffix_indicator) == (
        (b"\xff\xfe",), ("\u00e9".encode(), b"##\xc3"), "@@")


def test_decode_model_checks_the_checksum(model):
    for at in (150, 200, len(model) - 1):  # past the header: only the checksum sees it
        damaged = model.copy()
        damaged[at] ^= 0x10
        with pytest.raises(ValueError, match="checksum mismatch, the buffer is damaged"):
            tf_dynemb.decode_model(damaged)


def test_decode_model_checks_every_id(model):
    # An unknown row that is a word row: the old reader returned pieces[-2].
    with pytest.raises(ValueError, match="unknown row 0 is not a piece row"):
        tf_dynemb.decode_model(reseal(set_u32(model, FIELDS["unknown_row"], 0)))
    slots_at = section_offset(model, "word_slots")
    with pytest.raises(ValueError, match=r"word slot 0 holds id 7 >= num_words"):
        tf_dynemb.decode_model(reseal(set_u32(model, slots_at, 7)))


@pytest.mark.parametrize("flavor", serving.FLAVORS)
def test_export_refuses_a_damaged_model(model, flavor, tmp_path):
    damaged = model.copy()
    damaged[-1] ^= 1
    with pytest.raises(ValueError, match="checksum mismatch"):
        serving.EmbeddingServer(tf.constant(damaged), np.zeros([8, 4], np.float32), flavor)


# Loads each SavedModel directory given, prints one JSON line per directory:
# the error of the load or of a request, or the request's outputs. The TF1
# session loader runs the init op as tensorflow_model_server's loader does.
LOAD_ALL = """
import json, sys
import tensorflow as tf
import tensorflow_text
WORDS = ["transfer", "the", "function", "unfathomable", "qzxv", ""]
def tf2(path):
    m = tf.saved_model.load(path)
    return m.signatures["embed_words"](words=tf.constant(WORDS))["embeddings"].numpy()
def tf1(path):
    with tf.compat.v1.Graph().as_default(), tf.compat.v1.Session() as sess:
        sig = tf.compat.v1.saved_model.loader.load(sess, ["serve"], path).signature_def
        sig = sig["embed_words"]
        return sess.run(sig.outputs["embeddings"].name, {sig.inputs["words"].name: WORDS})
for path in sys.argv[2:]:
    try:
        out = {"ok": (tf1 if sys.argv[1] == "tf1" else tf2)(path).tolist()}
    except Exception as e:
        out = {"error": str(e)}
    print(json.dumps(out), flush=True)
"""


def load_all(loader, paths):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run([sys.executable, "-c", LOAD_ALL, loader, *paths],
                            capture_output=True, text=True, env=env, cwd="/", timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]  # a crash shows here
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == len(paths)
    return lines


def vocabulary_constants(proto):
    """name -> (node, mutable bytes) of the three vocabulary constants."""
    found = {}
    for node in proto.meta_graphs[0].graph_def.node:
        tensor = node.attr["value"].tensor
        if node.op != "Const":
            continue
        if tensor.dtype == tf.uint8.as_datatype_enum and len(tensor.tensor_content) > 1000:
            found["WordPiece model"] = node
        elif tensor.dtype == tf.int64.as_datatype_enum and len(tensor.tensor_content) > 1000:
            found["word ids"] = node
        elif tensor.dtype == tf.string.as_datatype_enum and len(tensor.string_val) > 100:
            found["word strings"] = node
    assert sorted(found) == ["WordPiece model", "word ids", "word strings"]
    return found


def flip(node, rng):
    """Flips one bit of a constant's bytes; returns where."""
    tensor = node.attr["value"].tensor
    bit = 1 << int(rng.integers(0, 8))
    if tensor.string_val:
        i = int(rng.integers(1, len(tensor.string_val)))  # entry 0 is padding, b""
        word = bytearray(tensor.string_val[i])
        at = int(rng.integers(0, len(word)))
        word[at] ^= bit
        tensor.string_val[i] = bytes(word)
        return f"string {i} byte {at}"
    content = bytearray(tensor.tensor_content)
    at = int(rng.integers(0, len(content)))
    content[at] ^= bit
    tensor.tensor_content = bytes(content)
    return f"byte {at}"


@pytest.fixture(scope="module")
def portable_export(tmp_path_factory):
    words, pieces = default_vocabulary()
    base = tmp_path_factory.mktemp("portable")
    return serving.export(str(base / "m"), words, pieces, dim=4, num_oov_buckets=50,
                          combiner="mean", flavor="portable")


@pytest.mark.parametrize("loader", ["tf2", "tf1"])
def test_damaged_portable_constants_fail_the_load(portable_export, loader, tmp_path):
    with open(os.path.join(portable_export, "saved_model.pb"), "rb") as f:
        pristine = f.read()
    rng = np.random.default_rng(12 if loader == "tf2" else 13)
    flips = {"WordPiece model": 6, "word strings": 3, "word ids": 2}
    paths, expected = [], []
    for name, count in flips.items():
        for _ in range(count):
            proto = saved_model_pb2.SavedModel.FromString(pristine)
            where = flip(vocabulary_constants(proto)[name], rng)
            path = tmp_path / f"{len(paths)}"
            shutil.copytree(portable_export, path)
            (path / "saved_model.pb").write_bytes(proto.SerializeToString())
            paths.append(str(path))
            expected.append((name, where))
    intact = load_all(loader, [portable_export])[0]
    assert "ok" in intact
    for (name, where), got in zip(expected, load_all(loader, paths)):
        assert "error" in got, f"{name} {where} was served: {got}"
        assert f"the {name} constant of this portable model is damaged" in got["error"], (
            name, where, got["error"][:500])


def test_damaged_portable_constants_fail_the_cpp_load(portable_export, tmp_path):
    """TensorFlow's C++ loader (LoadSavedModel, as tensorflow_model_server)."""
    with open(os.path.join(portable_export, "saved_model.pb"), "rb") as f:
        pristine = f.read()
    words = ["transfer", "the", "unfathomable"]
    intact = run_cc_loader(portable_export, "embed_words", {"words": words})
    assert intact["kind"].tolist() == [tf_dynemb.WORD, tf_dynemb.WORD, tf_dynemb.PIECES]
    rng = np.random.default_rng(14)
    for name in ("WordPiece model", "word strings", "word ids"):
        proto = saved_model_pb2.SavedModel.FromString(pristine)
        where = flip(vocabulary_constants(proto)[name], rng)
        path = tmp_path / name.replace(" ", "_")
        shutil.copytree(portable_export, path)
        (path / "saved_model.pb").write_bytes(proto.SerializeToString())
        with pytest.raises(CcLoaderError) as raised:
            run_cc_loader(str(path), "embed_words", {"words": words})
        assert raised.value.returncode > 0, (name, where)  # an error exit, not a signal
        assert f"the {name} constant of this portable model is damaged" in raised.value.stderr


def test_whole_model_portable_exports_are_checked_too(tmp_path):
    import keras

    from tf_dynemb.layers import DynamicEmbedding

    words, pieces = default_vocabulary()
    inputs = keras.Input(shape=(), dtype="string")
    embedded = DynamicEmbedding(4, vocabulary=words, wordpiece_vocabulary=pieces,
                                num_oov_buckets=50)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2)(embedded))
    exported = serving.export_model(model, str(tmp_path / "m"), flavor="portable")
    proto = saved_model_pb2.SavedModel.FromString(
        (tmp_path / "m" / "1" / "saved_model.pb").read_bytes())
    flip(vocabulary_constants(proto)["WordPiece model"], np.random.default_rng(15))
    damaged = tmp_path / "damaged"
    shutil.copytree(exported, damaged)
    (damaged / "saved_model.pb").write_bytes(proto.SerializeToString())
    with pytest.raises(CcLoaderError) as raised:
        run_cc_loader(str(damaged), "serving_default", {"inputs": ["transfer", "the"]})
    assert raised.value.returncode > 0
    assert "the WordPiece model constant of this portable model is damaged" in raised.value.stderr
