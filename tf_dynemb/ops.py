"""Python wrappers of the fused ops, and the sparse gradient of the lookup."""

import re

import tensorflow as tf
from tensorflow.python.eager import record
from tensorflow.python.ops import resource_variable_ops

from tf_dynemb._loader import library_path, ops as _ops
from tf_dynemb.arguments import check_bool_argument, check_int_argument
from tf_dynemb.contract import COMBINERS, check_combiner  # noqa: F401  (COMBINERS: public here)

# TensorFlow's decorations of an eager op error: "{{function_node ...}}" and
# " [Op:Name] name: ...".
_OP_ERROR_DECORATION = re.compile(r"\{\{function_node [^}]*\}\}|\s*\[Op:\w+\]( name:.*)?$")
TABLE_DTYPES = (tf.float32, tf.float16, tf.bfloat16)
MAX_NGRAM_LENGTH = 16  # characters; ops/core/model_format.h's kMaxNgramLength


def op_library_path():
    """Absolute path of the loaded op library (`.so`)."""
    return library_path()


def _as_string_vector(values, name):
    if isinstance(values, (str, bytes)):
        raise TypeError(
            f"`{name}` must be a list of strings, not one string. "
            f"Received: {name}={values!r:.80}"
        )
    t = tf.convert_to_tensor(list(values) if not tf.is_tensor(values) else values,
                             dtype=tf.string)
    return tf.reshape(t, [-1])


def build_model(
    words=(),
    pieces=(),
    num_oov_buckets=0,
    suffix_indicator="##",
    max_bytes_per_word=100,
    unknown_token=None,
    num_ngram_buckets=0,
    min_n=3,
    max_n=6,
    compose_words=False,
):
    """Builds a vocabulary model: the `uint8` buffer that `lookup` reads.

    Rows of the embedding table are laid out
    `[words | pieces | oov buckets | n-gram buckets]` (docs/design.md states
    which rows each word pools).

    Args:
        words: whole words, unique, non-empty. Word `i` is row `i`.
        pieces: a WordPiece vocabulary (a BERT `vocab.txt`'s lines), unique;
            continuation pieces start with `suffix_indicator`.
        num_oov_buckets: int >= 0, hash buckets for words that are neither
            in `words` nor splittable into `pieces`.
        suffix_indicator: marks continuation pieces. Defaults to `"##"`.
        max_bytes_per_word: int in [1, 255]; longer words are not split.
            Defaults to 100.
        unknown_token: optional piece used for unsplittable words when
            `num_oov_buckets == 0`.
        num_ngram_buckets: int >= 0, hash buckets of character n-grams
            (fastText's subwords of `"<" + word + ">"`); 0 (the default)
            means none.
        min_n, max_n: n-gram lengths in characters, `1 <= min_n <= max_n
            <= 16`. Default 3 and 6.
        compose_words: whether a listed word's vector also pools its
            subword rows (pieces and n-grams). Defaults to False.

    Returns:
        The vocabulary model: a 1-D `uint8` `tf.Tensor`.

    Raises:
        ValueError: for vocabularies or arguments the builder rejects (run
            eagerly; inside a graph the op fails when it runs).
    """
    num_oov_buckets = check_int_argument("num_oov_buckets", num_oov_buckets, 0)
    max_bytes_per_word = check_int_argument("max_bytes_per_word", max_bytes_per_word, 1)
    num_ngram_buckets = check_int_argument("num_ngram_buckets", num_ngram_buckets, 0)
    min_n = check_int_argument("min_n", min_n, 1, MAX_NGRAM_LENGTH)
    max_n = check_int_argument("max_n", max_n, min_n, MAX_NGRAM_LENGTH)
    compose_words = check_bool_argument("compose_words", compose_words)
    if unknown_token == "":
        raise ValueError("`unknown_token` must be None or a piece, not ''.")
    arguments = dict(
        words=_as_string_vector(words, "words"),
        pieces=_as_string_vector(pieces, "pieces"),
        num_oov_buckets=num_oov_buckets,
        suffix_indicator=suffix_indicator,
        max_bytes_per_word=max_bytes_per_word,
        unknown_token=unknown_token or "",
        num_ngram_buckets=num_ngram_buckets,
        min_n=min_n,
        max_n=max_n,
        compose_words=compose_words,
    )
    if not tf.executing_eagerly():
        return _ops.tf_dynemb_build_model(**arguments)
    try:
        return _ops.tf_dynemb_build_model(**arguments)
    except tf.errors.InvalidArgumentError as e:
        raise ValueError(op_error_message(e)) from None


def op_error_message(error):
    """A kernel's own message, without TensorFlow's op-name decorations."""
    return _OP_ERROR_DECORATION.sub("", error.message).strip()


def resource_variable(table):
    """The resource variable behind `table` (a tf.Variable, or a Keras 3
    variable holding one), or None. Inside a tf.distribute replica, a
    mirrored variable is returned too: its handle is this replica's copy."""
    value = getattr(table, "value", None)  # keras.Variable keeps it here
    for candidate in (table, value):
        if isinstance(candidate, resource_variable_ops.BaseResourceVariable):
            return candidate
        if (isinstance(candidate, tf.distribute.DistributedValues)
                and isinstance(candidate, tf.Variable)
                and not tf.distribute.in_cross_replica_context()):
            return candidate
    return None


def check_lookup_args(words, table, vocabulary_model, combiner):
    """Validates `lookup`'s arguments; returns (words, table,
    vocabulary_model) with the table a tensor, or the resource variable
    itself when it is one."""
    check_combiner(combiner)
    if not isinstance(words, tf.RaggedTensor):
        words = tf.convert_to_tensor(words)
    if words.dtype != tf.string:
        raise TypeError(
            f"`words` must be a string tensor. Received: dtype={words.dtype.name}"
        )
    variable = resource_variable(table)
    table = variable if variable is not None else tf.convert_to_tensor(table)
    if table.dtype not in TABLE_DTYPES:
        raise TypeError(
            "`table` must be float32, float16 or bfloat16. "
            f"Received: dtype={table.dtype.name}"
        )
    if table.shape.rank is not None and table.shape.rank != 2:
        raise ValueError(
            f"`table` must be 2-D [V, D]. Received: shape={table.shape}"
        )
    vocabulary_model = tf.convert_to_tensor(vocabulary_model)
    if vocabulary_model.dtype != tf.uint8 or (vocabulary_model.shape.rank not in (None, 1)):
        raise TypeError(
            "`vocabulary_model` must be the 1-D uint8 tensor made by build_model. "
            f"Received: dtype={vocabulary_model.dtype.name}, shape={vocabulary_model.shape}"
        )
    return words, table, vocabulary_model


def lookup(words, table, vocabulary_model, combiner="mean", return_kind=False):
    """Embeds raw words with the fused op.

    Args:
        words: string `tf.Tensor` of any shape `[...]`, or a `tf.RaggedTensor`.
        table: `[V, D]` float32/float16/bfloat16 tensor or variable, with
            `V = len(words) + len(pieces) + num_oov_buckets + num_ngram_buckets`
            of the model. A variable is read in place (no copy, even after
            sparse updates).
        vocabulary_model: the tensor returned by `build_model`.
        combiner: `"mean"`, `"sum"` or `"sqrtn"`: how a word's rows (pieces,
            n-grams, a composed word's own row) are pooled. Defaults to `"mean"`.
        return_kind: also return the per-word kind (`tf_dynemb.PAD`...).

    Returns:
        Embeddings `[..., D]` (ragged in, ragged out), or `(embeddings, kind)`.
        The gradient with respect to `table` is a `tf.IndexedSlices`. Under a
        gradient tape the training op runs, which also lists the rows it
        pooled, so the gradient does not segment the words again.
    """
    words, table, vocabulary_model = check_lookup_args(words, table, vocabulary_model, combiner)
    flat = words.flat_values if isinstance(words, tf.RaggedTensor) else words
    if isinstance(table, tf.Variable):
        # Tell the tape the variable was read, as its own sparse_read does.
        resource_variable_ops.variable_accessed(table)
        op = (_ops.tf_dynemb_resource_lookup_with_rows
              if record.should_record_backprop([table.handle])
              else _ops.tf_dynemb_resource_lookup)
        embeddings, kind = op(
            words=flat, table=table.handle, model=vocabulary_model, dtype=table.dtype,
            combiner=combiner
        )[:2]
    else:
        op = (_ops.tf_dynemb_lookup_with_rows if record.should_record_backprop([table])
              else _ops.tf_dynemb_lookup)
        embeddings, kind = op(words=flat, table=table, model=vocabulary_model,
                              combiner=combiner)[:2]
    if isinstance(words, tf.RaggedTensor):
        embeddings, kind = words.with_flat_values(embeddings), words.with_flat_values(kind)
    return (embeddings, kind) if return_kind else embeddings


def segment(words, vocabulary_model, combiner="mean"):
    """The rows behind a lookup: `(row_ids, row_weights, row_word, kind)`.

    Row `row_ids[r]` enters the vector of flattened word `row_word[r]` with
    weight `row_weights[r]`.
    """
    return _ops.tf_dynemb_segment(words=words, model=vocabulary_model, combiner=combiner)


def _rows_gradient(row_ids, row_weights, row_word, grad_embeddings, table_shape):
    """d(table) as IndexedSlices: row `row_ids[r]` gets `row_weights[r]` times
    d(vector of word `row_word[r]`). Weight-0 slots (the padding of the GPU
    kernels' row lists) are dropped, so they never count as touched rows."""
    keep = tf.where(tf.not_equal(row_weights, 0.0))[:, 0]
    row_ids, row_weights, row_word = (
        tf.gather(row_ids, keep), tf.gather(row_weights, keep), tf.gather(row_word, keep))
    flat_grad = tf.reshape(
        grad_embeddings, tf.stack([tf.constant(-1, tf.int64), table_shape[1]])
    )
    values = tf.gather(flat_grad, row_word) * tf.cast(
        row_weights[:, tf.newaxis], flat_grad.dtype
    )
    return tf.IndexedSlices(values, row_ids, dense_shape=table_shape)


def _resegmented_gradient(op, grad_embeddings, table_shape):
    """For the inference lookups (and SavedModels made with them): the words
    are segmented again to find their rows."""
    words, _, model = op.inputs
    row_ids, row_weights, row_word, _ = _ops.tf_dynemb_segment(
        words=words, model=model, combiner=op.get_attr("combiner")
    )
    return _rows_gradient(row_ids, row_weights, row_word, grad_embeddings, table_shape)


def _variable_shape(handle):
    return resource_variable_ops.variable_shape(handle, out_type=tf.int64)


@tf.RegisterGradient("TfDynembLookup")
def _lookup_grad(op, grad_embeddings, unused_grad_kind):
    table_shape = tf.shape(op.inputs[1], out_type=tf.int64)
    return [None, _resegmented_gradient(op, grad_embeddings, table_shape), None]


@tf.RegisterGradient("TfDynembResourceLookup")
def _resource_lookup_grad(op, grad_embeddings, unused_grad_kind):
    # As for ResourceGather: the gradient of the handle is the variable's.
    table_shape = _variable_shape(op.inputs[1])
    return [None, _resegmented_gradient(op, grad_embeddings, table_shape), None]


# The training lookups: their own outputs list the rows they pooled.
@tf.RegisterGradient("TfDynembLookupWithRows")
def _lookup_with_rows_grad(op, grad_embeddings, *unused_grads):
    table_shape = tf.shape(op.inputs[1], out_type=tf.int64)
    return [None, _rows_gradient(*op.outputs[2:], grad_embeddings, table_shape), None]


@tf.RegisterGradient("TfDynembResourceLookupWithRows")
def _resource_lookup_with_rows_grad(op, grad_embeddings, *unused_grads):
    table_shape = _variable_shape(op.inputs[1])
    return [None, _rows_gradient(*op.outputs[2:], grad_embeddings, table_shape), None]


tf.no_gradient("TfDynembSegment")
tf.no_gradient("TfDynembBuildModel")
tf.no_gradient("TfDynembDecodeModel")
