"""Plain numbers read from disk: in names (TF Serving version directories,
`ckpt-N` checkpoints) and in text files (word counts, a `.vec` header).

A plain number is ASCII decimal digits within int64 (TF Serving's version
and TF's checkpoint counter are int64). `str.isdigit()` and `int()`
accept more: superscripts such as '²' (isdigit true, int fails) and other
scripts' digits such as '٣' (int gives 3, TF Serving rejects it).
"""

import re

INT64_MAX = 2**63 - 1
_ASCII_DECIMAL = re.compile("[0-9]+")


def plain_number(text):
    """`text` as an int; ValueError, saying why, unless it is ASCII decimal
    digits only and at most INT64_MAX."""
    if not _ASCII_DECIMAL.fullmatch(text):
        raise ValueError(f"{text!r} is not a plain ASCII decimal number")
    number = int(text)
    if number > INT64_MAX:
        raise ValueError(f"{text} is above int64's maximum, {INT64_MAX}")
    return number


def next_number(numbers, what):
    """One more than the largest of `numbers` (1 when there are none);
    OverflowError, naming `what`, when that is above int64."""
    number = max(numbers, default=0) + 1
    if number > INT64_MAX:
        raise OverflowError(f"The next {what} would be {number}, above int64's maximum "
                            f"({INT64_MAX}), the largest TensorFlow accepts. Use a new "
                            f"directory, or move the entries numbered near int64's maximum away.")
    return number
