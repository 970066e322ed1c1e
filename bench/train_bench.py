"""Training speed of tf_dynemb's sparse optimizers against Keras's, in one run.

1. `fit` words/s, batch 256 x 16 words, D = 128, real words: DynamicEmbedding
   (whole words + a BERT-size WordPiece vocabulary + 1,000 buckets) against
   StringLookup + Embedding (the same whole words, 1,000 OOV buckets, no
   subwords), each with the same optimizers: tf_dynemb's LazyAdam (sparse for
   both: a Keras Embedding's gradient is an IndexedSlices too), Keras SGD
   (sparse) and Keras Adam (dense, O(V) a step); beside them RowwiseAdagrad,
   Keras Adagrad and the lookup as it was before one segmentation per word
   (its gradient split the words again). The whole-word vocabulary is the
   most frequent corpus words, cut so that --oov_share of the text's words are
   not in it (they are split into pieces, or hashed).
2. Lookup + table gradient, 4,096 words a step in one graph loop: the
   training lookup against the inference lookup whose gradient segments the
   words again.
3. One optimizer step against the table's rows V (D = 128, 4,096 uniformly
   drawn ids a step), for each optimizer; each cell runs in a fresh process.
4. Optimizer memory per row, from the slot variables each optimizer makes.

Usage: python bench/train_bench.py [--output=build/train_bench.md]
    [--sections=fit,gradient,sweep] [--smoke]
--smoke: tiny sizes and a vocabulary learned from the bundled text only, the
same code paths (sweep cells in this process), in seconds.
"""

import collections
import gc
import json
import os
import platform
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402
from tensorflow.python.ops import resource_variable_ops  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smoke  # noqa: E402
from wordpiece_corpus import corpus_counts, corpus_vocabularies  # noqa: E402

import tf_dynemb  # noqa: E402
from tf_dynemb import sample_text  # noqa: E402
from tf_dynemb.layers import DynamicEmbedding  # noqa: E402
from tf_dynemb.ops import _ops  # noqa: E402
from tf_dynemb.optimizers import (  # noqa: E402
    LazyAdam,
    RowwiseAdagrad,
    SparseLossScaleOptimizer,
)

FLAGS = flags.FLAGS
flags.DEFINE_integer("batch", 256, "Sentences a step.")
flags.DEFINE_integer("words_per_sentence", 16, "Words a sentence.")
flags.DEFINE_integer("dim", 128, "Embedding width D.")
flags.DEFINE_integer("num_words", 5000, "Whole words learned; cut by --oov_share.")
flags.DEFINE_float("oov_share", 1 / 3, "Share of the text's words left out of the whole-word "
                   "vocabulary (the most frequent words are kept); 0 keeps all --num_words.")
flags.DEFINE_integer("num_buckets", 1000, "OOV buckets of both pipelines.")
flags.DEFINE_enum("peer_rows", "same", ["same", "words"], "StringLookup + Embedding's table: "
                  "`same`: as many rows as DynamicEmbedding's (the OOV indices take the pieces' "
                  "rows too); `words`: the words + --num_buckets OOV indices.")
flags.DEFINE_integer("fit_steps", 40, "Steps a timed fit round.")
flags.DEFINE_integer("rounds", 5, "Rounds of fit cells, pipelines interleaved; the best counts.")
flags.DEFINE_list("rows", ["10000", "100000", "1000000", "4000000"], "Table sizes V swept.")
flags.DEFINE_integer("ids_per_step", 4096, "Ids a step in the sweep.")
flags.DEFINE_float("seconds", 1.0, "Minimum time a sweep round measures.")
flags.DEFINE_integer("num_pieces", 30522, "WordPiece pieces learned (BERT's count).")
flags.DEFINE_string("cache_dir", "build", "Where the learned vocabularies are kept.")
flags.DEFINE_string("output", None, "Write the markdown report here.")
flags.DEFINE_integer("sweep_rounds", 7, "Rounds of a sweep cell; the best counts.")
flags.DEFINE_integer("gradient_steps", 100, "Steps of the lookup + gradient graph loop.")
flags.DEFINE_list("sections", ["fit", "gradient", "sweep"], "Sections run.")
flags.DEFINE_integer("sweep_rows", 0, "Internal: run one sweep cell for this V, print JSON.")
flags.DEFINE_string("sweep_optimizer", None, "Internal: the optimizer of that cell.")

SWEPT = {  # name -> (factory, [V, D] buffers a step may hold: table, slots, dense temporaries)
    "LazyAdam": (lambda: LazyAdam(1e-3), 3),
    "RowwiseAdagrad": (lambda: RowwiseAdagrad(1e-2), 1),
    "keras Adam": (lambda: keras.optimizers.Adam(1e-3), 7),
    "keras Adagrad": (lambda: keras.optimizers.Adagrad(1e-2), 5),
    "keras SGD": (lambda: keras.optimizers.SGD(1e-2), 1),
    # Loss scaling (mixed_float16): Keras's wrapper checks a dense copy.
    "LazyAdam in keras LossScaleOptimizer": (
        lambda: keras.optimizers.LossScaleOptimizer(LazyAdam(1e-3)), 5),
    "LazyAdam in SparseLossScaleOptimizer": (
        lambda: SparseLossScaleOptimizer(LazyAdam(1e-3)), 3),
}


class ResegmentingEmbedding(DynamicEmbedding):
    """DynamicEmbedding as it trained before one segmentation per word: the
    inference lookup, whose gradient runs TfDynembSegment on the words again."""

    def call(self, inputs):
        variable = tf_dynemb.ops.resource_variable(self.embeddings)
        resource_variable_ops.variable_accessed(variable)
        out = _ops.tf_dynemb_resource_lookup(words=inputs, table=variable.handle,
                                             model=self.vocabulary_model, dtype=variable.dtype,
                                             combiner=self.combiner)[0]
        return tf.cast(out, self.compute_dtype)


SMOKE = dict(batch=8, words_per_sentence=4, dim=8, num_words=1000, num_buckets=10, fit_steps=3,
             rounds=1, rows=["1000"], ids_per_step=64, seconds=0.01, num_pieces=300,
             sweep_rounds=1, gradient_steps=3, cache_dir=os.path.join("build", "smoke"))


def vocabularies():
    """Vocabularies learned from the installed packages' text (see
    wordpiece_corpus.py; with --smoke, from the bundled text alone), the
    whole words cut to leave --oov_share of the text out; the words trained on
    are the standard library's docstrings, in order."""
    text_words = sample_text.words()
    counts = corpus_counts(sample_text.docstrings()) if FLAGS.smoke else None
    words, pieces = corpus_vocabularies(FLAGS.cache_dir, FLAGS.num_words, FLAGS.num_pieces,
                                        counts)
    if FLAGS.oov_share > 0:
        words = words[: words_leaving_out(words, text_words, FLAGS.oov_share)]
    return words, pieces, text_words


def words_leaving_out(words, text_words, share):
    """The fewest of `words` (most frequent first) that leave at most `share`
    of `text_words` out."""
    frequency = collections.Counter(text_words)
    covered, target = 0, (1 - share) * len(text_words)
    for n, word in enumerate(words, 1):
        covered += frequency[word]
        if covered >= target:
            return n
    raise ValueError(f"{len(words)} words cover {covered / len(text_words):.1%} of the text, "
                     f"under the {1 - share:.1%} asked (--oov_share={share}); raise --num_words.")


def classifier(embed, num_classes=10):
    inputs = keras.Input(shape=(FLAGS.words_per_sentence,), dtype="string")
    pooled = keras.layers.GlobalAveragePooling1D()(embed(inputs))
    return keras.Model(inputs, keras.layers.Dense(num_classes)(pooled))


def string_lookup(words, rows):
    """StringLookup + Embedding over `words`, its table `rows` rows."""
    def embed(inputs):
        ids = keras.layers.StringLookup(vocabulary=words,
                                        num_oov_indices=rows - len(words))(inputs)
        return keras.layers.Embedding(rows, FLAGS.dim)(ids)
    return embed


def fit_data(text_words):
    n = FLAGS.words_per_sentence
    sentences = np.array(text_words[: len(text_words) // n * n], dtype=object).reshape(-1, n)
    labels = np.random.default_rng(0).integers(0, 10, len(sentences))
    data = tf.data.Dataset.from_tensor_slices((sentences.astype(str), labels))
    return data.batch(FLAGS.batch, drop_remainder=True).cache().repeat()


class StepClock(keras.callbacks.Callback):
    """Words/s between the end of a fit's first step and the end of its last:
    the steps themselves, without fit's start-up."""

    def on_train_begin(self, logs=None):
        self.ends = []

    def on_train_batch_end(self, batch, logs=None):
        self.ends.append(time.perf_counter())

    def words_per_second(self):
        steps = len(self.ends) - 1
        words = steps * FLAGS.batch * FLAGS.words_per_sentence
        return words / (self.ends[-1] - self.ends[0])


def fit_section(words, pieces, text_words):
    data = fit_data(text_words)
    peer_rows = (len(words) + len(pieces) + FLAGS.num_buckets if FLAGS.peer_rows == "same"
                 else len(words) + FLAGS.num_buckets)
    dynamic = dict(vocabulary=words, wordpiece_vocabulary=pieces,
                   num_oov_buckets=FLAGS.num_buckets)
    cells = {
        "DynamicEmbedding + LazyAdam": (lambda: DynamicEmbedding(FLAGS.dim, **dynamic), LazyAdam),
        "StringLookup + Embedding + LazyAdam": (lambda: string_lookup(words, peer_rows), LazyAdam),
        "DynamicEmbedding + keras SGD": (lambda: DynamicEmbedding(FLAGS.dim, **dynamic),
                                         keras.optimizers.SGD),
        "StringLookup + Embedding + keras SGD": (lambda: string_lookup(words, peer_rows),
                                                 keras.optimizers.SGD),
        "DynamicEmbedding + keras Adam": (lambda: DynamicEmbedding(FLAGS.dim, **dynamic),
                                          keras.optimizers.Adam),
        "StringLookup + Embedding + keras Adam": (lambda: string_lookup(words, peer_rows),
                                                  keras.optimizers.Adam),
        "DynamicEmbedding + RowwiseAdagrad": (lambda: DynamicEmbedding(FLAGS.dim, **dynamic),
                                              lambda: RowwiseAdagrad(0.05)),
        "StringLookup + Embedding + keras Adagrad": (lambda: string_lookup(words, peer_rows),
                                                     lambda: keras.optimizers.Adagrad(0.05)),
        "DynamicEmbedding + LazyAdam, gradient segments again (before)": (
            lambda: ResegmentingEmbedding(FLAGS.dim, **dynamic), LazyAdam),
    }
    models = {}
    for name, (embed, optimizer) in cells.items():
        keras.utils.set_random_seed(0)
        models[name] = classifier(embed())
        models[name].compile(optimizer(), keras.losses.SparseCategoricalCrossentropy(True))
        models[name].fit(data, epochs=1, steps_per_epoch=3, verbose=0)  # trace, warm up
    best = {name: 0.0 for name in cells}
    clock = StepClock()
    for _ in range(FLAGS.rounds):
        for name, model in models.items():
            model.fit(data, epochs=1, steps_per_epoch=FLAGS.fit_steps, verbose=0,
                      callbacks=[clock])
            best[name] = max(best[name], clock.words_per_second())
    layer = next(l for l in models["DynamicEmbedding + LazyAdam"].layers
                 if isinstance(l, DynamicEmbedding))
    _, kinds = tf_dynemb.lookup(tf.constant(text_words[:100000]), layer.embeddings,
                                layer.vocabulary_model, return_kind=True)
    share = {k: float(np.mean(kinds.numpy() == v)) for k, v in
             (("WORD", tf_dynemb.WORD), ("PIECES", tf_dynemb.PIECES),
              ("BUCKET", tf_dynemb.BUCKET))}
    return best, layer.input_dim, share, peer_rows


def gradient_section(words, pieces, text_words):
    """Microseconds a step of lookup + table gradient (4,096 words, one graph
    loop): the training lookup against the inference lookup whose gradient
    segments the words again."""
    model = tf_dynemb.build_model(words, pieces, FLAGS.num_buckets)
    rows = len(words) + len(pieces) + FLAGS.num_buckets
    table = tf.Variable(tf.random.normal([rows, FLAGS.dim]))
    windows = len(text_words) // FLAGS.ids_per_step
    pool = tf.constant(text_words[: windows * FLAGS.ids_per_step])
    upstream = tf.random.normal([FLAGS.ids_per_step, FLAGS.dim])

    def resegmenting(words_):
        resource_variable_ops.variable_accessed(table)
        return _ops.tf_dynemb_resource_lookup(words=words_, table=table.handle, model=model,
                                              dtype=tf.float32)[0]

    def timed(lookup, steps=FLAGS.gradient_steps):
        @tf.function
        def run():
            def body(i, acc):
                start = (i % windows) * FLAGS.ids_per_step
                with tf.GradientTape() as tape:
                    loss = tf.reduce_sum(lookup(pool[start:start + FLAGS.ids_per_step]) * upstream)
                return i + 1, acc + tf.reduce_sum(tape.gradient(loss, table).values[:1])
            return tf.while_loop(lambda i, _: i < steps, body, (0, 0.0))[1]

        run()
        best = float("inf")
        for _ in range(FLAGS.rounds):
            start = time.perf_counter()
            run().numpy()
            best = min(best, (time.perf_counter() - start) / steps)
        return best * 1e6

    both = {}
    for _ in range(FLAGS.rounds):  # interleaved
        for name, fn in (("one segmentation", lambda w: tf_dynemb.lookup(w, table, model)),
                         ("segments again", resegmenting)):
            both[name] = min(both.get(name, float("inf")), timed(fn))
    return both


def available_bytes():
    with open("/proc/meminfo") as f:
        info = dict(line.split(":", 1) for line in f)
    return int(info["MemAvailable"].split()[0]) * 1024


def step_ms(optimizer, table, rows, upstream):
    """Best-of-rounds mean time of one step: gather 4,096 rows, apply their
    gradient (an IndexedSlices)."""

    @tf.function
    def step():
        ids = tf.random.uniform([FLAGS.ids_per_step], 0, rows, tf.int64)
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(table.value.sparse_read(ids) * upstream)
        optimizer.apply_gradients([(tape.gradient(loss, table.value), table)])

    step(), step()
    best = float("inf")
    for _ in range(FLAGS.sweep_rounds):
        steps, start = 0, time.perf_counter()
        while steps < 3 or time.perf_counter() - start < FLAGS.seconds:
            step()
            steps += 1
        best = min(best, (time.perf_counter() - start) / steps)
    return best * 1e3


def sweep_one(rows, name):
    """{ms, slot_bytes_per_row} or {skipped} for one optimizer on a V-row table."""
    make, buffers = SWEPT[name]
    need = rows * FLAGS.dim * 4 * buffers
    if need > 0.8 * available_bytes():
        return {"skipped": f"needs ~{need / 2**30:.1f} GiB, "
                           f"{available_bytes() / 2**30:.1f} GiB were available"}
    upstream = tf.constant(np.random.default_rng(1).normal(
        size=(FLAGS.ids_per_step, FLAGS.dim)).astype(np.float32))
    optimizer = make()
    table = keras.Variable(keras.initializers.Constant(0.01), shape=(rows, FLAGS.dim), name="t")
    optimizer.build([table])
    slots = sum(int(np.prod(v.shape[1:])) * np.dtype(v.dtype).itemsize
                for v in optimizer.variables if len(v.shape) and v.shape[0] == rows)
    return {"ms": step_ms(optimizer, table, rows, upstream), "slot_bytes_per_row": slots}


def sweep_section():
    """Each (V, optimizer) cell in a fresh process, so no cell inherits
    another's memory (with --smoke, in this one: a process costs seconds)."""
    results = {}
    for rows in map(int, FLAGS.rows):
        results[rows] = {}
        for name in SWEPT:
            if FLAGS.smoke:
                results[rows][name] = sweep_one(rows, name)
                continue
            argv = [sys.executable, os.path.abspath(__file__), f"--sweep_rows={rows}",
                    f"--sweep_optimizer={name}", f"--dim={FLAGS.dim}",
                    f"--ids_per_step={FLAGS.ids_per_step}",
                    f"--sweep_rounds={FLAGS.sweep_rounds}", f"--seconds={FLAGS.seconds}"]
            done = subprocess.run(argv, capture_output=True, text=True, check=True)
            results[rows][name] = json.loads(done.stdout.strip().splitlines()[-1])
    return results


SAME_OPTIMIZER = ("LazyAdam", "keras SGD", "keras Adam")  # cells of both pipelines


def fit_report(fit, num_words):
    best, rows, share, peer_rows = fit
    lines = [
        f"{platform.machine()}, {os.cpu_count()} cores, TensorFlow {tf.__version__}, "
        f"Keras {keras.__version__}; batch {FLAGS.batch} x {FLAGS.words_per_sentence} words, "
        f"D = {FLAGS.dim}, {FLAGS.fit_steps} timed steps a round, best of {FLAGS.rounds} "
        f"rounds. {num_words:,} whole words (--oov_share={FLAGS.oov_share:.3g}); "
        f"DynamicEmbedding table: {rows:,} rows (words + {FLAGS.num_pieces:,} WordPiece "
        f"pieces asked + {FLAGS.num_buckets:,} buckets); StringLookup + Embedding table: "
        f"{peer_rows:,} rows (words + {peer_rows - num_words:,} OOV indices, "
        f"--peer_rows={FLAGS.peer_rows}); words drawn by DynamicEmbedding: "
        + ", ".join(f"{v:.1%} {k}" for k, v in share.items()) + ".",
        "", "| optimizer | DynamicEmbedding (k words/s) | StringLookup + Embedding (k words/s) "
        "| DynamicEmbedding / StringLookup + Embedding |", "|---|---|---|---|"]
    for optimizer in SAME_OPTIMIZER:
        ours = best[f"DynamicEmbedding + {optimizer}"]
        peer = best[f"StringLookup + Embedding + {optimizer}"]
        lines.append(f"| {optimizer} | {ours / 1e3:.0f} | {peer / 1e3:.0f} | {ours / peer:.2f}x |")
    ours, peer = (best["DynamicEmbedding + RowwiseAdagrad"],
                  best["StringLookup + Embedding + keras Adagrad"])
    lines.append(f"| RowwiseAdagrad / keras Adagrad | {ours / 1e3:.0f} | {peer / 1e3:.0f} "
                 f"| {ours / peer:.2f}x |")
    before = best["DynamicEmbedding + LazyAdam, gradient segments again (before)"]
    lines += ["", f"DynamicEmbedding + LazyAdam with the gradient segmenting again (before "
              f"one segmentation per word): {before / 1e3:.0f} k words/s "
              f"(now / before: {best['DynamicEmbedding + LazyAdam'] / before:.2f}x)."]
    return lines


def report(fit, num_words, gradient, sweep):
    lines = fit_report(fit, num_words) if fit else []
    if gradient:
        lines += ["", f"Lookup + table gradient, {FLAGS.ids_per_step:,} words a step, "
                  f"{FLAGS.gradient_steps} steps in one graph loop (us a step): one segmentation "
                  f"{gradient['one segmentation']:.0f}, the gradient segmenting again "
                  f"{gradient['segments again']:.0f} "
                  f"({gradient['segments again'] / gradient['one segmentation']:.2f}x)."]
    if sweep:
        lines += sweep_report(sweep)
    return "\n".join(lines) + "\n"


def sweep_report(sweep):
    names = list(SWEPT)
    lines = ["", f"Optimizer step, D = {FLAGS.dim}, {FLAGS.ids_per_step:,} ids a step (ms):", "",
             "| V | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for rows_, cells in sweep.items():
        lines.append(f"| {int(rows_):,} | " + " | ".join(
            f"{cells[n]['ms']:.2f}" if "ms" in cells[n] else "-" for n in names) + " |")
    skipped = [f"{n} at V = {int(r):,}: {c[n]['skipped']}" for r, c in sweep.items()
               for n in names if "skipped" in c[n]]
    if skipped:
        lines += ["", "Not run (memory): " + "; ".join(skipped) + "."]
    per_row = {n: c[n]["slot_bytes_per_row"] for c in sweep.values() for n in names
               if "slot_bytes_per_row" in c.get(n, {})}
    lines += ["", f"Optimizer memory per row (slot variables, float32, D = {FLAGS.dim}):", "",
              "| optimizer | bytes a row | beside the row's own bytes |", "|---|---|---|"]
    for n in (n for n in names if "LossScale" not in n and n in per_row):
        lines.append(f"| {n} | {per_row[n]:,} | {per_row[n] / (FLAGS.dim * 4):.3g}x |")
    return lines


def main(argv):
    del argv
    smoke.apply(SMOKE)
    if FLAGS.sweep_rows:
        print(json.dumps(sweep_one(FLAGS.sweep_rows, FLAGS.sweep_optimizer)))
        return
    unknown = set(FLAGS.sections) - {"fit", "gradient", "sweep"}
    if unknown:
        raise app.UsageError(f"--sections takes fit, gradient and sweep; received {unknown}.")
    words, pieces, text_words = vocabularies()
    fit = fit_section(words, pieces, text_words) if "fit" in FLAGS.sections else None
    gradient = (gradient_section(words, pieces, text_words)
                if "gradient" in FLAGS.sections else None)
    gc.collect()
    sweep = sweep_section() if "sweep" in FLAGS.sections else None
    text = report(fit, len(words), gradient, sweep)
    print(text)
    if FLAGS.output:
        os.makedirs(os.path.dirname(FLAGS.output) or ".", exist_ok=True)
        with open(FLAGS.output, "w") as f:
            f.write(text)


if __name__ == "__main__":
    app.run(main)
