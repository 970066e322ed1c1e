"""The loader's errors say what is wrong and how to fix it."""

import json
import os

import pytest
import tensorflow as tf

import tf_dynemb
from tf_dynemb import _loader


def test_op_library_path_is_the_loaded_library():
    path = tf_dynemb.op_library_path()
    assert os.path.isabs(path) and os.path.exists(path)
    assert path.endswith("_tf_dynemb_ops.so")


def test_missing_library(tmp_path, monkeypatch):
    monkeypatch.setattr(_loader, "library_path", lambda: str(tmp_path / "_tf_dynemb_ops.so"))
    with pytest.raises(ImportError, match=r"is missing: .*_tf_dynemb_ops.so does not exist.*make build"):
        _loader.load_op_library()


def test_library_built_against_another_tensorflow(tmp_path, monkeypatch):
    (tmp_path / "_tf_dynemb_ops.so").write_bytes(b"")
    (tmp_path / "_tf_dynemb_ops.json").write_text(json.dumps({"tensorflow_version": "1.0.0"}))
    monkeypatch.setattr(_loader, "library_path", lambda: str(tmp_path / "_tf_dynemb_ops.so"))
    with pytest.raises(ImportError, match=f"built against TensorFlow 1.0.0, but TensorFlow "
                                          f"{tf.__version__} is installed"):
        _loader.load_op_library()


def test_library_that_fails_to_load(tmp_path, monkeypatch):
    (tmp_path / "_tf_dynemb_ops.so").write_bytes(b"not an ELF file")
    monkeypatch.setattr(_loader, "library_path", lambda: str(tmp_path / "_tf_dynemb_ops.so"))
    with pytest.raises(ImportError, match="failed to load"):
        _loader.load_op_library()


def test_model_format_describes_the_buffers_built():
    model_format = _loader.model_format()
    buf = tf_dynemb.build_model(["the"], ["un"], 2, num_ngram_buckets=7, min_n=2, max_n=5,
                                compose_words=True).numpy().tobytes()
    fields = model_format["fields"]

    def u32(name):
        return int.from_bytes(buf[fields[name]:fields[name] + 4], "little")

    assert buf[:4] == model_format["magic"].encode("ascii")
    assert u32("version") == model_format["version"]
    assert u32("total_size") == len(buf)
    assert (u32("num_words"), u32("num_pieces"), u32("num_buckets")) == (1, 1, 2)
    assert (u32("num_ngram_buckets"), u32("ngram_lengths"), u32("flags")) == (7, 2 | 5 << 8, 1)
    assert max(fields.values()) + 4 == model_format["header_bytes"]
