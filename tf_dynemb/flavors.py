"""The two flavors of every lookup and export, and the scope that picks one.

- `fused`: the custom op; needs TensorFlow with tf_dynemb's op library (a
  tensorflow_model_server linked with //ops:ops_lib).
- `portable`: the stock-op reference, core TF and TF Text ops only, which the
  stock tensorflow_model_server runs.

Both give the same outputs. A layer runs the flavor its `use_custom_op`
names, unless it is called (or traced) inside `lookup_path(flavor)`: an
export picks its flavor that way, without touching the layers it exports.
An export of layers that compose words also hands each of them, through
`lookup_path(flavor, folded=...)`, the folded table it serves from
(`tf_dynemb.serving.folding`).
"""

import contextlib
import contextvars

FLAVORS = ("portable", "fused")

_SCOPED = contextvars.ContextVar("tf_dynemb_lookup_path", default=None)
_FOLDED = contextvars.ContextVar("tf_dynemb_folded_tables", default={})


def check_flavor(flavor):
    if flavor not in FLAVORS:
        raise ValueError(f"`flavor` must be one of {FLAVORS}. Received: flavor={flavor!r}")
    return flavor


@contextlib.contextmanager
def lookup_path(flavor, folded=None):
    """Within it, in this thread or task only, every tf_dynemb layer called
    or traced looks words up with `flavor` (`"portable"` or `"fused"`),
    whatever its `use_custom_op`, and a layer that `folded` maps (by `id`)
    to `(vocabulary_model, table)` reads that table through that model,
    which does not compose words; the layers themselves are not changed."""
    token = _SCOPED.set(check_flavor(flavor))
    # A scope without `folded` keeps the folds of the scope around it.
    folded_token = _FOLDED.set(_FOLDED.get() if folded is None else dict(folded))
    try:
        yield
    finally:
        _FOLDED.reset(folded_token)
        _SCOPED.reset(token)


def scoped_flavor():
    """The flavor of the innermost `lookup_path` scope, or None outside any."""
    return _SCOPED.get()


def scoped_fold(layer):
    """`(vocabulary_model, table)` that the innermost scope folded for
    `layer`, or None."""
    return _FOLDED.get().get(id(layer))
