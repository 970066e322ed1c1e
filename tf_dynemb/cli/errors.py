"""Errors that the command reports in one line, without a traceback."""

import os


class CommandError(Exception):
    """Bad input (a missing file, an empty corpus): exit status 1."""

    status = 1


class UsageError(CommandError):
    """Bad arguments (flags that contradict each other): exit status 2."""

    status = 2


def require_files(paths, flag):
    """Raises CommandError unless every path in `paths` is a file."""
    for path in paths:
        if not os.path.isfile(path):
            what = ("a directory" if os.path.isdir(path) else
                    "not a regular file" if os.path.exists(path) else "missing")
            raise CommandError(f"--{flag}={path} is {what}; expected a file.")


def quoted(values, limit=80):
    """`values` for an error message: its repr cut at `limit` characters, with
    the number of items when it is a list."""
    text = repr(values)
    if len(text) > limit:
        text = text[:limit] + "..."
    return f"{text} ({len(values)} items)" if isinstance(values, (list, tuple)) else text
