"""What `lowercase=True, strip_accents=True` costs and what it finds, on real
words of three languages, measured in one run.

- normalization alone: `tf_dynemb.text.normalize_words` (core TF ops: what both
  flavors and exports run) against the ops keras-hub's `WordPieceTokenizer`
  runs for the same two options (TF Text's `normalize_utf8` NFD, a
  `\\p{Mn}` regex, `case_fold_utf8`), on the same words;
- the layer's whole lookup (fused flavor) with the options against without;
- the share of words that fall to a hash bucket with BERT-uncased's pieces,
  with the options and without.

Words: English from the docstrings of Python's standard library (original
casing), French and German from `wordfreq` (its 20,000 most frequent words of
each, as written; German with capitals as its nouns take them is not in
wordfreq, so its words are lowercase). Batches are drawn from each language's
words with repetition.

Usage: python bench/normalization_bench.py [--output report.md] [--smoke]
"""

import os
import platform
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tensorflow_text as tf_text  # noqa: E402
from absl import app, flags  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_data  # noqa: E402
import bench_timing  # noqa: E402
import smoke  # noqa: E402

import tf_dynemb  # noqa: E402
from tf_dynemb.layers import DynamicEmbedding  # noqa: E402
from tf_dynemb.text import normalize_words  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_list("batch_sizes", ["1024", "16384"], "Words per call.")
flags.DEFINE_integer("wordfreq_words", 20000, "Most frequent words of French and German.")
flags.DEFINE_integer("whole_words", 5000, "Whole words in the layer's vocabulary.")
flags.DEFINE_float("seconds", 1.0, "Minimum time measured per cell.")
flags.DEFINE_string("output", None, "Write the markdown report here.")


def keras_hub_normalization(words):
    """The ops keras-hub's WordPieceTokenizer(lowercase=True,
    strip_accents=True) runs on its input before splitting it."""
    words = tf.strings.regex_replace(tf_text.normalize_utf8(words, "NFD"), r"\p{Mn}", "")
    return tf_text.case_fold_utf8(words)


def languages():
    import wordfreq

    return {
        "English (docstrings, cased)": bench_data.text_words(),
        "French (wordfreq)": wordfreq.top_n_list("fr", FLAGS.wordfreq_words),
        "German (wordfreq)": wordfreq.top_n_list("de", FLAGS.wordfreq_words),
    }


def layer(pieces, normalize):
    embedding = DynamicEmbedding(
        64, vocabulary=bench_data.whole_words(FLAGS.whole_words), wordpiece_vocabulary=pieces,
        num_oov_buckets=10_000, num_ngram_buckets=0, compose_words=False,
        lowercase=normalize, strip_accents=normalize)
    embedding.build()
    return embedding


def bucket_share(embedding, words):
    _, kind = embedding.lookup(tf.constant(words), return_kind=True)
    return float(np.mean(kind.numpy() == tf_dynemb.BUCKET))


def main(argv):
    del argv
    smoke.apply({"batch_sizes": ["64"], "wordfreq_words": 300, "whole_words": 200,
                 "seconds": 0.01})
    pieces = bench_data.bert_uncased_pieces()
    plain, normalizing = layer(pieces, False), layer(pieces, True)
    impls = {
        "normalize_words": tf.function(
            lambda w: tf.strings.length(normalize_words(w, True, True))),
        "keras-hub's ops": tf.function(lambda w: tf.strings.length(keras_hub_normalization(w))),
        "lookup, options off": tf.function(plain.lookup),
        "lookup, options on": tf.function(normalizing.lookup),
    }
    rng = np.random.default_rng(0)
    lines = [f"{platform.machine()}, {os.cpu_count()} cores, TensorFlow {tf.__version__}, "
             f"TF Text {tf_text.__version__}; BERT-uncased pieces ({len(pieces):,}), "
             f"{FLAGS.whole_words:,} whole words, 10,000 buckets, D = 64, fused flavor. "
             "Millions of words a second, one tf.function call per batch (per call) "
             "and calls in one graph loop (in loop).", "",
             "| words | batch | timing | " + " | ".join(impls) +
             " | normalize_words / keras-hub | lookup on / off |",
             "|---|---|---|" + "---|" * len(impls) + "---|---|"]
    shares = []
    for name, words in languages().items():
        shares.append((name, bucket_share(plain, words), bucket_share(normalizing, words)))
        for batch in map(int, FLAGS.batch_sizes):
            windows = [tf.constant(rng.choice(words, batch)) for _ in range(8)]
            for timing in (bench_timing.per_call, bench_timing.in_loop):
                rates = [timing(fn, windows, batch, FLAGS.seconds) / 1e6
                         for fn in impls.values()]
                lines.append(f"| {name} | {batch:,} | {timing.__name__.replace('_', ' ')} | " +
                             " | ".join(f"{r:.2f}" for r in rates) +
                             f" | {rates[0] / rates[1]:.2f}x | {rates[3] / rates[2]:.2f}x |")
    lines += ["", "| words | to a bucket, options off | options on |", "|---|---|---|"]
    lines += [f"| {name} | {off:.1%} | {on:.1%} |" for name, off, on in shares]
    report = "\n".join(lines)
    print(report)
    if FLAGS.output:
        with open(FLAGS.output, "w") as f:
            f.write(report + "\n")


if __name__ == "__main__":
    app.run(main)
