"""What unseen words cost per call: the subword defaults beside the word-only
lookup, the memory floor of the same rows and fastText's own library, in one run.

keras     keras.layers.StringLookup + Embedding: whole words, OOV words hashed
          to one bucket row; its table padded to the composed table's row
          count (a peer of equal table size)
old       tf_dynemb.lookup, the former default: no n-grams, no composition
composed  tf_dynemb.lookup, the default: a vocabulary word pools its own row,
          its pieces and its character 2- to 5-grams (what training runs)
folded    tf_dynemb.lookup of the table `tf_dynemb.serving.folding.fold` makes:
          a vocabulary word reads its composed vector as one row (what an
          export serves); unseen words still pool pieces and n-grams
floor     tf.gather of the rows `folded` reads (tf_dynemb.segment's row ids,
          computed beforehand) and tf.math.segment_mean: the memory traffic of
          the same work
fasttext  fastText's own model (dim 128, minn 2, maxn 5, 200,000 buckets,
          trained on the vocabulary), `get_word_vector` once per word from
          Python: the library has no batched per-word call. Its vectors are its
          own and it splits no WordPiece pieces; what compares is the cost of
          its per-word vector, one call per word, for the same words.

Each implementation runs one call per batch from Python (bench_timing.per_call),
as predict and serving do; each call gets a new window of a pool of real words
(bench_data.py: the standard library's docstrings, original casing). The pool
is drawn with --oov_share of its tokens out of the vocabulary (the corpus's own
share is printed beside it), and again with unseen words only, for the cost of
an unseen word. Best of --rounds rounds, implementations interleaved.

The vocabulary is the --num_words most frequent words of half the corpus
(bench_data.whole_words); when that half has fewer, BERT whole-word pieces that
never occur in the corpus fill the rest, so the table keeps --num_words word rows.

Usage: python bench/subword_lookup_bench.py [--smoke] [--output FILE]
"""

import os
import platform
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

import bench_data  # noqa: E402
import tf_dynemb  # noqa: E402
from tf_dynemb.layers import DynamicEmbedding  # noqa: E402
from bench_timing import per_call  # noqa: E402
from tf_dynemb.serving.folding import fold  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_list("batch_sizes", ["1024", "16384"], "Words per call.")
flags.DEFINE_integer("dim", 128, "Embedding width (float32).")
flags.DEFINE_integer("num_words", 5000, "Whole words in the vocabulary.")
flags.DEFINE_integer("num_buckets", 1000, "OOV hash buckets (the layer's default).")
flags.DEFINE_float("oov_share", 1 / 3, "Share of the mixed pool's tokens out of vocabulary.")
flags.DEFINE_float("seconds", 1.0, "Minimum time measured per round of a cell.")
flags.DEFINE_integer("rounds", 3, "Rounds per cell, implementations interleaved; best counts.")
flags.DEFINE_float("target", 0.3, "Default (folded and composed) / keras speed to check.")
flags.DEFINE_bool("smoke", False, "A few small calls of every implementation, to check it runs.")
flags.DEFINE_string("output", None, "Write the markdown report here.")

NAMES = ("keras", "old", "composed", "folded", "floor", "fasttext")


def vocabulary(num_words, pieces, text):
    """`num_words` words: the most frequent of half the corpus, then BERT
    whole-word pieces absent from `text`."""
    words = bench_data.whole_words(num_words)
    taken, in_text = set(words), set(text)
    for piece in pieces:
        if len(words) == num_words:
            break
        if piece.isalpha() and piece not in in_text and piece not in taken:
            words.append(piece)
            taken.add(piece)
    return words


def draw_pool(text, words, size, oov_share, rng):
    """`size` tokens of `text`, `oov_share` of them out of `words`, shuffled."""
    known = set(words)
    seen = np.array([t for t in text if t in known], dtype=object)
    unseen = np.array([t for t in text if t not in known], dtype=object)
    num_unseen = int(round(oov_share * size))
    pool = np.concatenate([rng.choice(unseen, num_unseen), rng.choice(seen, size - num_unseen)])
    return rng.permutation(pool)


def fasttext_model(words, dim, epoch):
    """A fastText model whose dictionary is `words`, trained briefly."""
    try:
        import fasttext
    except ImportError as e:
        raise ImportError("This benchmark needs fastText: pip install fasttext-numpy2") from e
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "words.txt")
        with open(path, "w", encoding="utf-8") as f:
            for _ in range(3):
                f.write(" ".join(rng.permutation(words)) + "\n")
        model = fasttext.train_unsupervised(
            path, model="skipgram", dim=dim, minn=2, maxn=5, bucket=200_000, minCount=1,
            epoch=epoch, thread=1, verbose=0)
    missing = [w for w in words if model.get_word_id(w) < 0]
    if missing:
        raise RuntimeError(f"fastText dropped {len(missing)} vocabulary words, e.g. {missing[:3]}")
    return model


def rows_a_word(words, model):
    row_ids = tf_dynemb.segment(words, model)[0]
    return int(row_ids.shape[0]) / int(words.shape[0])


def kind_shares(words, model):
    kinds = np.bincount(tf_dynemb.segment(words, model)[3].numpy(), minlength=6)
    return ", ".join(f"{kinds[k] / kinds.sum():.1%} {tf_dynemb.KIND_NAMES[k]}"
                     for k in range(len(kinds)) if kinds[k])


def floor_window(words, model):
    """`[2, rows]` int64: the row ids `model` reads for `words`, and each row's word."""
    row_ids, _, row_word, _ = tf_dynemb.segment(words, model)
    if np.any(np.diff(row_word.numpy()) < 0):
        raise RuntimeError("tf_dynemb.segment's row_word is not sorted; use unsorted_segment_mean.")
    return tf.stack([row_ids, row_word])


def measure(impls, windows_of, batches, rounds, seconds):
    """{(batch, name): best words a second}, implementations interleaved."""
    speed = {}
    for batch in batches:
        for _ in range(rounds):
            for name, fn in impls.items():
                windows = windows_of(name, batch)
                words_s = per_call(fn, windows, batch, seconds)
                speed[(batch, name)] = max(speed.get((batch, name), 0.0), words_s)
        print(f"batch={batch:6d} " + " ".join(
            f"{n}={speed[(batch, n)] / 1e6:.3f}M/s" for n in impls), flush=True)
    return speed


def main(argv):  # noqa: C901 - a linear script
    del argv
    if FLAGS.smoke:
        FLAGS.batch_sizes, FLAGS.seconds, FLAGS.rounds = ["64"], 0.01, 1
    batches = [int(b) for b in FLAGS.batch_sizes]
    load_before = os.getloadavg()
    pieces = bench_data.bert_uncased_pieces()
    text = bench_data.text_words()
    words = vocabulary(FLAGS.num_words, pieces, text)
    natural_share = float(np.mean([t not in set(words) for t in text]))
    rng = np.random.default_rng(0)
    pool_size = 4 * max(batches)
    pools = {"mixed": draw_pool(text, words, pool_size, FLAGS.oov_share, rng),
             "unseen": draw_pool(text, words, pool_size, 1.0, rng)}

    def layer(**subwords):
        embedding = DynamicEmbedding(FLAGS.dim, vocabulary=words, wordpiece_vocabulary=pieces,
                                     num_oov_buckets=FLAGS.num_buckets, **subwords)
        embedding.build()
        return embedding

    old = layer(num_ngram_buckets=0, compose_words=False)
    composed = layer()  # the defaults
    folded_model, folded_table = fold(composed)
    rows = composed.input_dim
    lookup_layer = keras.layers.StringLookup(vocabulary=words, num_oov_indices=FLAGS.num_buckets)
    keras_embedding = keras.layers.Embedding(rows, FLAGS.dim)
    keras_embedding.build((None,))
    ft = fasttext_model(words, FLAGS.dim, epoch=1)

    strings = tf.TensorSpec([None], tf.string)
    ids = tf.TensorSpec([2, None], tf.int64)
    impls = {
        "keras": tf.function(lambda w: keras_embedding(lookup_layer(w)), input_signature=[strings]),
        "old": tf.function(lambda w: tf_dynemb.lookup(w, old.embeddings, old.vocabulary_model),
                           input_signature=[strings]),
        "composed": tf.function(
            lambda w: tf_dynemb.lookup(w, composed.embeddings, composed.vocabulary_model),
            input_signature=[strings]),
        "folded": tf.function(lambda w: tf_dynemb.lookup(w, folded_table, folded_model),
                              input_signature=[strings]),
        "floor": tf.function(
            lambda r: tf.math.segment_mean(tf.gather(folded_table, r[0]), r[1]),
            input_signature=[ids]),
        "fasttext": lambda w: np.stack([ft.get_word_vector(x) for x in w]),
    }
    speeds, profile = {}, {}
    for pool_name, pool in pools.items():
        tensor = tf.constant(pool.astype(bytes))
        windows = {}
        for batch in batches:
            word_windows = [tensor[s:s + batch] for s in range(0, pool_size, batch)]
            windows[("strings", batch)] = word_windows
            windows[("ids", batch)] = [floor_window(w, folded_model) for w in word_windows]
            windows[("python", batch)] = [[x.decode() for x in w.numpy()] for w in word_windows]

        def windows_of(name, batch, windows=windows):
            kind = {"floor": "ids", "fasttext": "python"}.get(name, "strings")
            return windows[(kind, batch)]

        profile[pool_name] = {
            "share": kind_shares(tensor, folded_model),
            "rows": {n: rows_a_word(tensor, m) for n, m in (
                ("old", old.vocabulary_model), ("composed", composed.vocabulary_model),
                ("folded", folded_model))},
        }
        print(f"{pool_name}: {profile[pool_name]}", flush=True)
        speeds[pool_name] = measure(impls, windows_of, batches, FLAGS.rounds, FLAGS.seconds)
    load_after = os.getloadavg()

    report = [report_setup(words, pieces, rows, old.input_dim, natural_share, profile,
                           load_before, load_after), "", "Mixed batches "
              f"({FLAGS.oov_share:.0%} of tokens unseen), per call:", "",
              "| implementation | " + " | ".join(f"batch {b:,}: M words/s | vs keras"
                                                for b in batches) + " |",
              "|---|" + "---|---|" * len(batches)]
    mixed = speeds["mixed"]
    for name in NAMES:
        report.append(f"| {name} | " + " | ".join(
            f"{mixed[(b, name)] / 1e6:.3f} | {mixed[(b, name)] / mixed[(b, 'keras')]:.2f}x"
            for b in batches) + " |")
    unseen = speeds["unseen"]
    report += ["", "Unseen words only, per call (ns a word, and that time over the floor's: "
               "for composed and folded, the cost of the fused op over the gather of the "
               "same rows):", "",
               "| implementation | " + " | ".join(f"batch {b:,}: ns/word | / floor"
                                                for b in batches) + " |",
               "|---|" + "---|---|" * len(batches)]
    for name in NAMES:
        report.append(f"| {name} | " + " | ".join(
            f"{1e9 / unseen[(b, name)]:.0f} | {unseen[(b, 'floor')] / unseen[(b, name)]:.2f}x"
            for b in batches) + " |")
    big = max(batches)
    verdict = []
    for name in ("folded", "composed"):
        ratio = mixed[(big, name)] / mixed[(big, "keras")]
        met = "met" if ratio >= FLAGS.target else "NOT met"
        verdict.append(f"{name} {ratio:.2f}x the word-only Keras lookup at batch {big:,} "
                       f"(target {FLAGS.target}x: {met})")
    report += ["", "Target: " + "; ".join(verdict) + "."]
    text_out = "\n".join(report) + "\n"
    print("\n" + text_out)
    if FLAGS.output:
        with open(FLAGS.output, "w") as f:
            f.write(text_out)


def report_setup(words, pieces, rows, old_rows, natural_share, profile, load_before,
                 load_after):
    rows_text = ", ".join(f"{n} {r:.2f}" for n, r in profile["mixed"]["rows"].items())
    unseen_rows = ", ".join(f"{n} {r:.2f}" for n, r in profile["unseen"]["rows"].items())
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores shared with "
        f"other jobs (load average {load_before[0]:.1f} before, {load_after[0]:.1f} after: "
        f"compare ratios within this run, not absolute speeds across runs), TensorFlow "
        f"{tf.__version__}, D={FLAGS.dim} float32. Vocabulary: {len(words):,} words, "
        f"{len(pieces):,} WordPiece pieces (BERT uncased), {FLAGS.num_buckets:,} OOV "
        f"buckets; default table {rows:,} rows (keras padded to it), old {old_rows:,}. "
        f"The corpus's own tokens are {natural_share:.1%} unseen; mixed pool: "
        f"{profile['mixed']['share']}; unseen pool: {profile['unseen']['share']} "
        f"(kinds as the folded model reports them). Rows read a word, mixed: {rows_text}; "
        f"unseen: {unseen_rows} (keras reads one row a word, floor the "
        f"folded rows, fastText a vocabulary word's row and n-grams or an unseen word's n-grams)."
    )


if __name__ == "__main__":
    app.run(main)
