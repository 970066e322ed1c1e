"""ParameterServerTrainer on a loopback cluster (this process is the chief;
workers and 2 parameter servers are in-process servers): steps/s with 1 and 2
workers, LazyAdam, a table sharded in 2, real words; and the bytes a step
moves between workers and parameter servers, computed from the rows a batch
touches (rows read to the worker, their gradient sent back; the optimizer's
slots never leave their parameter server). Each worker count runs in a fresh
process (one loopback cluster per process).

Usage: python bench/ps_train_bench.py [--workers 1,2] [--rows 1000000] [--dim 64] [--smoke]
"""

import json
import os
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smoke  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_list("workers", ["1", "2"], "Worker counts measured.")
flags.DEFINE_integer("rows", 1_000_000, "Rows of the table (whole words + buckets).")
flags.DEFINE_integer("dim", 64, "Embedding width D.")
flags.DEFINE_integer("batch", 256, "Sentences a step.")
flags.DEFINE_integer("words_per_sentence", 16, "Words a sentence.")
flags.DEFINE_integer("steps", 60, "Steps timed (after one warm-up epoch of as many).")
flags.DEFINE_integer("child", 0, "Internal: measure with this many workers.")


def sentences():
    from tf_dynemb import sample_text

    words = sample_text.words(sample_text.docstrings())
    rng = np.random.default_rng(0)
    size = FLAGS.batch * FLAGS.words_per_sentence
    batches = [np.array(rng.choice(words, size), dtype=object).reshape(FLAGS.batch, -1)
               for _ in range(8)]
    return words, batches


def measure(num_workers):
    import keras
    import tensorflow as tf

    from tf_dynemb.distribute import ParameterServerTrainer, start_loopback_cluster
    from tf_dynemb.layers import DynamicEmbedding
    from tf_dynemb.ops import segment
    from tf_dynemb.optimizers import LazyAdam

    words, batches = sentences()
    vocabulary = sorted(set(words))[:5000]
    strategy = start_loopback_cluster(
        num_workers, 2, tf.distribute.experimental.partitioners.FixedShardsPartitioner(2))
    with strategy.scope():
        inputs = keras.Input(shape=(FLAGS.words_per_sentence,), dtype="string")
        embed = DynamicEmbedding(FLAGS.dim, vocabulary=vocabulary,
                                 num_oov_buckets=FLAGS.rows - len(vocabulary))
        pooled = keras.layers.GlobalAveragePooling1D()(embed(inputs))
        model = keras.Model(inputs, keras.layers.Dense(1)(pooled))
        optimizer = LazyAdam(1e-3)
    labels = np.random.default_rng(1).normal(size=(FLAGS.batch, 1)).astype(np.float32)

    def dataset_fn(input_context):
        x = tf.data.Dataset.from_tensor_slices(np.stack(batches).astype(str))
        return tf.data.Dataset.zip((x, tf.data.Dataset.from_tensors(labels).repeat())).repeat()

    trainer = ParameterServerTrainer(model, "mse", optimizer, strategy=strategy)
    trainer.fit(dataset_fn, steps_per_epoch=FLAGS.steps)  # warm-up: traces, first reads
    start = time.perf_counter()
    trainer.fit(dataset_fn, steps_per_epoch=FLAGS.steps)
    seconds = time.perf_counter() - start
    unique_rows = [int(tf.size(tf.unique(segment(tf.reshape(b.astype(str), [-1]),
                                                 embed.vocabulary_model)[0])[0]))
                   for b in batches]
    return {"workers": num_workers, "steps_per_s": FLAGS.steps / seconds,
            "unique_rows_per_step": float(np.mean(unique_rows))}


def main(argv):
    del argv
    smoke.apply({"workers": ["1"], "rows": 10_000, "dim": 8, "batch": 8, "steps": 2})
    if FLAGS.child:
        print(json.dumps(measure(FLAGS.child)))
        return
    table_gib = FLAGS.rows * FLAGS.dim * 4 / 2**30
    print(f"table {FLAGS.rows:,} x {FLAGS.dim} float32 ({table_gib:.2f} GiB) in 2 shards, "
          f"LazyAdam, batch {FLAGS.batch} x {FLAGS.words_per_sentence} words, "
          f"{os.cpu_count()} cores")
    print("| workers | steps/s | words/s | unique rows a step | KiB moved a step |")
    print("|---|---|---|---|---|")
    for count in FLAGS.workers:
        flags_ = [f"--{name}={getattr(FLAGS, name)}" for name in
                  ("rows", "dim", "batch", "words_per_sentence", "steps")]
        done = subprocess.run([sys.executable, __file__, f"--child={count}", *flags_],
                              capture_output=True, text=True, check=True)
        r = json.loads(done.stdout.strip().splitlines()[-1])
        moved_kib = 2 * r["unique_rows_per_step"] * FLAGS.dim * 4 / 1024
        words = r["steps_per_s"] * FLAGS.batch * FLAGS.words_per_sentence
        print(f"| {count} | {r['steps_per_s']:.1f} | {words:,.0f} | "
              f"{r['unique_rows_per_step']:,.0f} | {moved_kib:,.0f} |")


if __name__ == "__main__":
    app.run(main)
