"""`tf-dynemb inspect`, `nearest`, `export` and `query` on saved models, and
what every subcommand shares: --help, one-line errors."""

import ast
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import tf_dynemb
from cli_helper import one_line_error, run_cli
from tf_dynemb.cli.main import COMMANDS
from tf_dynemb.layers import DynamicEmbedding

WORDS = ["cat", "cats", "dog", "unseen", "tree"]
PIECES = ["un", "##seen", "ca", "##t", "tree", "##s"]


@pytest.fixture(scope="module")
def keras_model(tmp_path_factory):
    """A model whose table makes the neighbours known: `cats` has `cat`'s row
    and `dog` nearly; OOV `trees` splits into `tree ##s`, whose rows pool to
    the word `tree`'s row; every bucket row points along `dog`'s small part."""
    layer = DynamicEmbedding(4, vocabulary=WORDS, wordpiece_vocabulary=PIECES,
                             num_oov_buckets=3, combiner="mean", num_ngram_buckets=0,
                             compose_words=False)
    inputs = keras.Input(shape=(), dtype="string")
    model = keras.Model(inputs, keras.layers.Dense(1)(layer(inputs)))
    table = np.zeros((len(WORDS) + len(PIECES) + 3, 4), np.float32)
    table[:5] = [[1, 0, 0, 0], [1, 0, 0, 0], [0.9, 0.1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    table[5:11] = [[0, 0, 1, 1], [0, 0, 1, -1], [0.5, 0.5, 0, 0], [0.5, 0.5, 0, 0],
                   [0, 0, 0, 2], [0, 0, 0, 2]]
    table[11:] = [0, 1, 0, 0]
    layer.embeddings.assign(table)
    path = tmp_path_factory.mktemp("keras") / "m.keras"
    model.save(str(path))
    return path


@pytest.fixture(scope="module")
def exported(tmp_path_factory, keras_model):
    from tf_dynemb.cli.main import main

    base = tmp_path_factory.mktemp("exported")
    for flavor in ("fused", "portable"):
        assert main(["tf-dynemb", "export", f"--keras_model={keras_model}", "--embedding_only",
                     f"--flavor={flavor}", f"--output_dir={base / flavor}"]) == 0
    return base


def test_inspect_keras(capsys, keras_model):
    status, out, err = run_cli(capsys, "inspect", keras_model, "--format=json")
    assert status == 0, err
    (layer,) = json.loads(out)["dynamic_embeddings"]
    assert layer["vocabulary"] == {"words": 5, "pieces": 6, "buckets": 3, "rows": 14,
                                   "suffix_indicator": "##", "max_bytes_per_word": 100,
                                   "unknown_token": None}
    assert layer["table"] == {"shape": [14, 4], "dtype": "float32", "bytes": 224}
    text = run_cli(capsys, "inspect", keras_model)[1]
    assert "5 words, 6 pieces, 3 buckets = 14 rows" in text and "table: [14, 4] float32" in text


@pytest.mark.parametrize("flavor", ["fused", "portable"])
def test_inspect_saved_model(capsys, exported, flavor):
    status, out, err = run_cli(capsys, "inspect", exported / flavor / "1", "--format=json")
    assert status == 0, err
    report = json.loads(out)
    assert report["flavor"] == flavor
    assert report["signatures"]["embed_words"]["inputs"] == [["words", "string", [-1]]]
    assert report["signatures"]["serving_default"]["outputs"] == [["embedding", "float32",
                                                                   [-1, 4]]]
    assert [v["shape"] for v in report["variables"]] == [[14, 4]]
    if flavor == "fused":
        (vocabulary,) = report["vocabularies"]
        assert (vocabulary["words"], vocabulary["pieces"], vocabulary["buckets"]) == (5, 6, 3)
    else:
        assert report["vocabularies"] == []


def test_inspect_model_buffer(capsys, tmp_path):
    model = tf_dynemb.build_model(WORDS, PIECES, 7, unknown_token="un", max_bytes_per_word=20)
    (tmp_path / "model.bin").write_bytes(model.numpy().tobytes())
    status, out, _ = run_cli(capsys, "inspect", tmp_path / "model.bin")
    assert status == 0
    assert ("5 words, 6 pieces, 7 buckets = 18 rows; suffix '##', max_bytes_per_word 20, "
            f"unknown token un ({model.shape[0]} bytes)") in out


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "none", "does not exist."),
    (lambda p: p, "is a directory without saved_model.pb"),
    (lambda p: (p / "x.txt").write_text("hello") and p / "x.txt",
     "is neither a .keras model, a SavedModel directory nor a tf_dynemb model buffer."),
    (lambda p: (p / "x.bin").write_bytes(b"TFDE" + b"\0" * 10) and p / "x.bin",
     "Invalid model: model buffer is shorter than its 120-byte header (received 14 bytes)"),
])
def test_inspect_bad_paths(capsys, tmp_path, make, message):
    status, _, err = run_cli(capsys, "inspect", make(tmp_path))
    assert status == 1
    assert message in one_line_error(err)


def _neighbours(out):
    """{word: (kind, [neighbour, ...])} from `nearest`'s output."""
    found, word = {}, None
    for line in out.splitlines():
        if not line.startswith(" "):
            shown, kind = line.rsplit(" (", 1)
            word = ast.literal_eval(shown)
            found[word] = (kind.rstrip(")"), [])
        elif not line.strip().startswith("a zero"):
            found[word][1].append(line.split()[1])
    return found


@pytest.mark.parametrize("source", ["keras", "fused", "portable"])
def test_nearest(capsys, keras_model, exported, tmp_path, source):
    model = keras_model if source == "keras" else exported / source / "1"
    extra = []
    if source == "portable":  # no model buffer inside: name the candidates
        (tmp_path / "words.txt").write_text("\n".join(WORDS) + "\n")
        extra = [f"--candidates={tmp_path / 'words.txt'}"]
    status, out, err = run_cli(capsys, "nearest", f"--model={model}", "--k=2", *extra,
                               "cat", "trees", "zebra", "")
    assert status == 0, err
    got = _neighbours(out)
    assert got["cat"] == ("word", ["cats", "dog"])
    assert got["trees"][0] == "pieces" and got["trees"][1][0] == "tree"
    assert got["zebra"][0] == "bucket" and got["zebra"][1][0] == "dog"
    assert got[""] == ("pad", [])
    assert "  +1.000  tree" in out.split("'trees'")[1]


def test_nearest_bad_input(capsys, keras_model):
    status, _, err = run_cli(capsys, "nearest", f"--model={keras_model}",
                             "--candidates=/nonexistent/words.txt", "cat")
    assert status == 1
    assert "--candidates=/nonexistent/words.txt is missing" in one_line_error(err)
    status, _, err = run_cli(capsys, "nearest", f"--model={keras_model}")
    assert status == 2 and "give the words to look up" in one_line_error(err)


def test_export_then_query(capsys, exported):
    status, out, err = run_cli(capsys, "query", f"--saved_model={exported / 'portable' / '1'}",
                               "cat", "trees", "zebra", "")
    assert status == 0, err
    rows = {line.split()[0]: line.split()[1:3] for line in out.splitlines()
            if line.strip().startswith("'")}
    assert rows["'cat'"] == ["word", "1.000"]
    assert rows["'trees'"][0] == "pieces" and rows["'zebra'"][0] == "bucket"
    assert rows["''"] == ["pad", "0.000"]
    status, _, err = run_cli(capsys, "query", f"--saved_model={exported / 'portable' / '1'}",
                             "--flavor=fused")
    assert status == 1 and "is of the portable flavor, not fused." in one_line_error(err)


def test_export_refuses_mixed_sources(capsys, keras_model, tmp_path):
    status, _, err = run_cli(capsys, "export", f"--keras_model={keras_model}",
                             "--output_dim=8", f"--output_dir={tmp_path}")
    assert status == 2
    assert "--output_dim cannot be combined with --keras_model." in one_line_error(err)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_has_help(capsys, command):
    status, out, _ = run_cli(capsys, command, "--help")
    assert status == 0
    assert f"usage: tf-dynemb {command}" in out
    assert "flags:" in out and "--" in out.split("flags:")[1]


def test_overview_and_unknown_command(capsys):
    status, out, _ = run_cli(capsys, "--help")
    assert status == 0 and all(f"  {c} " in out for c in COMMANDS)
    status, _, err = run_cli(capsys, "learn-vocabulary")
    assert status == 2
    assert one_line_error(err) == (
        "tf-dynemb: error: unknown command 'learn-vocabulary'; the commands are "
        f"{', '.join(COMMANDS)}.")


def test_installed_command_prints_one_line_without_traceback(tmp_path):
    command = os.path.join(os.path.dirname(sys.executable), "tf-dynemb")
    result = subprocess.run([command, "coverage", "--corpus=/nonexistent.txt",
                             "--vocabulary=/nonexistent.txt"], capture_output=True, text=True,
                            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.rstrip().splitlines()[-1] == (
        "tf-dynemb coverage: error: --vocabulary=/nonexistent.txt is missing; expected a file.")
    assert "Traceback" not in result.stderr


def test_whole_model_export_and_query(capsys, keras_model, tmp_path):
    base = tmp_path / "served"
    status, out, err = run_cli(capsys, "export", f"--keras_model={keras_model}",
                               f"--output_dir={base}")
    assert status == 0, err
    assert "Exported the portable flavor to" in out
    status, out, err = run_cli(capsys, "query", f"--saved_model={base / '1'}", "cat", "")
    assert status == 0, err
    assert out.splitlines()[0].startswith("portable model at") and "serving_default" in out
    model = keras.models.load_model(str(keras_model))
    want = model.predict(tf.constant(["cat", ""]), verbose=0)
    got = [float(line.split("output_0=[")[1].rstrip("]")) for line in out.splitlines()[1:]]
    np.testing.assert_allclose(got, want[:, 0], atol=1e-4)  # printed with 4 decimals


def test_export_and_query_bad_arguments_in_one_line(capsys, keras_model, tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    cases = [
        (("export", "--output_dim=0", f"--output_dir={tmp_path / 'o'}"), 2, "output_dim"),
        (("export", f"--keras_model={tmp_path / 'missing.keras'}", f"--output_dir={tmp_path}"),
         1, "missing.keras is missing"),
        (("export", f"--keras_model={keras_model}", f"--output_dir={a_file}"), 1,
         "is a file; pass a directory"),
        (("export", f"--keras_model={keras_model}", f"--output_dir={tmp_path / 'v'}",
          "--version=1"), 0, None),
        (("export", f"--keras_model={keras_model}", f"--output_dir={tmp_path / 'v'}",
          "--version=1"), 1, "exists; pass another version"),
        (("query", f"--saved_model={tmp_path / 'v'}", "cat"), 1,
         "is a model base directory with versions [1]; pass a version directory"),
        (("export", "--embedding_only", f"--output_dir={tmp_path}"), 2,
         "--embedding_only needs --keras_model"),
    ]
    for args, want_status, message in cases:
        status, _, err = run_cli(capsys, *args)
        assert status == want_status, (args, err)
        if message:
            assert message in one_line_error(err), (args, err)
