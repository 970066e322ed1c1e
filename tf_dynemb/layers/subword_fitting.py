"""Subword rows fitted to whole-word vectors, so that a word never seen in
training lands near its relatives without training (as Mimick and fastText
make vectors of unseen words from the vectors of known ones).

Each vocabulary word w has subword rows S(w): its WordPiece pieces and its
hashed character n-grams (docs/design.md, "Rows of a word"). Pooled as the
layer's combiner pools them (for `"mean"`, their mean), they make the word's
*subword vector*. `fit_subword_rows` chooses the subword rows X that make the
subword vectors of all vocabulary words approximate their word rows W:

    min_X ||A X - W||^2 + l2 ||X||^2

with A[w, s] the combiner's weight of row s among the rows of S(w) (1/|S(w)|
for `"mean"`), solved by conjugate gradients (each of the D columns its own
system) on TF's sparse (CSR) matrix products.
"""

import dataclasses
import math

import numpy as np
import tensorflow as tf

from tf_dynemb import contract
from tf_dynemb.ops import build_model, segment
from tf_dynemb.tables import sharded_lookup

MAX_ITERATIONS = 10_000


@dataclasses.dataclass(frozen=True)
class SubwordFitReport:
    """What `fit_subword_rows` did.

    `residual_before` and `residual_after` are relative: ||A X - W|| / ||W||
    (Frobenius norms) over the fitted words, with the subword rows as they
    were and as written.
    """

    words_fitted: int  # vocabulary words with subword rows
    words_without_subwords: int  # e.g. longer than max_bytes_per_word: not fitted
    rows_written: int  # distinct piece and n-gram rows of the fitted words
    iterations: int
    residual_before: float
    residual_after: float


def _check_arguments(iterations, l2, batch_size):
    if isinstance(iterations, bool) or not isinstance(iterations, int) or \
            not 1 <= iterations <= MAX_ITERATIONS:
        raise ValueError(f"`iterations` must be an int in [1, {MAX_ITERATIONS}]. "
                         f"Received: iterations={iterations!r}")
    if isinstance(l2, bool) or not isinstance(l2, (int, float)) or \
            not math.isfinite(l2) or l2 < 0:
        raise ValueError(f"`l2` must be a finite number >= 0. Received: l2={l2!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"`batch_size` must be an int >= 1. Received: batch_size={batch_size!r}")


def _check_layer(layer):
    if not layer.built:
        raise ValueError(f"Layer '{layer.name}' is not built: build it (or load its "
                         "vectors) before fitting its subword rows.")
    if sharded_lookup.is_sharded(layer.embeddings):
        raise ValueError(f"Layer '{layer.name}' has a sharded table; fitting subword rows "
                         "needs the whole table in one variable. Fit the layer before "
                         "placing it under a ParameterServerStrategy.")
    if layer.embeddings.dtype != "float32":
        raise TypeError(f"Fitting subword rows needs a float32 table. Received: a "
                        f"{layer.embeddings.dtype} table in layer '{layer.name}'.")


def _subword_matrix(layer, batch_size):
    """(A as a SparseTensor [fitted words, touched rows], the fitted words'
    ids, the touched rows' ids). Fitted words are those with subword rows."""
    config = layer.vocabulary_config
    num_words = len(config.words)
    if not num_words:
        raise ValueError(f"Layer '{layer.name}' has no vocabulary words to fit subwords to.")
    # The subword rows of a vocabulary word are in the lookup only when words
    # are composed; otherwise they come from the same model, composing.
    model = layer.vocabulary_model if config.compose_words else build_model(
        **dict(dataclasses.asdict(config), compose_words=True))
    first_bucket = num_words + len(config.pieces)
    row_ids, row_word = [], []
    for start in range(0, num_words, batch_size):
        words = tf.constant(config.words[start:start + batch_size], tf.string)
        ids, _, word, _ = segment(words, model, layer.combiner)
        # A vocabulary word's rows: its own row, then S(w) (never a bucket row).
        subword = (ids >= num_words) & ((ids < first_bucket) |
                                        (ids >= first_bucket + config.num_oov_buckets))
        row_ids.append(tf.boolean_mask(ids, subword))
        row_word.append(tf.cast(tf.boolean_mask(word, subword), tf.int64) + start)
    row_ids, row_word = tf.concat(row_ids, 0), tf.concat(row_word, 0)
    counts = tf.math.bincount(row_word, minlength=num_words, dtype=tf.int64)
    weights = tf.gather(contract.row_weights(counts, layer.combiner), row_word)
    fitted = tf.where(counts > 0)[:, 0]
    row_word = tf.gather(tf.cumsum(tf.cast(counts > 0, tf.int64)) - 1, row_word)
    touched, column = tf.unique(row_ids, out_idx=tf.int64)
    # A row that occurs twice in S(w) (a repeated n-gram, a hash collision)
    # is one entry with the summed weight.
    num_columns = tf.size(touched, out_type=tf.int64)
    entry, slot = tf.unique(row_word * num_columns + column, out_idx=tf.int64)
    values = tf.math.unsorted_segment_sum(weights, slot, tf.size(entry))
    indices = tf.stack([entry // num_columns, entry % num_columns], axis=1)
    shape = tf.stack([tf.size(fitted, out_type=tf.int64), num_columns])
    a = tf.sparse.reorder(tf.sparse.SparseTensor(indices, values, shape))
    return a, fitted, touched


class _CsrMatrix:
    """A SparseTensor and its transpose as CSR matrices: their products with
    dense matrices are several times faster than `sparse_dense_matmul`'s."""

    def __init__(self, sparse):
        self._a = _to_csr(sparse)
        self._a_t = _to_csr(tf.sparse.reorder(tf.sparse.transpose(sparse)))

    def matmul(self, dense):
        return tf.raw_ops.SparseMatrixMatMul(a=self._a, b=dense)

    def transpose_matmul(self, dense):
        return tf.raw_ops.SparseMatrixMatMul(a=self._a_t, b=dense)


def _to_csr(sparse):
    return tf.raw_ops.SparseTensorToCSRSparseMatrix(
        indices=sparse.indices, values=sparse.values, dense_shape=sparse.dense_shape)


def _column_dots(x, y):
    return tf.reduce_sum(x * y, axis=0)


def _solve(a, w, l2, iterations):
    """X minimising ||A X - W||^2 + l2 ||X||^2: conjugate gradients on the
    normal equations (CGLS) from X = 0, each column its own system.

    Every iterate is X = A^T Y, step P = A^T PI: CGLS keeps Y, PI and
    Q = A P, vectors of the words (a few times fewer than the rows), and
    forms a vector of the rows only as a product's output.
    """
    y = tf.zeros_like(w)
    r = w  # W - A X
    sigma = w  # r - l2 Y: the gradient A^T r - l2 X is A^T sigma
    gradient = a.transpose_matmul(sigma)
    gamma = _column_dots(gradient, gradient)
    pi, q = sigma, a.matmul(gradient)
    for _ in range(iterations):
        # ||P||^2 = PI . A A^T PI = PI . Q
        alpha = tf.math.divide_no_nan(gamma, _column_dots(q, q) + l2 * _column_dots(pi, q))
        y += alpha * pi
        r -= alpha * q
        sigma = r - l2 * y
        gradient = a.transpose_matmul(sigma)
        new_gamma = _column_dots(gradient, gradient)
        beta = tf.math.divide_no_nan(new_gamma, gamma)
        pi = sigma + beta * pi
        q = a.matmul(gradient) + beta * q
        gamma = new_gamma
    return a.transpose_matmul(y)


def _relative_residual(a, x, w):
    return float(tf.norm(a.matmul(x) - w) / tf.maximum(tf.norm(w), np.finfo(np.float32).tiny))


def fit_subword_rows(layer, iterations=50, l2=1e-3, batch_size=4096):
    """Fits a built `DynamicEmbedding`'s piece and n-gram rows to its word rows.

    Solves min_X ||A X - W||^2 + l2 ||X||^2 (see the module docstring): X are
    the piece and n-gram rows of the vocabulary words, W their word rows, A
    pools each word's subword rows with the layer's combiner. Only the rows of
    X are written; word rows, OOV bucket rows and subword rows no vocabulary
    word has keep their values. Afterwards a vocabulary word's subword vector
    approximates its word vector, and an unseen word pools rows fitted to the
    words that share its pieces and n-grams. Piece rows that hold pretrained
    vectors (`from_keras_hub`) are overwritten too: fit only a table whose
    word rows hold the vectors to keep.

    Args:
        layer: a built `DynamicEmbedding` with a float32 table that is not
            sharded, whose word rows hold the vectors to fit to (from
            `from_vectors`, or trained).
        iterations: int in [1, 10000], conjugate-gradient steps, each two
            products of A (about 30 entries a word) with a [*, D] matrix.
            The residual falls fast in the first 20 or so; later steps fit
            what is particular to each word, which unseen words do not
            share. Defaults to `50`.
        l2: float >= 0, the weight of ||X||^2, which keeps rows that few
            words share small. Compare it with the squared norm of a word's
            row of A: 1/|S(w)| (about 0.04) for `"mean"`, 1 for `"sqrtn"`,
            |S(w)| for `"sum"`. Defaults to `1e-3`.
        batch_size: int >= 1, vocabulary words segmented at a time (it bounds
            the memory of the segmentation only). Defaults to `4096`.

    Returns:
        A `SubwordFitReport`.
    """
    _check_arguments(iterations, l2, batch_size)
    _check_layer(layer)
    sparse_a, fitted, touched = _subword_matrix(layer, batch_size)
    if touched.shape[0] == 0:
        raise ValueError(f"No vocabulary word of layer '{layer.name}' has pieces or "
                         "n-grams: there are no subword rows to fit. Give the layer "
                         "`wordpiece_vocabulary` or `num_ngram_buckets` > 0.")
    a = _CsrMatrix(sparse_a)
    table = layer.embeddings.value
    w = tf.gather(table, fitted)
    residual_before = _relative_residual(a, tf.gather(table, touched), w)
    x = _solve(a, w, float(l2), iterations)
    table.scatter_update(tf.IndexedSlices(x, touched))
    return SubwordFitReport(
        words_fitted=int(tf.size(fitted)),
        words_without_subwords=len(layer.get_vocabulary()) - int(tf.size(fitted)),
        rows_written=int(touched.shape[0]), iterations=iterations,
        residual_before=residual_before, residual_after=_relative_residual(a, x, w))
