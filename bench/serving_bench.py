"""Latency of the exported signatures, both flavors, loaded as a server would
load them and called in-process: p50 and p99 per call at batch 1, 32, 1,024.

Usage: python bench/serving_bench.py [--output docs/serving_latency.md] [--smoke]
"""

import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smoke  # noqa: E402

from tf_dynemb import sample_text, serving  # noqa: E402
from tf_dynemb.vocabulary import default_vocabulary  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_list("batch_sizes", ["1", "32", "1024"], "Strings per request.")
flags.DEFINE_integer("output_dim", 128, "Embedding width D.")
flags.DEFINE_float("seconds", 2.0, "Time spent per cell.")
flags.DEFINE_string("output", None, "Write the markdown table here.")

SMOKE = {"batch_sizes": ["8"], "output_dim": 8, "seconds": 0.01}


def latencies(signature, key, batches, seconds):
    signature(**{key: batches[0]})  # warm up
    times, start, i = [], time.perf_counter(), 0
    while time.perf_counter() - start < seconds or len(times) < 20:
        batch = batches[i % len(batches)]
        t0 = time.perf_counter()
        out = signature(**{key: batch})
        next(iter(out.values())).numpy()
        times.append(time.perf_counter() - t0)
        i += 1
    return np.percentile(times, 50) * 1e3, np.percentile(times, 99) * 1e3


def main(argv):
    del argv
    smoke.apply(SMOKE)
    words, pieces = default_vocabulary()
    text_words = sample_text.words(lowercase=False)
    rng = np.random.default_rng(0)
    sentences = [" ".join(rng.choice(text_words, 12)) for _ in range(4096)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for flavor in ("fused", "portable"):
            path = serving.export(os.path.join(tmp, flavor), words, pieces,
                                             FLAGS.output_dim, 1000, "mean", flavor)
            loaded = tf.saved_model.load(path)
            for name, key, pool in (("embed_words", "words", text_words),
                                    ("serving_default", "sentences", sentences)):
                signature = loaded.signatures[name]
                for b in (int(x) for x in FLAGS.batch_sizes):
                    batches = [tf.constant(list(rng.choice(pool, b))) for _ in range(8)]
                    p50, p99 = latencies(signature, key, batches, FLAGS.seconds)
                    rows.append((flavor, name, b, p50, p99))
                    print(f"{flavor:8s} {name:15s} batch={b:5d} p50={p50:8.3f} ms "
                          f"p99={p99:8.3f} ms", flush=True)
    table = ["| flavor | signature | batch | p50 (ms) | p99 (ms) |", "|---|---|---|---|---|"]
    table += [f"| {f} | {n} | {b:,} | {p50:.3f} | {p99:.3f} |" for f, n, b, p50, p99 in rows]
    text = (f"{os.cpu_count()} cores, TensorFlow {tf.__version__}, D = {FLAGS.output_dim}, "
            f"bundled vocabulary ({len(words)} words, {len(pieces)} pieces, 1,000 buckets); "
            "sentences of 12 words of real text.\n\n" + "\n".join(table) + "\n")
    print("\n" + text)
    if FLAGS.output:
        with open(FLAGS.output, "w") as f:
            f.write(text)


if __name__ == "__main__":
    app.run(main)
