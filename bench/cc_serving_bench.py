"""Serving latency through TensorFlow's C++ loader: the SavedModel runner's
--bench (export/cc) with 1, 2 and 8 client threads calling Session::Run on one
bundle, both flavors, both signatures; beside it, in the same run, the
in-process Python latency that bench/serving_bench.py measures (one client).
C++ and Python rounds alternate within each cell; the best round is kept.

Usage: python bench/cc_serving_bench.py [--threads=1,2,8] [--seconds=2] [--rounds=3]
    [--output=FILE] [--smoke]
(needs `make cc-loader`; takes serving_bench.py's flags too: --batch_sizes,
--output_dim).
"""

import json
import os
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

import serving_bench  # noqa: E402  (bench/, beside this script; defines the shared flags)
import smoke  # noqa: E402
from tf_dynemb import sample_text, serving  # noqa: E402
from tf_dynemb.vocabulary import default_vocabulary  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "export", "cc"))
from cc_loader import runner_path, write_strings_file  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_list("threads", ["1", "2", "8"], "Concurrent clients of the C++ runner.")
flags.DEFINE_integer("rounds", 3, "Rounds per cell, C++ and Python interleaved; the best is kept.")

SIGNATURES = (("embed_words", "words"), ("serving_default", "sentences"))


def cc_bench(flavor, path, signature, batch, pools):
    """The runner's cells (one a thread count) for one signature and batch."""
    args = [runner_path(flavor), f"--saved_model={path}", "--bench",
            f"--signatures={signature}", "--threads=" + ",".join(FLAGS.threads),
            f"--batch_sizes={batch}", f"--seconds={FLAGS.seconds}"]
    args += [f"--inputs={key}={pool}" for key, pool in pools.items()]
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"{args[0]} failed: {result.stderr.strip().splitlines()[-1]}")
    return [json.loads(line) for line in result.stdout.splitlines()]


def python_p50(signature, key, batch, strings, rng):
    """p50 ms of one in-process client, measured as serving_bench does."""
    batches = [tf.constant(list(rng.choice(strings, batch))) for _ in range(8)]
    return serving_bench.latencies(signature, key, batches, FLAGS.seconds)[0]


def best_of(cells):
    """One thread count's rounds: the lowest p50 with its round's p99, and the
    highest requests/s (other processes on the machine only slow a round)."""
    best = dict(min(cells, key=lambda cell: cell["p50_ms"]))
    best["requests_per_s"] = max(cell["requests_per_s"] for cell in cells)
    return best


def table(rows):
    lines = ["| flavor | signature | batch | threads | p50 (ms) | p99 (ms) | requests/s | "
             "strings/s | Python p50 (ms), 1 client | Python / C++ p50 |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for flavor, cell, python_p50 in rows:
        python = (f"{python_p50:.3f} | {python_p50 / cell['p50_ms']:.1f}x"
                  if python_p50 is not None else " | ")
        lines.append(
            f"| {flavor} | {cell['signature']} | {cell['batch']:,} | {cell['threads']} | "
            f"{cell['p50_ms']:.3f} | {cell['p99_ms']:.3f} | {cell['requests_per_s']:,.0f} | "
            f"{cell['requests_per_s'] * cell['batch']:,.0f} | {python} |")
    return "\n".join(lines)


def main(argv):
    del argv
    smoke.apply({**serving_bench.SMOKE, "threads": ["1", "2"], "rounds": 1})
    words, pieces = default_vocabulary()
    rng = np.random.default_rng(0)
    text_words = sample_text.words(lowercase=False)
    strings = {"words": text_words,
               "sentences": [" ".join(rng.choice(text_words, 12)) for _ in range(4096)]}
    rows = []
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        pools = {}
        for key, values in strings.items():
            pools[key] = os.path.join(tmp, f"{key}.txt")
            write_strings_file(pools[key], values)
        # Each C++ cell runs right beside its Python peer, so both see the
        # same machine load.
        for flavor in serving.FLAVORS:
            path = serving.export(os.path.join(tmp, flavor), words, pieces, FLAGS.output_dim,
                                  1000, "mean", flavor)
            loaded = tf.saved_model.load(path)
            for name, key in SIGNATURES:
                for batch in (int(x) for x in FLAGS.batch_sizes):
                    rounds = []
                    for _ in range(FLAGS.rounds):
                        rounds.append((cc_bench(flavor, path, name, batch, {key: pools[key]}),
                                       python_p50(loaded.signatures[name], key, batch,
                                                  strings[key], rng)))
                    python = min(p50 for _, p50 in rounds)
                    for cells in zip(*(cells for cells, _ in rounds)):
                        cell = best_of(cells)
                        rows.append((flavor, cell, python if cell["threads"] == 1 else None))
                        print(f"{flavor:8s} {name:15s} batch={batch:5d} "
                              f"threads={cell['threads']} p50={cell['p50_ms']:8.3f} ms "
                              f"p99={cell['p99_ms']:8.3f} ms "
                              f"{cell['requests_per_s']:9.0f} req/s", flush=True)
                    print(f"{flavor:8s} {name:15s} batch={batch:5d} Python p50={python:8.3f} ms",
                          flush=True)
    text = (f"{os.cpu_count()} cores, TensorFlow {tf.__version__}, D = {FLAGS.output_dim}, "
            f"bundled vocabulary ({len(words)} words, {len(pieces)} pieces, 1,000 buckets); "
            f"words and sentences of 12 words of real text; best of {FLAGS.rounds} rounds of "
            f"{FLAGS.seconds:g} s a cell; "
            f"load average before the run {load:.1f}.\n\n"
            + table(rows) + "\n")
    print("\n" + text)
    if FLAGS.output:
        with open(FLAGS.output, "w") as f:
            f.write(text)


if __name__ == "__main__":
    app.run(main)
