"""The string data people pass (Python lists, numpy and pandas arrays) as
`tf.string` tensors, and one-line errors for what is not strings.

`string_inputs` is the public helper; the layers convert their inputs with it,
and `batch_data` converts what `fit`/`evaluate`/`predict` receive before
Keras's data adapters, which take none of these (see `keras_compat`).
"""

import math

import numpy as np
import tensorflow as tf

WHAT_TO_PASS = "pass a list of str, a numpy or pandas array of str, or tf.constant(x) of strings"
FILL_MISSING = 'replace missing values first ("" is padding), e.g. series.fillna("")'


def string_inputs(x, owner="string_inputs"):
    """`x` as a `tf.string` tensor (ragged for ragged nested lists).

    Takes str or bytes (mixed freely; str is encoded as UTF-8), nested lists
    or tuples of them, numpy arrays of dtype `U`, `S` or `object`, pandas
    Series and DataFrames of strings, and string tensors (returned as they
    are, `keras.KerasTensor` included). Anything else raises one line that
    names `owner` and what was received: TypeError for what is not strings
    (`"expected strings, got int32"`), ValueError for a missing value (None,
    NaN) with its position.

    >>> string_inputs(["the cat", b"zebra"])
    <tf.Tensor: shape=(2,), dtype=string, numpy=array([b'the cat', b'zebra'], dtype=object)>
    """
    if isinstance(x, (str, bytes)):
        return tf.constant(x, tf.string)
    dtype = getattr(x, "dtype", None)
    if is_pandas(x):
        return _from_nested(x.to_numpy(dtype=object).tolist(), owner, _pandas_labels(x))
    if isinstance(x, np.ndarray):
        if x.dtype.kind in "US":
            return tf.constant(x, tf.string)
        if x.dtype.kind == "O":
            return _from_nested(x.tolist(), owner)
        raise TypeError(_not_strings(owner, x.dtype.name, x.shape))
    if isinstance(x, (list, tuple)):
        return _from_nested(x, owner)
    if dtype is not None and hasattr(x, "shape"):  # tf and Keras tensors, variables
        name = tf.as_dtype(dtype).name
        if name != "string":
            raise TypeError(_not_strings(owner, name, tuple(x.shape)))
        return x
    raise TypeError(f"{owner} expected strings, got {type(x).__name__}: {WHAT_TO_PASS}.")


def check_string_dtype(x, owner):
    """Raises `string_inputs`'s TypeError when `x` is a tensor or array whose
    dtype is not a string one (numbers, bools); anything else passes."""
    dtype = getattr(x, "dtype", None)
    if dtype is None or not hasattr(x, "shape"):
        return
    if isinstance(x, np.ndarray) or is_pandas(x):
        if getattr(dtype, "kind", "O") in "biufcmM":
            raise TypeError(_not_strings(owner, str(dtype), x.shape))
        return
    name = tf.as_dtype(dtype).name
    if name != "string":
        raise TypeError(_not_strings(owner, name, tuple(x.shape)))


def check_model_inputs(model, model_inputs):
    """`check_string_dtype` on each value of (value, dtype, name)
    `model_inputs` whose input takes strings; the error names the input and
    the model."""
    for value, dtype, name in model_inputs:
        if value is not None and dtype == "string":
            check_string_dtype(value, f"Input {name!r} of model {model.name!r}")


def batch_data(x, owner="The data"):
    """What `fit`/`evaluate`/`predict` receive (`x`, `y` or `sample_weight`),
    with each string array Keras cannot slice made a `tf.string` tensor and
    each nested list of numbers a numpy array. Lists of arrays, tuples of
    lists and dicts are structures of inputs, converted element by element;
    a list of str (nested or not) is one batch. Everything else is returned
    as it is."""
    if isinstance(x, dict):
        return {key: batch_data(value, f"{owner}[{key!r}]") for key, value in x.items()}
    if isinstance(x, (list, tuple)):
        one_batch = x and all(_is_scalar_or_sequence_of_scalars(e) for e in x) and not (
            isinstance(x, tuple) and any(isinstance(e, (list, tuple)) for e in x))
        if not one_batch:  # A structure of inputs; a tuple of lists is one input each.
            return type(x)(batch_data(e, f"{owner}[{i}]") for i, e in enumerate(x))
        if any(isinstance(v, (str, bytes)) for v in _leaves(x)):
            return _from_nested(x, owner)
        try:
            return np.asarray(x)
        except ValueError:
            return x  # Ragged numbers: Keras says what it takes.
    if isinstance(x, np.ndarray):
        if x.dtype.kind in "US" or (x.dtype.kind == "O" and _holds_strings(x.ravel())):
            return string_inputs(x, owner)
        return x
    if is_pandas(x) and any(getattr(d, "kind", None) == "O" for d in _pandas_dtypes(x)) and \
            _holds_strings(x.to_numpy(dtype=object).ravel()):
        return string_inputs(x, owner)
    return x


def _from_nested(values, owner, labels=None):
    shape = _check_leaves(values, (), owner, labels)
    if shape is None:
        return tf.ragged.constant(values, dtype=tf.string)
    return tf.constant(values, tf.string)


def _check_leaves(values, at, owner, labels):
    """The shape of nested lists of str/bytes, None where ragged; raises at
    the first leaf that is not a string."""
    if isinstance(values, (str, bytes)):
        return ()
    if not isinstance(values, (list, tuple)):
        position = _position(at, labels)
        if _is_missing(values):
            raise ValueError(f"{owner} expected strings, got a missing value ({values!r}) at "
                             f"{position}: {FILL_MISSING}.")
        raise TypeError(f"{owner} expected strings, got {type(values).__name__} "
                        f"({values!r:.40}) at {position}: pass only str or bytes, e.g. "
                        "[str(v) for v in x].")
    shapes = [_check_leaves(v, at + (i,), owner, labels) for i, v in enumerate(values)]
    if any(s is None for s in shapes) or len(set(shapes)) > 1:
        return None
    return (len(values),) + (shapes[0] if shapes else ())


def _not_strings(owner, dtype, shape):
    return (f"{owner} expected strings, got {dtype} (shape {tuple(shape)}): {WHAT_TO_PASS} "
            "(tf.strings.as_string(x) writes numbers as strings).")


def _position(at, labels):
    where = "position [" + ", ".join(str(i) for i in at) + "]"
    if labels is not None:
        names = [f"{axis} {axis_labels[i]!r}" for (axis, axis_labels), i in zip(labels, at)]
        where += " (" + ", ".join(names) + ")"
    return where


def _pandas_labels(x):
    if x.ndim == 1:
        return [("index", x.index)]
    return [("index", x.index), ("column", x.columns)]


def _pandas_dtypes(x):
    return list(x.dtypes) if hasattr(x, "columns") else [x.dtype]


def is_pandas(x):
    return type(x).__module__.split(".")[0] == "pandas" and hasattr(x, "to_numpy")


def _is_missing(value):
    return value is None or (isinstance(value, float) and math.isnan(value)) or \
        type(value).__name__ in ("NAType", "NaTType")


def _holds_strings(flat):
    return any(isinstance(v, (str, bytes)) for v in flat)


def _is_scalar_or_sequence_of_scalars(value):
    if isinstance(value, (list, tuple)):
        return all(_is_scalar_or_sequence_of_scalars(v) for v in value)
    return value is None or isinstance(value, (str, bytes, bool, int, float, np.generic))


def _leaves(values):
    for value in values:
        if isinstance(value, (list, tuple)):
            yield from _leaves(value)
        else:
            yield value
