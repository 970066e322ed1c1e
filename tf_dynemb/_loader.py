"""The one place that loads tf_dynemb's op library and reads its build info."""

import functools
import json
import os

import tensorflow as tf

_LIBRARY_NAME = "_tf_dynemb_ops.so"
_BUILD_INFO_NAME = "_tf_dynemb_ops.json"
_REBUILD_HINT = "Rebuild it against the installed TensorFlow with `make build`."


def library_path():
    """Absolute path where the op library is expected."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), _LIBRARY_NAME)


def _build_info():
    """The library's build info (ops/BUILD's build_info), or {} without one."""
    info_path = os.path.join(os.path.dirname(library_path()), _BUILD_INFO_NAME)
    if not os.path.exists(info_path):
        return {}
    with open(info_path) as f:
        return json.load(f)


def _built_against():
    return _build_info().get("tensorflow_version")


@functools.cache
def model_format():
    """The model buffer's format constants, as ops/core/model_format.h states
    them: magic, version, header_bytes, checksum_end, section_table_at,
    section_ref_bytes, fields (header field offsets by name) and sections
    (section indices by name)."""
    info = _build_info().get("model_format")
    if info is None:
        raise ImportError(
            f"tf_dynemb's build info next to {library_path()} has no model format. "
            + _REBUILD_HINT
        )
    return info


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
