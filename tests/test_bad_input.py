"""Bad input gets a clear error that says what was received; never a crash."""

import numpy as np
import pytest
import tensorflow as tf

import tf_dynemb
from tf_dynemb._loader import ops as raw_ops
from conftest import random_table


@pytest.fixture(scope="module")
def model():
    return tf_dynemb.build_model(["the", "cat"], ["un", "##aff", "##able", "[UNK]"], 3,
                                 unknown_token="[UNK]")


def test_table_of_wrong_row_count(model):
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"`table` has 8 rows, but the model needs V = 2 words \+ 4 "
                             r"pieces \+ 3 buckets = 9 rows"):
        tf_dynemb.lookup(["the"], random_table(8, 4, 0), model)


def test_table_of_wrong_dtype_and_rank(model):
    with pytest.raises(TypeError, match="Received: dtype=float64"):
        tf_dynemb.lookup(["the"], tf.zeros([9, 4], tf.float64), model)
    with pytest.raises(ValueError, match=r"Received: shape=\(9, 4, 1\)"):
        tf_dynemb.lookup(["the"], tf.zeros([9, 4, 1]), model)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"must be 2-D \[V, D\]. Received shape \[9\]"):
        raw_ops.tf_dynemb_lookup(words=["the"], table=tf.zeros([9]), model=model)


def test_wrong_words_and_model_types(model):
    with pytest.raises(TypeError, match="Received: dtype=int32"):
        tf_dynemb.lookup(tf.constant([1, 2]), random_table(9, 4, 0), model)
    with pytest.raises(TypeError, match="Received: dtype=float32"):
        tf_dynemb.lookup(["the"], random_table(9, 4, 0), tf.zeros([3]))
    with pytest.raises(ValueError, match="combiner='max'"):
        tf_dynemb.lookup(["the"], random_table(9, 4, 0), model, combiner="max")


def test_truncated_models(model):
    table = random_table(9, 4, 0)
    buf = model.numpy()
    for n in list(range(0, 200, 7)) + list(range(len(buf) - 40, len(buf))):
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"Invalid model: .*received"):
            tf_dynemb.lookup(["the", "unaffable"], table, tf.constant(buf[:n]))


def test_thousands_of_random_mutations(model):
    table = random_table(9, 4, 0)
    buf = model.numpy()
    rng = np.random.default_rng(0)
    words = tf.constant(["the", "unaffable", "zebra", ""])
    for _ in range(3000):
        damaged = buf.copy()
        for at in rng.integers(0, len(buf), rng.integers(1, 4)):
            damaged[at] ^= rng.integers(1, 256)
        with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid model"):
            tf_dynemb.lookup(words, table, tf.constant(damaged))
        with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid model"):
            tf_dynemb.segment(words, tf.constant(damaged))


def test_random_bytes_are_not_a_model():
    rng = np.random.default_rng(1)
    for size in (0, 1, 64, 144, 1000):
        junk = tf.constant(rng.integers(0, 256, size, dtype=np.uint8))
        with pytest.raises(tf.errors.InvalidArgumentError, match=f"received {size} bytes"):
            tf_dynemb.lookup(["a"], random_table(1, 2, 0), junk)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(words=["a", "a"]), "repeated word: 'a'"),
        (dict(words=[""]), r"words\[0\]=''"),
        (dict(pieces=["x\x00y"]), r"pieces\[0\]='x\\x00y'"),
        (dict(pieces=["p", "p"]), "repeated piece: 'p'"),
        (dict(pieces=["p"], unknown_token="q"), "unknown_token='q'"),
        (dict(suffix_indicator=""), "suffix_indicator=''"),
    ],
)
def test_build_model_errors(kwargs, message):
    # Eagerly a ValueError with the builder's message alone; in a graph the
    # op fails when it runs.
    with pytest.raises(ValueError, match=message) as raised:
        tf_dynemb.build_model(**kwargs)
    assert "function_node" not in str(raised.value) and "[Op:" not in str(raised.value)
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        tf.function(lambda: tf_dynemb.build_model(**kwargs))()


def test_build_model_argument_errors():
    with pytest.raises(ValueError, match="num_oov_buckets=-1"):
        tf_dynemb.build_model(num_oov_buckets=-1)
    with pytest.raises(ValueError, match="max_bytes_per_word=0"):
        tf_dynemb.build_model(max_bytes_per_word=0)
    with pytest.raises(TypeError, match="not one string"):
        tf_dynemb.build_model(words="abc")


def test_huge_and_invalid_strings_are_embedded(model):
    table = random_table(9, 4, 0)
    words = tf.constant([b"\xff" * (1 << 22), b"\xc3", b"a\x00b", b""])
    emb, kind = tf_dynemb.lookup(words, table, model, return_kind=True)
    assert kind.numpy().tolist() == [tf_dynemb.BUCKET] * 3 + [tf_dynemb.PAD]
    assert np.all(np.isfinite(emb.numpy()))
