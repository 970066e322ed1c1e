"""Every use of Keras's private API, in one place.

Each use is probed: the function checks that what it reads or replaces
exists and fails with a message naming it, the installed Keras and the
versions it was checked on (`CHECKED_ON`). `tests/test_keras_compat.py` pins
each one. The workarounds of Keras faults (`distribute/first_batch_build.py`,
`distribute/multi_worker_logs.py`) patch through `patch_keras`, opt-in.
"""

import functools
import importlib

import keras

CHECKED_ON = ("3.15.1",)
"""The Keras versions whose private API this module was checked on."""

PATCH_MARK = "_tf_dynemb_original"
"""Attribute of a replacement installed by `patch_keras`: the original."""


def _missing(what):
    return RuntimeError(
        f"tf_dynemb relies on Keras's private {what}, which the installed Keras "
        f"{keras.__version__} lacks; it was checked on Keras {', '.join(CHECKED_ON)}. "
        "Install one of those versions, or report this incompatibility.")


def require_attribute(owner, name, what):
    """`getattr(owner, name)`, or RuntimeError naming `what`."""
    if not hasattr(owner, name):
        raise _missing(what)
    return getattr(owner, name)


def flatten_layers(model):
    """Every layer of `model`, nested ones included (`Layer._flatten_layers`)."""
    method = require_attribute(model, "_flatten_layers", "`Layer._flatten_layers()`")
    return list(method())


def take_raw_inputs(layer):
    """Makes `layer`'s `__call__` pass its inputs as they are: strings are not
    converted to the compute dtype, and non-tensor positional arguments are
    allowed (the flags `Layer.__init__` sets, as `StringLookup` does)."""
    for name in ("_convert_input_args", "_allow_non_tensor_positional_args"):
        require_attribute(layer, name, f"`Layer.{name}` flag")
    layer._convert_input_args = False
    layer._allow_non_tensor_positional_args = True


def keep_message(error):
    """`error`, marked so that Keras raises it from a layer's or a model's
    `call` as it is: one line, without the call context that
    `traceback_utils.inject_argument_info_in_traceback` adds to errors it has
    not marked (it reads the mark `_keras_call_info_injected`). Were the mark
    no longer read, errors would only gain that context again."""
    error._keras_call_info_injected = True
    return error


def _private_module(name):
    try:
        return importlib.import_module(name)
    except ImportError:
        raise _missing(f"module `{name}`") from None


def convert_data_before_adapters(convert):
    """Makes `fit`, `evaluate` and `predict` pass their data through
    `convert(value, name)` (`name`: `"x"`, `"y"` or `"sample_weight"`) before
    Keras chooses a data adapter: wraps
    `keras.src.trainers.data_adapters.get_data_adapter`, which `EpochIterator`
    looks up in that module at each call. Installed once; returns True."""
    adapters = _private_module("keras.src.trainers.data_adapters")
    iterator = _private_module("keras.src.trainers.epoch_iterator")
    require_attribute(adapters, "get_data_adapter", "`data_adapters.get_data_adapter`")
    if getattr(iterator, "data_adapters", None) is not adapters:
        raise _missing("`epoch_iterator.data_adapters` (where `EpochIterator` finds "
                       "`get_data_adapter`)")

    def replacement(original):
        @functools.wraps(original)
        def get_data_adapter(x, y=None, sample_weight=None, *args, **kwargs):
            return original(convert(x, "x"), convert(y, "y"),
                            convert(sample_weight, "sample_weight"), *args, **kwargs)

        return get_data_adapter

    return patch_keras(adapters, "get_data_adapter", lambda: True, replacement)


def check_functional_inputs(check):
    """Makes a functional model (and so a `Sequential` one) call
    `check(model, inputs)`, inputs a list of (value, dtype, name) of each
    `keras.Input` (its layer's name) and the value given it, before it
    converts its inputs to the `keras.Input`s' dtypes
    (`Functional._convert_inputs_to_tensors`, which would cast numbers to
    strings: an `UnimplementedError` only once the graph runs). Installed
    once; returns True."""
    functional = _private_module("keras.src.models.functional")
    owner = require_attribute(functional, "Functional", "`keras.src.models.functional.Functional`")
    require_attribute(owner, "_convert_inputs_to_tensors",
                      "`Functional._convert_inputs_to_tensors()`")

    def replacement(original):
        @functools.wraps(original)
        def _convert_inputs_to_tensors(self, flat_inputs):
            model_inputs = require_attribute(self, "_inputs", "`Functional._inputs`")
            check(self, [(value, model_input.dtype, _input_name(model_input))
                         for value, model_input in zip(flat_inputs, model_inputs)])
            return original(self, flat_inputs)

        return _convert_inputs_to_tensors

    return patch_keras(owner, "_convert_inputs_to_tensors", lambda: True, replacement)


def _input_name(model_input):
    """The name of the `InputLayer` that made `model_input` (a KerasTensor's
    own name is generated), read from its `_keras_history`."""
    history = getattr(model_input, "_keras_history", None)
    return getattr(history[0], "name", model_input.name) if history else model_input.name


def count_steps_atomically(optimizer):
    """Makes `optimizer.iterations.assign_add` (a Keras variable's: read,
    then write) one atomic `assign_add` of the TF variable it holds, so that
    steps that workers run at once all count."""
    counter = optimizer.iterations
    variable = require_attribute(counter, "value", "`Variable.value` (the backend variable)")
    require_attribute(variable, "assign_add", "`Variable.value.assign_add`")

    import tensorflow as tf

    def assign_add(value):
        variable.assign_add(tf.cast(value, counter.dtype))
        return counter

    counter.assign_add = assign_add


def tensorflow_trainer_module():
    """`keras.src.backend.tensorflow.trainer`, Keras's private TF trainer."""
    try:
        from keras.src.backend.tensorflow import trainer
    except ImportError:
        raise _missing("module `keras.src.backend.tensorflow.trainer`") from None
    return trainer


def unpatched(owner, name):
    """Keras's own `owner.name` (the original behind a `patch_keras`
    replacement), or None when this Keras has no such attribute."""
    method = getattr(owner, name, None)
    return getattr(method, PATCH_MARK, method)


def patch_keras(owner, name, has_fault, replacement):
    """Replaces `owner.name` by `replacement(original)` when `has_fault()`
    says the installed Keras has the fault it works around. Returns whether
    the replacement is in place (now or from an earlier call); a Keras
    without `owner.name` or without the fault is left alone."""
    method = getattr(owner, name, None)
    if method is None:
        return False
    if hasattr(method, PATCH_MARK):
        return True
    if not has_fault():
        return False
    patched = replacement(method)
    setattr(patched, PATCH_MARK, method)
    patched.__doc__ = method.__doc__
    setattr(owner, name, patched)
    return True


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
            f"(checked with Keras {', '.join(CHECKED_ON)}); Keras {keras.__version__} "
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
