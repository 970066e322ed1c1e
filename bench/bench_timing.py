"""Timing helpers shared by the lookup benchmarks.

per_call  one tf.function call per batch from Python, as model.predict and
          serving do (call overhead included)
in_loop   the calls inside one graph loop, so Python dispatch is not measured
"""

import time

import tensorflow as tf


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
