"""Shared test data: real text, a WordPiece vocabulary learned from it, and
adversarial words."""

import collections
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras_hub  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

from tf_dynemb import sample_text  # noqa: E402

# Property tests: fixed examples on CI; `pytest --hypothesis-profile=long` explores.
_PROFILE = dict(deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("ci", max_examples=200, derandomize=True, **_PROFILE)
settings.register_profile("long", max_examples=2000, **_PROFILE)
settings.load_profile("ci")

ADVERSARIAL_WORDS = [
    b"", b"a", b"the", b"caf\xc3\xa9", "東京".encode(), "\U0001f642".encode(),
    b"\xff\xfe", b"\xc3", b"a\x00b", b"\x00", b"##", b"##a", b"#", b" ", b"a b",
    b"x" * 99, b"x" * 100, b"x" * 101, b"\xe6\x9d\xb1" * 40, b"q" * 10000,
    b"z" * (1 << 20), b"UPPER", "naïve".encode(), b"\t\n",
]


@pytest.fixture(scope="session")
def corpus_words():
    return sample_text.words(sample_text.docstrings(("json", "csv", "string", "textwrap",
                                                     "argparse", "logging", "pathlib")))


@pytest.fixture(scope="session")
def real_vocab(corpus_words):
    """(words, pieces) learned from real text: the 300 most frequent words and a
    WordPiece vocabulary from keras_hub."""
    counts = collections.Counter(corpus_words)
    words = [w for w, _ in counts.most_common(300)]
    texts = tf.data.Dataset.from_tensor_slices([" ".join(corpus_words)])
    pieces = keras_hub.tokenizers.compute_word_piece_vocabulary(
        texts, vocabulary_size=2000, lowercase=True, reserved_tokens=["[UNK]"]
    )
    return words, pieces


def random_table(rows, dim, seed, dtype=tf.float32):
    rng = np.random.default_rng(seed)
    return tf.constant(rng.normal(size=(rows, dim)).astype(np.float32), dtype=dtype)


def stock_reference(words=(), pieces=(), num_oov_buckets=0, suffix_indicator="##",
                    max_bytes_per_word=100, unknown_token=None):
    """The stock-op oracle built from the vocabulary lists themselves (build_model's
    defaults), never from a model buffer: an independent second computation."""
    import tf_dynemb

    return tf_dynemb.ReferenceLookup(tf_dynemb.VocabularyConfig(
        tuple(words), tuple(pieces), num_oov_buckets, suffix_indicator, max_bytes_per_word,
        unknown_token))
