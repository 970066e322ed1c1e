"""The private Keras APIs tf_dynemb relies on, all in this module.

Keras has no public way to ask whether the object being deserialized is
loaded with `safe_mode=True`; `keras.src.saving.serialization_lib` keeps it
in a global that `SafeModeScope` sets around each `from_config` (and
`build_from_config`) call. Checked with Keras 3.15.1.
"""

import keras

_CHECKED_VERSIONS = ("3.15.1",)
_probed = False


def probe_safe_mode_api():
    """Raises RuntimeError unless Keras still exposes safe mode as checked:
    `serialization_lib.in_safe_mode()`, set by `SafeModeScope(flag)`."""
    try:
        from keras.src.saving import serialization_lib

        outside = serialization_lib.in_safe_mode()
        with serialization_lib.SafeModeScope(True):
            inside_safe = serialization_lib.in_safe_mode()
            with serialization_lib.SafeModeScope(False):
                inside_unsafe = serialization_lib.in_safe_mode()
        restored = serialization_lib.in_safe_mode()
    except (ImportError, AttributeError, TypeError) as e:
        raise RuntimeError(_changed(f"{type(e).__name__}: {e}")) from e
    if inside_safe is not True or inside_unsafe is not False or restored != outside:
        raise RuntimeError(_changed(
            f"SafeModeScope(True/False) gave in_safe_mode()={inside_safe!r}/{inside_unsafe!r}, "
            f"then {restored!r} after the scopes (was {outside!r})"))


def _changed(detail):
    return (f"tf_dynemb reads Keras's safe mode through keras.src.saving.serialization_lib "
            f"(checked with Keras {', '.join(_CHECKED_VERSIONS)}); Keras {keras.__version__} "
            f"differs: {detail}. Vocabulary files named by a config cannot be checked against "
            "safe mode; pin a checked Keras version.")


def in_safe_mode():
    """True while Keras deserializes with `safe_mode=True`, False with
    `safe_mode=False` (or after `keras.config.enable_unsafe_deserialization()`),
    None outside deserialization (layers built in Python, `clone_model`)."""
    global _probed
    if not _probed:
        probe_safe_mode_api()
        _probed = True
    from keras.src.saving import serialization_lib

    return serialization_lib.in_safe_mode()
