"""What checking a portable model's vocabulary constants costs, against the
lookup it protects, measured in one run.

A portable SavedModel checks the fingerprints of its vocabulary constants once,
when it is loaded (tf_dynemb.reference). This script measures that check and
what it would add if it ran on every call instead: the check's time against
one reference lookup of a batch, and the whole load of an exported model.

Usage: python bench/integrity_bench.py [--output report.md] [--smoke]
"""

import collections
import os
import platform
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras_hub  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tensorflow_text  # noqa: E402,F401
from absl import app, flags  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smoke  # noqa: E402

import tf_dynemb  # noqa: E402
from tf_dynemb import sample_text, serving  # noqa: E402
from tf_dynemb.reference import fingerprint  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_list("batch_sizes", ["32", "1024"], "Words per lookup call.")
flags.DEFINE_integer("num_words", 5000, "Whole words in the vocabulary.")
flags.DEFINE_integer("wordpiece_size", 30000, "Upper bound on learned WordPiece pieces.")
flags.DEFINE_integer("synthetic_pieces", 30000, "Pieces of the BERT-size synthetic vocabulary.")
flags.DEFINE_float("seconds", 1.0, "Minimum time measured per cell.")
flags.DEFINE_string("output", None, "Write the markdown report here.")


def learned_vocabulary(text):
    words = [w for w, _ in collections.Counter(text).most_common(FLAGS.num_words)]
    pieces = keras_hub.tokenizers.compute_word_piece_vocabulary(
        tf.data.Dataset.from_tensor_slices([" ".join(text)]),
        vocabulary_size=FLAGS.wordpiece_size, lowercase=True, reserved_tokens=["[UNK]"])
    return words, pieces


def synthetic_vocabulary(words, size):
    """BERT-size: `size` pieces of 1 to 8 random letters, half continuations
    (the corpus is too small to learn that many)."""
    rng = np.random.default_rng(0)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    pieces = set()
    while len(pieces) < size:
        piece = "".join(rng.choice(letters, rng.integers(1, 9)))
        pieces.add(piece if rng.random() < 0.5 else "##" + piece)
    return words, sorted(pieces)


def per_call_ms(fn, *args):
    fn(*args)
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < FLAGS.seconds:
        fn(*args)
        calls += 1
    return (time.perf_counter() - start) / calls * 1e3


def measure(words, pieces, text):
    """Rows (what, batch, ms) for one vocabulary, and its constants' sizes."""
    model = tf_dynemb.build_model(words, pieces, num_oov_buckets=1000)
    config = tf_dynemb.decode_model(model)
    reference = tf_dynemb.ReferenceLookup(config)
    constants = reference._word_table._initializer._checked  # noqa: SLF001
    size = sum(len(w) for w in config.words) + sum(
        int(tf.size(t)) * t.dtype.size for t in constants.values() if t.dtype != tf.string)
    table = tf.Variable(np.random.default_rng(0).normal(size=(config.num_rows, 128)),
                        dtype=tf.float32)
    check = tf.function(lambda: [fingerprint(t) for t in constants.values()])
    lookup = tf.function(lambda w: reference(w, table))
    rows = [("check of every constant", None, per_call_ms(check))]
    rng = np.random.default_rng(1)
    for batch in map(int, FLAGS.batch_sizes):
        batch_words = tf.constant(rng.choice(text, batch))
        rows.append(("reference lookup", batch, per_call_ms(lookup, batch_words)))
    server = serving.EmbeddingServer(model, table.numpy(), flavor="portable")
    with tempfile.TemporaryDirectory() as out:
        path = serving.write_server(server, out)
        start = time.perf_counter()
        tf.saved_model.load(path)
        rows.append(("load of its portable export (check included)", None,
                     (time.perf_counter() - start) * 1e3))
    name = f"{len(config.words):,} words, {len(config.pieces):,} pieces"
    return name, size, rows


def main(argv):
    del argv
    smoke.apply({"batch_sizes": ["32"], "num_words": 200, "wordpiece_size": 300,
                 "synthetic_pieces": 300, "seconds": 0.01})
    text = sample_text.words(sample_text.docstrings())
    words, pieces = learned_vocabulary(text)
    lines = [f"{platform.machine()}, {os.cpu_count()} cores, TensorFlow {tf.__version__}; "
             "1,000 buckets, D = 128, words of the standard library's docstrings.", "",
             "| vocabulary (constants) | what | batch | ms | check / this |",
             "|---|---|---|---|---|"]
    for vocab in ((words, pieces), synthetic_vocabulary(words, FLAGS.synthetic_pieces)):
        name, size, rows = measure(*vocab, text)
        check_ms = rows[0][2]
        for what, batch, ms in rows:
            ratio = "" if what.startswith("check") else f"{check_ms / ms:.4f}"
            lines.append(f"| {name} ({size / 1e6:.2f} MB) | {what} | "
                         f"{'' if batch is None else f'{batch:,}'} | {ms:.3f} | {ratio} |")
    report = "\n".join(lines)
    print(report)
    if FLAGS.output:
        with open(FLAGS.output, "w") as f:
            f.write(report + "\n")


if __name__ == "__main__":
    app.run(main)
