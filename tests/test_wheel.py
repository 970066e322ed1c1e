"""The wheel, installed into a fresh virtualenv with its dependencies from the
package registry (pip's cache is reused), works from outside the source tree:
the import, a lookup, the layers with the bundled vocabulary, the command."""

import json
import os
import subprocess
import sys
import zipfile

import pytest
import tensorflow as tf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

pytestmark = pytest.mark.wheel

CHECK = r"""
import json, os, sys
import tensorflow as tf
import tf_dynemb
from tf_dynemb.layers import DynamicEmbedding, TextEmbedding
from tf_dynemb.vocabulary import default_vocabulary

model = tf_dynemb.build_model(["the"], ["un", "##seen"], num_oov_buckets=3)
vectors, kind = tf_dynemb.lookup(tf.constant(["the", "unseen", "zebra", ""]),
                                 tf.ones([6, 4]), model, return_kind=True)
words, pieces = default_vocabulary()
layer = TextEmbedding(8, vocabulary=words, wordpiece_vocabulary=pieces, num_oov_buckets=10)
with open(sys.argv[1], "wb") as f:
    f.write(model.numpy().tobytes())
print(json.dumps({
    "file": tf_dynemb.__file__,
    "library": tf_dynemb.op_library_path(),
    "kind": kind.numpy().tolist(),
    "sum": float(tf.reduce_sum(vectors)),
    "default_sizes": [len(words), len(pieces)],
    "text_shape": layer(tf.constant(["The cat sat.", ""])).shape.as_list(),
    "word_shape": DynamicEmbedding(4, vocabulary=words)(tf.constant([["a", "b"]])).shape.as_list(),
}))
"""


def _run(command, cwd, timeout=900):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("PYTHONPATH", None)
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, (command, result.stdout[-2000:], result.stderr[-4000:])
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, os.path.join(ROOT, "scripts", "build_wheel.py"),
          f"--output_dir={out}"], cwd=ROOT)
    (name,) = os.listdir(out)
    return out / name


def test_wheel_holds_the_package_not_the_sources(wheel):
    py = f"cp{sys.version_info.major}{sys.version_info.minor}"
    assert wheel.name.startswith(f"tf_dynemb-0.1.0-{py}-{py}-manylinux_"), wheel.name
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        metadata = z.read("tf_dynemb-0.1.0.dist-info/METADATA").decode()
        entry_points = z.read("tf_dynemb-0.1.0.dist-info/entry_points.txt").decode()
    packages = {os.path.dirname(n) for n in names if n.endswith("/__init__.py")}
    source_packages = {os.path.relpath(d, ROOT) for d, _, files in
                       os.walk(os.path.join(ROOT, "tf_dynemb")) if "__init__.py" in files}
    assert packages == source_packages
    for name in ("tf_dynemb/_tf_dynemb_ops.so", "tf_dynemb/_tf_dynemb_ops.json",
                 "tf_dynemb/assets/default_words.txt", "tf_dynemb/assets/default_wordpiece.txt"):
        assert name in names
    assert not [n for n in names if n.startswith(("tests/", "ops/", "export/"))
                or n.endswith((".cc", ".h", ".cu.cc", "BUILD"))]
    assert f"Requires-Dist: tensorflow=={tf.__version__}\n" in metadata
    assert "tf-dynemb = tf_dynemb_cli:main" in entry_points and "tf_dynemb_cli.py" in names


def test_fresh_virtualenv_installs_and_runs_it(wheel, tmp_path):
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    python, command = str(venv / "bin" / "python"), str(venv / "bin" / "tf-dynemb")
    _run([python, "-m", "pip", "install", "-q", str(wheel)], cwd=tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    got = json.loads(_run([python, "-c", CHECK, str(outside / "model.bin")],
                          cwd=outside).stdout.strip().splitlines()[-1])
    assert got["file"].startswith(str(venv)) and got["library"].startswith(str(venv))
    assert got["kind"] == [1, 2, 3, 0] and got["sum"] == 12.0
    assert got["default_sizes"][0] > 1000 and got["default_sizes"][1] > 1000
    assert got["text_shape"] == [2, 8] and got["word_shape"] == [1, 2, 4]

    shown = _run([command, "inspect", str(outside / "model.bin")], cwd=outside).stdout
    assert "1 words, 2 pieces, 3 buckets = 6 rows" in shown
    corpus = outside / "corpus.txt"
    corpus.write_text("the quick brown fox jumps over the lazy dog\n" * 50
                      + "unseen words are split into pieces\n" * 20)
    learned = _run([command, "learn-vocab", f"--corpus={corpus}", "--vocab_size=60",
                    "--words=5", f"--output_dir={outside / 'vocab'}"], cwd=outside)
    # The wheel alone brings no Beam: words are counted in the process, and it says so.
    assert "Apache Beam is not installed" in learned.stderr
    assert "5 whole words" in learned.stdout
