"""Throughput of the fused lookup beside the memory floor and its peers, in one run.

fused      tf_dynemb.lookup (the custom op)
floor      tf.gather of the very rows the op picks (tf_dynemb.segment's row ids,
           computed beforehand): the memory traffic any embedding lookup pays
keras      keras.layers.StringLookup + Embedding: whole words + OOV hashing,
           no subwords (the word-only lookup users know), its table as many
           rows as the fused op's: the words, then as many OOV indices as the
           fused table has pieces and buckets (unknown words hash over them)
reference  tf_dynemb.ReferenceLookup: the same contract in stock TF + TF Text ops
empty      tf.identity of the words: the cost of a call alone, the ceiling of
           any implementation per call (measured per call only)

Two ways to call: `per call` runs one tf.function call per batch from Python,
as model.predict and serving do (call overhead included); `in loop` runs the
calls inside one graph loop, so Python dispatch is not measured. Each call gets
a new window of a pool of real words (bench_data.py: BERT-uncased's 30,522
WordPiece pieces, the standard library's docstrings). Best of --rounds rounds,
implementations interleaved. Writes a markdown table with --output.

Usage: python bench/lookup_bench.py [--output FILE] [--smoke]
--smoke: one small table, small batches, short rounds; the same code paths.
"""

import os
import platform
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

import bench_data  # noqa: E402
import smoke  # noqa: E402
import tf_dynemb  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_list("batch_sizes", ["1024", "16384", "131072"], "Words per call.")
flags.DEFINE_list("tables", ["128:float32", "384:float32", "128:float16"], "D:dtype cells.")
flags.DEFINE_integer("num_words", 250, "Whole words in the vocabulary (the most frequent).")
flags.DEFINE_integer("num_buckets", 1000, "OOV hash buckets.")
flags.DEFINE_integer("reference_max_batch", 16384, "Largest batch the slow reference runs.")
flags.DEFINE_float("seconds", 1.0, "Minimum time measured per round of a cell.")
flags.DEFINE_integer("rounds", 3, "Rounds per cell, implementations interleaved; best counts.")
flags.DEFINE_string("output", None, "Write the markdown report here.")

SMOKE = dict(batch_sizes=["64", "256"], tables=["8:float32"], seconds=0.01, rounds=1)


def per_call(fn, windows, words_per_window, seconds):
    """Words a second calling `fn` once per window from Python."""
    fn(windows[0])  # trace and warm up
    calls, start = 0, time.perf_counter()
    while True:
        fn(windows[calls % len(windows)])
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and calls >= 3:
            return calls * words_per_window / elapsed


def in_loop(fn, windows, words_per_window, seconds):
    """Words a second running calls of `fn` in one graph loop, call i on
    windows[i % 8]. Each window is picked by tf.switch_case among the captured
    tensors, so no implementation pays for slicing or copying its input (a
    slice of a string tensor copies every string)."""
    branches = [lambda w=w: w for w in windows[:8]]

    @tf.function(input_signature=[tf.TensorSpec([], tf.int32)])
    def run(iterations):
        def body(i, acc):
            out = fn(tf.switch_case(i % len(branches), branches))
            return i + 1, acc + tf.cast(tf.reduce_sum(out[:1]), tf.float32)

        return tf.while_loop(lambda i, _: i < iterations, body, (0, 0.0))[1]

    run(tf.constant(2))
    iterations = 1
    while True:
        start = time.perf_counter()
        run(tf.constant(iterations)).numpy()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return iterations * words_per_window / elapsed
        iterations *= max(2, min(16, int(seconds / max(elapsed, 1e-4))))


def main(argv):  # noqa: C901 - a linear script
    del argv
    smoke.apply(SMOKE)
    words = bench_data.whole_words(FLAGS.num_words)
    pieces = bench_data.bert_uncased_pieces()
    text = bench_data.text_words()
    k = FLAGS.num_buckets
    rows = len(words) + len(pieces) + k
    model = tf_dynemb.build_model(words, pieces, num_oov_buckets=k)
    reference = tf_dynemb.ReferenceLookup(tf_dynemb.VocabularyConfig(
        tuple(words), tuple(pieces), k, "##", 100, None))
    rng = np.random.default_rng(0)
    batches = [int(b) for b in FLAGS.batch_sizes]
    pool_size = 4 * max(batches)
    pool = tf.constant(rng.choice(np.array(text, dtype=object), pool_size).astype(bytes))
    row_ids, _, _, kinds = tf_dynemb.segment(pool, model)
    share = np.bincount(kinds.numpy(), minlength=5) / pool_size
    rows_a_word = int(row_ids.shape[0]) / pool_size

    results = []
    for cell in FLAGS.tables:
        dim, dtype = int(cell.split(":")[0]), tf.as_dtype(cell.split(":")[1])
        table = tf.cast(tf.random.stateless_normal([rows, dim], seed=[1, 2]), dtype)
        # As many rows as the fused table: unknown words hash over the rest.
        lookup_layer = keras.layers.StringLookup(vocabulary=words,
                                                 num_oov_indices=rows - len(words))
        embedding = keras.layers.Embedding(rows, dim, dtype=dtype.name)
        embedding.build((None,))
        impls = {
            "fused": lambda w: tf_dynemb.lookup(w, table, model),
            "floor": lambda ids: tf.gather(table, ids),
            "keras": lambda w: embedding(lookup_layer(w)),
            "reference": lambda w: reference(w, table),
            "empty": tf.identity,
        }
        for batch in batches:
            starts = range(0, pool_size, batch)
            word_windows = [pool[s : s + batch] for s in starts]
            id_windows = [tf_dynemb.segment(w, model)[0] for w in word_windows]
            speed = {}
            for _ in range(FLAGS.rounds):
                for name, fn in impls.items():
                    if name == "reference" and batch > FLAGS.reference_max_batch:
                        continue
                    windows = id_windows if name == "floor" else word_windows
                    spec = tf.TensorSpec([None], windows[0].dtype)
                    # Words a second for every one (the floor's windows hold
                    # the rows of `batch` words: about 1.1 ids a word).
                    calls = per_call(tf.function(fn, input_signature=[spec]), windows, batch,
                                     FLAGS.seconds)
                    speed[("per call", name)] = max(speed.get(("per call", name), 0), calls)
                    if name in ("reference", "empty"):
                        continue
                    loop = in_loop(fn, windows, batch, FLAGS.seconds)
                    speed[("in loop", name)] = max(speed.get(("in loop", name), 0), loop)
            for mode in ("per call", "in loop"):
                s = {n: speed.get((mode, n)) for n in impls}
                results.append((cell, batch, mode, s))
                print(f"{cell:12s} batch={batch:7d} {mode:8s} " + " ".join(
                    f"{n}={v / 1e6:7.3f}M/s" for n, v in s.items() if v), flush=True)

    report = [
        "| table | batch | call | fused (M words/s) | floor | keras | reference | empty "
        "| fused / floor | fused / keras | fused / reference |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def fmt(v):
        return "—" if v is None else f"{v / 1e6:.2f}"

    def ratio(a, b, digits=2):
        return "—" if b is None else f"{a / b:.{digits}f}x"

    for cell, batch, mode, s in results:
        report.append(
            f"| {cell} | {batch:,} | {mode} | {fmt(s['fused'])} | {fmt(s['floor'])} | "
            f"{fmt(s['keras'])} | {fmt(s['reference'])} | {fmt(s['empty'])} | "
            f"{ratio(s['fused'], s['floor'])} | "
            f"{ratio(s['fused'], s['keras'])} | {ratio(s['fused'], s['reference'], 1)} |"
        )
    setup = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"TensorFlow {tf.__version__}; vocabulary: {len(words)} words, {len(pieces)} "
        f"WordPiece pieces (BERT uncased), {k} buckets: {rows:,} rows, as many for keras "
        f"({len(words)} words + {rows - len(words):,} OOV indices). Words drawn: "
        f"{share[tf_dynemb.WORD]:.1%} WORD, {share[tf_dynemb.PIECES]:.1%} PIECES, "
        f"{share[tf_dynemb.BUCKET]:.1%} BUCKET, {rows_a_word:.3f} rows a word."
    )
    text = setup + "\n\n" + "\n".join(report) + "\n"
    print("\n" + text)
    if FLAGS.output:
        with open(FLAGS.output, "w") as f:
            f.write(text)


if __name__ == "__main__":
    app.run(main)
