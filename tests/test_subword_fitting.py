"""Subword rows fitted to whole-word vectors (`fit_subword_rows`).

The "pretrained" vectors have the structure real ones have between relatives,
planted where the test can see it: a word's vector is the sum of a random
direction for its first four letters, one for its last three and half of one
of its own. The words are real English words (`tf_dynemb.sample_text`); a
seeded tenth of them is held out as unseen words.
"""

import numpy as np
import pytest
import tensorflow as tf

import tf_dynemb
from tf_dynemb import sample_text
from tf_dynemb.layers import DynamicEmbedding
from tf_dynemb.layers.subword_fitting import fit_subword_rows
from tf_dynemb.vocabulary import DEFAULT_WORDPIECE

DIM = 64
NEIGHBOURS = 5


def related(a, b):
    return a[:4] == b[:4] or a[-3:] == b[-3:]


def planted_vectors(words, seed=0):
    rng = np.random.default_rng(seed)
    directions = {}

    def direction(key):
        if key not in directions:
            directions[key] = rng.normal(size=DIM)
        return directions[key]

    return np.stack([direction("<" + w[:4]) + direction(w[-3:] + ">") + 0.5 * direction(w)
                     for w in words]).astype(np.float32)


@pytest.fixture(scope="module")
def split_words():
    words = sorted({w for w in sample_text.words() if len(w) >= 3})
    order = np.random.default_rng(1).permutation(len(words))
    unseen = [words[i] for i in order[:len(words) // 10]]
    return [words[i] for i in order[len(words) // 10:]], unseen


def pretrained_layer(tmp_path, vocabulary, **kwargs):
    np.save(tmp_path / "vectors.npy", planted_vectors(vocabulary))
    return DynamicEmbedding.from_vectors(str(tmp_path / "vectors.npy"), vocabulary=vocabulary,
                                         wordpiece_vocabulary=DEFAULT_WORDPIECE, **kwargs)


def table_of(layer):
    return layer.embeddings.numpy().copy()


def neighbour_hit_rate(layer, vocabulary, unseen):
    """How often the nearest vocabulary words (cosine, word rows) of each
    unseen word are related to it."""
    words = table_of(layer)[:len(vocabulary)]
    words /= np.linalg.norm(words, axis=1, keepdims=True)
    queries = layer(tf.constant(unseen)).numpy()
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    nearest = np.argsort(-queries @ words.T, axis=1)[:, :NEIGHBOURS]
    return np.mean([[related(w, vocabulary[j]) for j in row] for w, row in zip(unseen, nearest)])


def test_fit_drops_residual_and_writes_only_subword_rows(tmp_path, split_words):
    vocabulary, _ = split_words
    layer = pretrained_layer(tmp_path, vocabulary, num_oov_buckets=100, num_ngram_buckets=20000,
                             compose_words=True)
    before = table_of(layer)
    report = layer.fit_subwords()
    after = table_of(layer)

    assert report.words_fitted == len(vocabulary) and report.words_without_subwords == 0
    assert report.residual_before > 0.9, report
    assert report.residual_after < 0.2, report
    num_words, num_pieces = len(vocabulary), len(layer.get_wordpiece_vocabulary())
    np.testing.assert_array_equal(after[:num_words], before[:num_words])  # word rows
    buckets = slice(num_words + num_pieces, num_words + num_pieces + 100)
    np.testing.assert_array_equal(after[buckets], before[buckets])  # OOV bucket rows
    changed = np.flatnonzero(np.any(after != before, axis=1))
    assert len(changed) == report.rows_written
    # Rows no vocabulary word has keep their values.
    rows, _, _, _ = tf_dynemb.segment(tf.constant(vocabulary), layer.vocabulary_model, "mean")
    assert set(changed) == set(rows.numpy()) - set(range(num_words))

    # A composed vocabulary word now looks up close to its pretrained vector:
    # (W + m S) / (m + 1) with S, its subword vector, close to W.
    words = before[:num_words]
    error = np.linalg.norm(layer(tf.constant(vocabulary)).numpy() - words) / np.linalg.norm(words)
    assert error <= report.residual_after + 1e-4


def test_unseen_words_land_near_their_relatives(tmp_path, split_words):
    vocabulary, unseen = split_words
    layer = pretrained_layer(tmp_path, vocabulary)
    chance = np.mean([np.mean([related(w, v) for v in vocabulary]) for w in unseen])
    before = neighbour_hit_rate(layer, vocabulary, unseen)
    layer.fit_subwords()
    after = neighbour_hit_rate(layer, vocabulary, unseen)
    # Seen here: chance 0.009, 0.004 before fitting, 0.76 after.
    assert chance < 0.03 and before < 0.1, (chance, before)
    assert after > 0.6 and after > 30 * chance, (after, chance)


@pytest.mark.parametrize("combiner", ["mean", "sum", "sqrtn"])
def test_fit_is_the_least_squares_solution(tmp_path, split_words, combiner):
    # The oracle: A built densely from the rows `segment` lists (a repeated
    # row adds its weight), the regularised normal equations solved exactly.
    vocabulary, _ = split_words
    vocabulary = vocabulary[:40]
    layer = pretrained_layer(tmp_path, vocabulary, combiner=combiner, num_oov_buckets=5,
                             num_ngram_buckets=300, compose_words=True)
    table = table_of(layer)
    rows, _, word, _ = tf_dynemb.segment(tf.constant(vocabulary), layer.vocabulary_model,
                                         combiner)
    rows, word = rows.numpy(), word.numpy()
    subword = rows >= len(vocabulary)
    columns = np.unique(rows[subword])
    a = np.zeros([len(vocabulary), len(columns)])
    for w in range(len(vocabulary)):
        mine = rows[subword & (word == w)]
        weight = {"mean": 1 / len(mine), "sqrtn": len(mine) ** -0.5, "sum": 1.0}[combiner]
        np.add.at(a[w], np.searchsorted(columns, mine), weight)
    l2 = 1e-2 * np.mean(np.sum(a * a, axis=1))
    words = table[:len(vocabulary)].astype(np.float64)
    expected = np.linalg.solve(a.T @ a + l2 * np.eye(len(columns)), a.T @ words)

    report = fit_subword_rows(layer, iterations=300, l2=float(l2))
    np.testing.assert_allclose(table_of(layer)[columns], expected, rtol=0, atol=1e-4)
    residual = np.linalg.norm(a @ expected - words) / np.linalg.norm(words)
    assert report.residual_after == pytest.approx(residual, rel=1e-3, abs=1e-4)


@pytest.mark.parametrize("combiner", ["sum", "sqrtn"])
def test_other_combiners(tmp_path, split_words, combiner):
    vocabulary, _ = split_words
    layer = pretrained_layer(tmp_path, vocabulary[:300], combiner=combiner,
                             num_ngram_buckets=5000)
    report = fit_subword_rows(layer)
    assert report.residual_after < 0.2 * report.residual_before, report


def test_uncomposed_layer_fits_the_rows_of_its_unseen_words(tmp_path, split_words):
    vocabulary, unseen = split_words
    layer = pretrained_layer(tmp_path, vocabulary, compose_words=False)
    before = table_of(layer)
    report = layer.fit_subwords(iterations=30)
    assert report.residual_after < 0.25, report
    np.testing.assert_array_equal(table_of(layer)[:len(vocabulary)],
                                  before[:len(vocabulary)])
    assert neighbour_hit_rate(layer, vocabulary, unseen) > 0.6


def test_batches_of_words_do_not_change_the_fit(tmp_path, split_words):
    vocabulary, _ = split_words
    one = pretrained_layer(tmp_path, vocabulary[:200], num_ngram_buckets=3000)
    many = pretrained_layer(tmp_path, vocabulary[:200], num_ngram_buckets=3000)
    many.assign_rows(0, table_of(one))
    one.fit_subwords(iterations=10)
    many.fit_subwords(iterations=10, batch_size=7)
    np.testing.assert_allclose(table_of(many), table_of(one), rtol=1e-4, atol=1e-6)


def test_words_without_subword_rows_are_not_fitted(tmp_path):
    # A word longer than max_bytes_per_word has no pieces and no n-grams.
    vocabulary = ["walking", "talking", "x" * 30]
    layer = pretrained_layer(tmp_path, vocabulary, max_bytes_per_word=20,
                             num_ngram_buckets=1000)
    report = layer.fit_subwords()
    assert (report.words_fitted, report.words_without_subwords) == (2, 1)


@pytest.mark.parametrize("kwargs, message", [
    (dict(iterations=0), "iterations=0"),
    (dict(iterations=2.5), "iterations=2.5"),
    (dict(l2=-1.0), "l2=-1.0"),
    (dict(l2=float("nan")), "l2=nan"),
    (dict(batch_size=0), "batch_size=0"),
])
def test_bad_arguments_are_refused(tmp_path, kwargs, message):
    layer = pretrained_layer(tmp_path, ["walking"], num_ngram_buckets=100)
    with pytest.raises(ValueError, match=message):
        layer.fit_subwords(**kwargs)


def test_layers_it_cannot_fit_are_refused(tmp_path):
    with pytest.raises(ValueError, match="not built"):
        DynamicEmbedding(4, vocabulary=["cat"]).fit_subwords()
    half = DynamicEmbedding(4, vocabulary=["cat"], num_ngram_buckets=10, dtype="float16")
    half.build()
    with pytest.raises(TypeError, match="float32 table. Received: a float16"):
        half.fit_subwords()
    no_subwords = DynamicEmbedding(4, vocabulary=["cat"], num_ngram_buckets=0)
    no_subwords.build()
    with pytest.raises(ValueError, match="no subword rows to fit"):
        no_subwords.fit_subwords()
    no_words = DynamicEmbedding(4, wordpiece_vocabulary=["cat"])
    no_words.build()
    with pytest.raises(ValueError, match="no vocabulary words"):
        no_words.fit_subwords()
