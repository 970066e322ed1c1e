"""Exports a model whose table is over 2 GB and sharded over 2 parameter
servers (a loopback cluster in this process), then loads the SavedModel back
in a fresh process: time, peak memory (max RSS) and vectors of both steps.

A table that large cannot be a graph constant (a GraphDef is one protobuf,
limited to 2 GB): it must be a variable of the SavedModel.

Usage: python bench/sharded_export_bench.py [--rows 4300000] [--output_dim 128]
    [--flavor portable] [--workdir DIR] [--smoke]
Not a test: the export needs several times the table's size in memory (the shards,
the unsharded copy, what the saver writes, the SavedModel loaded back for the check).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smoke  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_integer("rows", 4_300_000, "Rows of the table (mostly hash buckets).")
flags.DEFINE_integer("output_dim", 128, "Embedding width D.")
flags.DEFINE_enum("flavor", "portable", ["portable", "fused"], "Export flavor.")
flags.DEFINE_string("workdir", None, "Where to write the SavedModel (default: a temp dir).")
flags.DEFINE_string("load", None, "Internal: load this SavedModel and report (child process).")

WORDS = ["the", "of", "and", "tokenizationally", "qzxvq", "東京", ""]


def peak_rss_gib():
    """This process's peak resident memory since it started or since the last
    `reset_peak_rss` (VmHWM: unlike getrusage's ru_maxrss, it is not
    inherited from the parent across fork and exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**20
    raise RuntimeError("/proc/self/status has no VmHWM line")


def rss_gib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 2**20
    raise RuntimeError("/proc/self/status has no VmRSS line")


def reset_peak_rss():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def directory_gib(path):
    return sum(os.path.getsize(os.path.join(d, f))
               for d, _, files in os.walk(path) for f in files) / 2**30


def load_and_report(path):
    """Child process: load the SavedModel, embed WORDS, report."""
    import tensorflow as tf

    import tf_dynemb  # noqa: F401  (the fused flavor needs the op library)

    start = time.perf_counter()
    signature = tf.saved_model.load(path).signatures["serving_default"]
    loaded_s = time.perf_counter() - start
    start = time.perf_counter()
    vectors = next(iter(signature(tf.constant(WORDS)).values())).numpy()
    print(json.dumps({"load_s": loaded_s, "first_call_s": time.perf_counter() - start,
                      "peak_rss_gib": peak_rss_gib(), "vectors": vectors.tolist()}))


def make_model(rows, dim):
    import keras

    from tf_dynemb.layers import DynamicEmbedding

    words = ["the", "of", "and"]
    pieces = ["token", "##ization", "##ally"]
    inputs = keras.Input(shape=(), dtype="string")
    embed = DynamicEmbedding(dim, vocabulary=words, wordpiece_vocabulary=pieces,
                             num_oov_buckets=rows - len(words) - len(pieces))
    return keras.Model(inputs, embed(inputs))


def main(argv):
    del argv
    smoke.apply({"rows": 1000, "output_dim": 8})
    if FLAGS.load:
        load_and_report(FLAGS.load)
        return
    import tensorflow as tf

    from tf_dynemb.distribute import start_loopback_cluster
    from tf_dynemb.serving import export_model

    table_gib = FLAGS.rows * FLAGS.output_dim * 4 / 2**30
    workdir = FLAGS.workdir or tempfile.mkdtemp(prefix="sharded_export_")
    strategy = start_loopback_cluster(
        num_workers=1, num_ps=2,
        variable_partitioner=tf.distribute.experimental.partitioners.FixedShardsPartitioner(2))
    start = time.perf_counter()
    with strategy.scope():
        model = make_model(FLAGS.rows, FLAGS.output_dim)
    table = model.weights[0].value
    build_s = time.perf_counter() - start
    build_peak, rss_before_export = peak_rss_gib(), rss_gib()
    expected = model(tf.constant(WORDS)).numpy()
    reset_peak_rss()
    start = time.perf_counter()
    path = export_model(model, os.path.join(workdir, "model"), flavor=FLAGS.flavor,
                        warmup_inputs=np.array(WORDS, dtype=object))
    export_s = time.perf_counter() - start
    export_peak = peak_rss_gib()
    variables = tf.train.list_variables(os.path.join(path, "variables", "variables"))
    child = subprocess.run([sys.executable, __file__, f"--load={path}"], capture_output=True,
                           text=True, check=True)
    loaded = json.loads(child.stdout.strip().splitlines()[-1])
    max_diff = float(np.max(np.abs(np.array(loaded["vectors"]) - expected)))
    report = {
        "table": f"{FLAGS.rows:,} x {FLAGS.output_dim} float32 = {table_gib:.2f} GiB",
        "shards": [f"{s.device} {tuple(s.shape)}" for s in table.variables],
        "flavor": FLAGS.flavor,
        "build_s (sharded table, initialized)": round(build_s, 1),
        "build peak_rss_gib (the shards live in this process)": round(build_peak, 2),
        "rss_gib before export": round(rss_before_export, 2),
        "export_s (copy + write + reload check)": round(export_s, 1),
        "export peak_rss_gib": round(export_peak, 2),
        "savedmodel_gib": round(directory_gib(path), 2),
        "saved_model.pb MiB": round(os.path.getsize(os.path.join(path, "saved_model.pb"))
                                    / 2**20, 3),
        "table variables in SavedModel": sorted({str(s) for _, s in variables if len(s) == 2}),
        "load_s (fresh process)": round(loaded["load_s"], 1),
        "first_call_s": round(loaded["first_call_s"], 2),
        "load peak_rss_gib": round(loaded["peak_rss_gib"], 2),
        "max |served - trained| over the words": max_diff,
    }
    print(json.dumps(report, indent=1, ensure_ascii=False))
    if FLAGS.workdir is None:
        shutil.rmtree(workdir)


if __name__ == "__main__":
    app.run(main)
