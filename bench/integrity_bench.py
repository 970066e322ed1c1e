"""What checking a portable model's vocabulary constants costs, against the
lookup it protects, measured in one run.

A portable SavedModel checks the fingerprints of its vocabulary constants once,
when it is loaded (tf_dynemb.reference). This script measures that check and
what it would add if it ran on every call instead: the check's time against
one reference lookup of a batch, and the whole load of an exported model.

Usage: python bench/integrity_bench.py [--output report.md]
"""

import collections
import os
import platform
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras_hub  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tensorflow_text  # noqa: E402,F401
from absl import app, flags  # noqa: E402

import tf_dynemb  # noqa: E402
from tf_dynemb import sample_text, serving  # noqa: E402
from tf_dynemb.reference import fingerprint  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_list("batch_sizes", ["32", "1024"], "Words per lookup call.")
flags.DEFINE_integer("num_words", 5000, "Whole words in the vocabulary.")
flags.DEFINE_integer("wordpiece_size", 30000, "Upper bound on learned WordPiece pieces.")
flags.DEFINE_float("seconds", 1.0, "Minimum time measured per cell.")
flags.DEFINE_string("output", None, "Write the markdown report here.")


def vocabulary():
    text = sample_text.words(sample_text.docstrings())
    words = [w for w, _ in collections.Counter(text).most_common(FLAGS.num_words)]
    pieces = keras_hub.tokenizers.compute_word_piece_vocabulary(
        tf.data.Dataset.from_tensor_slices([" ".join(text)]),
        vocabulary_size=FLAGS.wordpiece_size, lowercase=True, reserved_tokens=["[UNK]"])
    return words, pieces, text


def per_call_ms(fn, *args):
    fn(*args)
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < FLAGS.seconds:
        fn(*args)
        calls += 1
    return (time.perf_counter() - start) / calls * 1e3


def main(argv):
    del argv
    words, pieces, text = vocabulary()
    model = tf_dynemb.build_model(words, pieces, num_oov_buckets=1000)
    config = tf_dynemb.decode_model(model)
    reference = tf_dynemb.ReferenceLookup(config)
    constants = reference._word_table._initializer._checked  # noqa: SLF001
    sizes = {name: int(tf.size(t)) * (8 if t.dtype == tf.int64 else 1)
             for name, t in constants.items() if t.dtype != tf.string}
    sizes["word strings"] = sum(len(w) for w in config.words)
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
        path = serving.write_version(server, out)
        start = time.perf_counter()
        tf.saved_model.load(path)
        load_ms = (time.perf_counter() - start) * 1e3

    check_ms = rows[0][2]
    lines = [
        f"{platform.machine()}, {os.cpu_count()} cores, TensorFlow {tf.__version__}; "
        f"{len(config.words)} words, {len(config.pieces)} pieces, 1,000 buckets, D = 128. "
        "Constants: " + ", ".join(f"{n} {s:,} bytes" for n, s in sizes.items()) + ".",
        "",
        "| what | batch | ms per call | check / this |",
        "|---|---|---|---|",
    ]
    for name, batch, ms in rows:
        ratio = "" if batch is None else f"{check_ms / ms:.2f}"
        lines.append(f"| {name} | {'' if batch is None else f'{batch:,}'} | {ms:.3f} | {ratio} |")
    lines.append(f"| load of the exported portable model (check included) | | "
                 f"{load_ms:.0f} | {check_ms / load_ms:.4f} |")
    report = "\n".join(lines)
    print(report)
    if FLAGS.output:
        with open(FLAGS.output, "w") as f:
            f.write(report + "\n")


if __name__ == "__main__":
    app.run(main)
