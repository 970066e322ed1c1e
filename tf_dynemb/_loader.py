"""The one place that loads tf_dynemb's op library."""

import json
import os

import tensorflow as tf

_LIBRARY_NAME = "_tf_dynemb_ops.so"
_BUILD_INFO_NAME = "_tf_dynemb_ops.json"
_REBUILD_HINT = "Rebuild it against the installed TensorFlow with `make build`."


def library_path():
    """Absolute path where the op library is expected."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), _LIBRARY_NAME)


def _built_against():
    info_path = os.path.join(os.path.dirname(library_path()), _BUILD_INFO_NAME)
    if not os.path.exists(info_path):
        return None
    with open(info_path) as f:
        return json.load(f).get("tensorflow_version")


def load_op_library():
    """Loads the op library, or raises an ImportError that says how to fix it."""
    path = library_path()
    if not os.path.exists(path):
        raise ImportError(
            f"tf_dynemb's op library is missing: {path} does not exist. "
            + _REBUILD_HINT
        )
    built = _built_against()
    if built is not None and built != tf.__version__:
        raise ImportError(
            f"tf_dynemb's op library at {path} was built against TensorFlow "
            f"{built}, but TensorFlow {tf.__version__} is installed. " + _REBUILD_HINT
        )
    try:
        return tf.load_op_library(path)
    except tf.errors.NotFoundError as e:
        raise ImportError(
            f"tf_dynemb's op library at {path} failed to load into TensorFlow "
            f"{tf.__version__} (built against {built or 'an unknown version'}): "
            f"{e.message} " + _REBUILD_HINT
        ) from e


ops = load_op_library()
