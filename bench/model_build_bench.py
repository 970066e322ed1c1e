"""Time and bytes of building (and validating) a large vocabulary model.

1,000,000 distinct whole words (the corpus' words, then the same words with
numeric suffixes until there are enough) and BERT-uncased's 30,522 pieces.
The bound checked: model bytes <= 2 x (raw vocabulary bytes + its index), the
index being one u32 offset per string.

Usage: python bench/model_build_bench.py [--num_words 1000000] [--smoke]
"""

import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

import bench_data  # noqa: E402
import smoke  # noqa: E402
import tf_dynemb  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_integer("num_words", 1_000_000, "Whole words in the model.")


def distinct_words(n):
    base = sorted(set(w.lower() for w in bench_data.text_words()))
    words, i = list(base), 0
    while len(words) < n:
        words.extend(f"{w}{i}" for w in base)
        i += 1
    return words[:n]


def main(argv):
    del argv
    smoke.apply({"num_words": 1000})
    words = distinct_words(FLAGS.num_words)
    pieces = bench_data.bert_uncased_pieces()
    words_t, pieces_t = tf.constant(words), tf.constant(pieces)
    tf_dynemb.build_model(["warm"], ["up"])
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        model = tf_dynemb.build_model(words_t, pieces_t, num_oov_buckets=1000)
        best = min(best, time.perf_counter() - start)
    raw = sum(len(w.encode()) for w in words) + sum(len(p.encode()) for p in pieces)
    index = 4 * (len(words) + len(pieces) + 2)
    size = int(model.shape[0])
    table = tf.zeros([len(words) + len(pieces) + 1000, 1])
    start = time.perf_counter()
    tf_dynemb.lookup(["the"], table, model)  # the first call validates the model
    validate = time.perf_counter() - start
    print(f"{len(words):,} words + {len(pieces):,} pieces: build {best:.2f} s, "
          f"first lookup (full validation) {validate:.2f} s; model {size / 1e6:.1f} MB, "
          f"raw vocabulary {raw / 1e6:.1f} MB + index {index / 1e6:.1f} MB: "
          f"{size / (raw + index):.2f}x (bound: 2x)")


if __name__ == "__main__":
    app.run(main)
