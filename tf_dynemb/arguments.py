"""Checks of plain arguments, with errors that name the argument and what was
received. Used by the ops, the layers, the exports and the trainer alike."""

import numbers

_INT64_MAX = 2**63 - 1


def check_int_argument(name, value, minimum, maximum=_INT64_MAX):
    """`value` as an int; raises TypeError unless it is an integer (not a
    bool), ValueError outside [minimum, maximum] (int64 by default)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an int. Received: {name}={value!r:.80} "
                        f"of type {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"`{name}` must be an int >= {minimum}. Received: {name}={value!r}")
    if value > maximum:
        raise ValueError(f"`{name}` must be an int <= {maximum}. Received: {name}={value!r}")
    return int(value)


def check_bool_argument(name, value):
    """`value`, unless it is not True or False (then TypeError)."""
    if not isinstance(value, bool):
        raise TypeError(f"`{name}` must be True or False. Received: {name}={value!r:.80}")
    return value
