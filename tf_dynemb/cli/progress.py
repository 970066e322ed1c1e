"""Progress bars on stderr for long work; shown only when stderr is a terminal."""

import sys

from tqdm import tqdm


def bar(iterable=None, total=None, desc=None, unit="it", unit_scale=False):
    return tqdm(iterable, total=total, desc=desc, unit=unit, unit_scale=unit_scale,
                file=sys.stderr, disable=None, dynamic_ncols=True, leave=False)


def say(message):
    """A line of progress for the person watching (stderr, so stdout stays data)."""
    print(message, file=sys.stderr, flush=True)
