"""The GPU kernels equal the CPU kernels. Skipped without a GPU, or when the
installed library was built without CUDA (`make gpu` builds it with)."""

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.python.framework import kernels

import tf_dynemb
from conftest import ADVERSARIAL_WORDS, random_table, stock_reference


def _gpu_kernels_registered():
    registered = kernels.get_registered_kernels_for_op("TfDynembLookup").kernel
    return any(k.device_type == "GPU" for k in registered)


pytestmark = pytest.mark.skipif(
    not tf.config.list_physical_devices("GPU") or not _gpu_kernels_registered(),
    reason="needs a GPU and an op library built by `make gpu`",
)


@pytest.fixture(scope="module")
def setup(real_vocab):
    words, pieces = real_vocab
    model = tf_dynemb.build_model(words, pieces, num_oov_buckets=13)
    table = random_table(len(words) + len(pieces) + 13, 64, seed=11)
    return model, table


@pytest.mark.parametrize("dtype", [tf.float32, tf.float16, tf.bfloat16])
@pytest.mark.parametrize("combiner", ["mean", "sum", "sqrtn"])
def test_gpu_equals_cpu(setup, corpus_words, dtype, combiner):
    model, table = setup
    table = tf.cast(table, dtype)
    rng = np.random.default_rng(12)
    batch = tf.constant([w.encode() for w in rng.choice(corpus_words, 2000)] + ADVERSARIAL_WORDS)
    with tf.device("/CPU:0"):
        want, want_kind = tf_dynemb.lookup(batch, table, model, combiner, return_kind=True)
    with tf.device("/GPU:0"):
        gpu_model = tf.identity(model)
        got, got_kind = tf_dynemb.lookup(batch, tf.identity(table), gpu_model, combiner,
                                         return_kind=True)
    assert "GPU" in got.device
    np.testing.assert_array_equal(got_kind.numpy(), want_kind.numpy())
    np.testing.assert_allclose(tf.cast(got, tf.float32), tf.cast(want, tf.float32), rtol=1e-6,
                               atol=1e-6)


def test_gpu_gradient_equals_reference(setup, real_vocab, corpus_words):
    model, table = setup
    rng = np.random.default_rng(13)
    batch = tf.constant([[w.encode() for w in rng.choice(corpus_words, 5)] + [b"", b"Zqx"]
                         for _ in range(40)])
    with tf.device("/GPU:0"):
        variable = tf.Variable(table)
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf_dynemb.lookup(batch, variable, model) ** 2)
        got = tape.gradient(loss, variable)
    with tf.GradientTape() as tape:
        ref_var = tf.Variable(table)
        loss = tf.reduce_sum(stock_reference(*real_vocab, 13)(batch, ref_var) ** 2)
    want = tape.gradient(loss, ref_var)
    assert isinstance(got, tf.IndexedSlices)
    np.testing.assert_allclose(tf.convert_to_tensor(got), tf.convert_to_tensor(want),
                               rtol=1e-5, atol=1e-6)


def test_gpu_segment_pads_with_zero_weights(setup):
    model, _ = setup
    with tf.device("/GPU:0"):
        ids, weights, word, kind = tf_dynemb.segment(tf.constant(["the", "", "zzzz"]), model)
    # One slot per byte of a word up to max_bytes_per_word: 3 + 0 + 4.
    assert ids.shape == [7]
    assert np.count_nonzero(weights.numpy()) == 2  # "the" and the bucket of "zzzz"


def test_gpu_rejects_damaged_model(setup):
    model, table = setup
    damaged = model.numpy()
    damaged[100] ^= 0xFF
    with tf.device("/GPU:0"):
        with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid model"):
            tf_dynemb.lookup(["the"], tf.identity(table), tf.identity(tf.constant(damaged)))
