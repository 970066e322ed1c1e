"""SavedModels served outside Python: TensorFlow's C++ loader (LoadSavedModel,
the path tensorflow_model_server takes) gives Python's outputs.

The runners (export/cc) are built by `make cc-loader`: `fused` links
//ops:ops_lib statically, `portable` has the stock server's op set.
"""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from test_model_export import MODELS
from tf_dynemb import serving
from tf_dynemb.vocabulary import default_vocabulary

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "export", "cc"))
from cc_loader import (  # noqa: E402
    CcLoaderError,
    encode_strings,
    run_cc_loader,
    run_cc_loader_all,
    runner_path,
)

MIB = 1 << 20
WORDS = [
    "the", "function", "tokenization", "unfathomable", "Zürich", "naïve", "", "qzxv",
    "東京", "自然言語処理", "\U0001f642", "\U0001f469\u200d\U0001f4bb", "!", "...", "##", "a,b",
    b"\xff\xfe", b"caf\xc3", b"a\x00b", b"\x00", "a\nb", "a\rb", "back\\slash", " ", "\t",
    "x" * 101, "z" * MIB, "東" * (MIB // 3),
]
SENTENCES = [
    "The function, tokenization!", "", "   ", "!!! ... ???", "Zürich 東京 qzxv",
    "自然言語処理は楽しい。", "\U0001f642 \U0001f469\u200d\U0001f4bb emoji!", b"caf\xff bar \xc3",
    "line\nbreak\r\nand\ttabs", "the " * (MIB // 4), "z" * MIB,
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    words, pieces = default_vocabulary()
    base = tmp_path_factory.mktemp("cc_models")
    paths, servers = {}, {}
    for flavor in serving.FLAVORS:
        paths[flavor] = serving.export(str(base / flavor), words, pieces, dim=8,
                                       num_oov_buckets=50, combiner="mean", flavor=flavor)
        servers[flavor] = serving.make_server(words, pieces, 8, 50, flavor=flavor)
    return paths, servers


def as_bytes(strings):
    return [s.encode("utf-8") if isinstance(s, str) else s for s in strings]


@pytest.mark.parametrize("flavor", serving.FLAVORS)
def test_every_signature_gives_pythons_outputs(exported, flavor):
    paths, servers = exported
    got = run_cc_loader_all(paths[flavor], {"words": WORDS, "sentences": SENTENCES}, flavor)
    assert sorted(got) == ["embed_words", "serving_default"]
    want_words = servers[flavor].embed_words(tf.constant(as_bytes(WORDS)))
    want_sentences = servers[flavor].embed_sentences(tf.constant(as_bytes(SENTENCES)))
    words = got["embed_words"]
    assert words["embeddings"].dtype == np.float32 and words["embeddings"].shape == (len(WORDS), 8)
    np.testing.assert_allclose(words["embeddings"], want_words["embeddings"], rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(words["kind"], want_words["kind"])
    np.testing.assert_allclose(got["serving_default"]["embedding"], want_sentences["embedding"],
                               rtol=1e-6, atol=1e-6)
    # The inputs reached the graph byte for byte: every kind occurs, the empty
    # string is padding, and the long strings were not cut.
    assert set(words["kind"].tolist()) == {0, 1, 2, 3}
    assert words["kind"][WORDS.index("")] == 0
    assert not np.any(words["embeddings"][WORDS.index("")])


@pytest.fixture(scope="module", params=sorted(MODELS))
def whole_model(request, tmp_path_factory):
    """A trained model (test_model_export's), its inputs, its predictions and
    its exports in both flavors."""
    model, inputs = MODELS[request.param]()
    tensors = {name: tf.constant(value) for name, value in inputs.items()}
    predicted = model.predict(next(iter(tensors.values())) if len(tensors) == 1 else tensors,
                              verbose=0)
    base = tmp_path_factory.mktemp(request.param)
    paths = {flavor: serving.export_model(model, str(base / flavor), flavor=flavor)
             for flavor in serving.FLAVORS}
    return inputs, predicted, paths


@pytest.mark.parametrize("flavor", serving.FLAVORS)
def test_whole_model_export_gives_predict(whole_model, flavor):
    inputs, predicted, paths = whole_model
    # The runner is picked from the flavor the export records.
    got = run_cc_loader(paths[flavor], "serving_default", inputs)
    assert list(got) == ["output_0"]
    np.testing.assert_allclose(got["output_0"], predicted, rtol=1e-6, atol=1e-6)
    if flavor == "portable":
        return
    with pytest.raises(CcLoaderError, match="Op type not registered 'TfDynemb"):
        run_cc_loader(paths[flavor], "serving_default", inputs, flavor="portable")


def test_one_named_signature(exported):
    paths, servers = exported
    got = run_cc_loader(paths["portable"], "embed_words", ["the", ""], "portable")
    assert sorted(got) == ["embeddings", "kind"]
    want = servers["portable"].embed_words(tf.constant(["the", ""]))
    np.testing.assert_allclose(got["embeddings"], want["embeddings"], rtol=1e-6, atol=1e-6)


def test_fused_runner_has_the_op_linked_in(exported):
    """No op library is loaded at all (not even TF Text's): the fused export
    runs on what the binary links, so //ops:ops_lib registered statically."""
    paths, servers = exported
    got = run_cc_loader_all(paths["fused"], ["qzxv", "the"], "fused",
                            extra_args=["--tf_text_ops_dir="])
    want = servers["fused"].embed_words(tf.constant(["qzxv", "the"]))
    np.testing.assert_allclose(got["embed_words"]["embeddings"], want["embeddings"], rtol=1e-6,
                               atol=1e-6)


def test_portable_runner_is_the_stock_op_set(exported):
    paths, _ = exported
    with pytest.raises(CcLoaderError, match="Op type not registered 'TfDynemb"):
        run_cc_loader_all(paths["fused"], ["the"], "portable")
    # Without TF Text's op libraries the portable export cannot run either.
    with pytest.raises(CcLoaderError, match="Op type not registered 'FastWordpieceTokenize"):
        run_cc_loader_all(paths["portable"], ["the"], "portable",
                          extra_args=["--tf_text_ops_dir="])


@pytest.fixture(scope="module")
def echo_model(tmp_path_factory):
    """A SavedModel that returns its string inputs and their lengths."""

    class Echo(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
        def echo(self, text):
            return {"same": text, "length": tf.strings.length(text)}

        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.string, name="pairs")])
        def pairs(self, pairs):
            return {"joined": tf.strings.reduce_join(pairs, axis=1, separator="|"),
                    "ok": tf.ones([tf.shape(pairs)[0]], tf.bool)}

    path = str(tmp_path_factory.mktemp("echo") / "1")
    module = Echo()
    tf.saved_model.save(module, path, signatures={"serving_default": module.echo,
                                                  "pairs": module.pairs})
    return path


def test_strings_round_trip_byte_for_byte(echo_model):
    every_byte = bytes(range(256))
    strings = [b"", every_byte, every_byte[::-1], b"\\n", b"\\x41", "東京\U0001f642".encode(),
               b"\r\n", b"\xff" * MIB]
    got = run_cc_loader(echo_model, "serving_default", strings, "portable")
    assert got["same"].tolist() == strings
    assert got["length"].dtype == np.int32
    assert got["length"].tolist() == [len(s) for s in strings]


def test_inputs_take_the_signature_shape(echo_model):
    got = run_cc_loader(echo_model, "pairs", ["a", "b", "c", ""], "portable")
    assert got["joined"].tolist() == [b"a|b", b"c|"]
    assert got["ok"].dtype == np.bool_ and got["ok"].tolist() == [True, True]
    with pytest.raises(CcLoaderError, match=r"input 'pairs' of signature 'pairs' has shape "
                       r"\[None, 2\]; 3 strings do not fill it"):
        run_cc_loader(echo_model, "pairs", ["a", "b", "c"], "portable")


def test_strings_file_format():
    assert encode_strings(["a", "", b"\\\n\r\xff", "東"]) == (
        b"a\n\n\\\\\\n\\r\xff\n" + "東".encode() + b"\n")


@pytest.mark.parametrize("args, message", [
    (["--signatures=nope"], "no signature 'nope' in the SavedModel; it has: pairs serving_default"),
    (["--inputs=missing=/x"], "--inputs names 'missing', which no signature run takes as input"),
    (["--inputs=/nonexistent/words.txt"], "cannot open strings file /nonexistent/words.txt"),
    (["--threads=0", "--bench"], "--threads must be a comma-separated list of integers >= 1. "
                                 "Received: --threads=0"),
    (["--frobnicate=1"], "unknown flag --frobnicate (see --help)"),
    (["--signatures=pairs"], "input 'pairs' of signature 'pairs' was given no strings; "
                             "pass --inputs=pairs=FILE"),
])
def test_bad_arguments_get_one_line(echo_model, args, message, tmp_path):
    result = subprocess.run([runner_path("portable"), f"--saved_model={echo_model}"] + args,
                            capture_output=True, text=True,
                            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert result.returncode in (1, 2)
    assert result.stdout == ""
    assert result.stderr.strip().splitlines()[-1].endswith(message)


def test_bad_strings_file_names_line_and_column(echo_model, tmp_path):
    with pytest.raises(CcLoaderError, match=r"bad\.txt: line 2, column 3: a backslash must start"):
        bad = tmp_path / "bad.txt"
        bad.write_bytes(b"ok\nab\\q\n")
        run_cc_loader_all(echo_model, {}, "portable", extra_args=[f"--inputs={bad}"])


def test_missing_saved_model(tmp_path):
    with pytest.raises(CcLoaderError, match=f"cannot load the SavedModel at {tmp_path}/none"):
        run_cc_loader_all(str(tmp_path / "none"), ["a"], "portable")
