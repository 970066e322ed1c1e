"""Throughput of the fused lookup against its baselines, measured in one run.

fused     tf_dynemb.lookup (the custom op)
reference tf_dynemb.ReferenceLookup (stock TF + TF Text ops, same contract)
keras     keras.layers.StringLookup + Embedding (whole words + OOV hashing,
          no subwords): the word-only lookup users know

Each cell runs the calls inside one graph loop, so Python dispatch is not
measured. Words come from real English text (the standard library's docstrings, original
casing). The whole-word vocabulary is learned from half of the modules, so the
other half brings unseen words. Writes a markdown report with --output.

Usage: python bench/lookup_bench.py [--output docs/benchmarks_lookup.md]
"""

import collections
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import keras_hub  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

import tf_dynemb  # noqa: E402
from tf_dynemb import sample_text  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_list("batch_sizes", ["32", "1024", "16384", "131072"], "Words per call.")
flags.DEFINE_list("dims", ["128", "384"], "Embedding widths D.")
flags.DEFINE_integer("num_words", 5000, "Whole words in the vocabulary.")
flags.DEFINE_integer("num_buckets", 1000, "OOV hash buckets.")
flags.DEFINE_integer("wordpiece_size", 30000, "Upper bound on learned WordPiece pieces.")
flags.DEFINE_float("seconds", 1.0, "Minimum time measured per round of a cell.")
flags.DEFINE_integer("rounds", 3, "Rounds per cell, implementations interleaved; the best counts.")
flags.DEFINE_string("output", None, "Write the markdown report here.")


def vocabulary():
    modules = sample_text._MODULES  # noqa: SLF001 - the corpus' own module list
    train = sample_text.words(sample_text.docstrings(modules[::2]))
    words = [w for w, _ in collections.Counter(train).most_common(FLAGS.num_words)]
    all_text = sample_text.docstrings()
    pieces = keras_hub.tokenizers.compute_word_piece_vocabulary(
        tf.data.Dataset.from_tensor_slices([" ".join(sample_text.words(all_text))]),
        vocabulary_size=FLAGS.wordpiece_size, lowercase=True, reserved_tokens=["[UNK]"],
    )
    test_words = sample_text.words(all_text, lowercase=False)
    return words, pieces, test_words


def in_graph_loop(embed, pool, batch_size):
    """A function running `iterations` calls of `embed` inside one graph, each
    on a new window of `pool`, so Python dispatch is not measured and nothing
    is loop-invariant."""
    windows = int(pool.shape[0]) // batch_size

    @tf.function(input_signature=[tf.TensorSpec([], tf.int32)])
    def run(iterations):
        def body(i, acc):
            start = (i % windows) * batch_size
            out = embed(pool[start : start + batch_size])
            return i + 1, acc + tf.reduce_sum(out[:1])

        return tf.while_loop(lambda i, _: i < iterations, body, (0, 0.0))[1]

    return run


def words_per_second(embed, pool, batch_size, seconds):
    run = in_graph_loop(embed, pool, batch_size)
    run(tf.constant(2))  # trace and warm up
    iterations = 1
    while True:
        start = time.perf_counter()
        run(tf.constant(iterations)).numpy()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return iterations * batch_size / elapsed
        iterations *= max(2, min(16, int(seconds / max(elapsed, 1e-4))))


def main(argv):  # noqa: C901 - a linear script
    del argv
    words, pieces, test_words = vocabulary()
    k = FLAGS.num_buckets
    rows = len(words) + len(pieces) + k
    model = tf_dynemb.build_model(words, pieces, num_oov_buckets=k)
    reference = tf_dynemb.ReferenceLookup(tf_dynemb.decode_model(model))
    rng = np.random.default_rng(0)
    pool_size = 4 * max(int(b) for b in FLAGS.batch_sizes)
    pool = tf.constant(rng.choice(np.array(test_words, dtype=object), pool_size).astype(bytes))
    _, kinds = tf_dynemb.lookup(pool, tf.zeros([rows, 1]), model, return_kind=True)
    share = np.bincount(kinds.numpy(), minlength=5) / pool_size

    results = []
    for dim in (int(d) for d in FLAGS.dims):
        values = tf.random.stateless_normal([rows, dim], seed=[1, 2])
        # One variable per implementation: a gather from a variable switches
        # it to copy-on-read, after which every plain read copies the table.
        table, reference_table = tf.Variable(values), tf.Variable(values)
        lookup_layer = keras.layers.StringLookup(vocabulary=words, num_oov_indices=k)
        embedding = keras.layers.Embedding(len(words) + k, dim)
        embedding.build((None,))
        impls = {
            # The table as a tensor: a variable table would be read through its
            # handle, and TensorFlow keeps ops on one resource in order, so
            # loop iterations could not overlap as they do for the others.
            "fused": lambda w: tf_dynemb.lookup(w, table.read_value(), model),
            "reference": lambda w: reference(w, reference_table),
            "keras": lambda w: embedding(lookup_layer(w)),
        }
        for batch_size in (int(b) for b in FLAGS.batch_sizes):
            speed = dict.fromkeys(impls, 0.0)
            for _ in range(FLAGS.rounds):
                for name, fn in impls.items():
                    speed[name] = max(speed[name],
                                      words_per_second(fn, pool, batch_size, FLAGS.seconds))
            results.append((dim, batch_size, speed))
            print(f"D={dim:4d} batch={batch_size:7d} " + " ".join(
                f"{n}={s / 1e6:7.3f}M/s" for n, s in speed.items())
                + f"  fused/reference={speed['fused'] / speed['reference']:6.1f}x"
                  f"  fused/keras={speed['fused'] / speed['keras']:5.2f}x", flush=True)

    report = [
        "| D | batch | fused (M words/s) | reference | keras | fused / reference | fused / keras |",
        "|---|---|---|---|---|---|---|",
    ]
    for dim, batch_size, s in results:
        report.append(
            f"| {dim} | {batch_size:,} | {s['fused'] / 1e6:.2f} | {s['reference'] / 1e6:.2f} | "
            f"{s['keras'] / 1e6:.2f} | {s['fused'] / s['reference']:.1f}x | "
            f"{s['fused'] / s['keras']:.2f}x |"
        )
    setup = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"TensorFlow {tf.__version__}; vocabulary: {len(words)} words, {len(pieces)} "
        f"WordPiece pieces, {k} buckets. Words drawn: "
        f"{share[tf_dynemb.WORD]:.1%} WORD, {share[tf_dynemb.PIECES]:.1%} PIECES, "
        f"{share[tf_dynemb.BUCKET]:.1%} BUCKET."
    )
    text = setup + "\n\n" + "\n".join(report) + "\n"
    print("\n" + text)
    if FLAGS.output:
        with open(FLAGS.output, "w") as f:
            f.write(text)


if __name__ == "__main__":
    app.run(main)
