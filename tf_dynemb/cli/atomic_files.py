"""Files the commands write appear whole or not at all.

Each file is written under a temporary name in its target's directory (so the
rename stays on one file system), flushed to disk, then renamed over the
target. A command that fails, or is interrupted, leaves its temporaries
removed and any earlier file of the target's name untouched. A `Staging`
publishes several files only once all of them are written.
"""

import contextlib
import os
import secrets

from tf_dynemb.cli.errors import CommandError


def temporary_name(target):
    """A hidden name beside `target` that keeps its extension:
    `dir/.name.<random>.tmp.ext`."""
    directory, name = os.path.split(os.path.abspath(target))
    stem, extension = os.path.splitext(name)
    return os.path.join(directory, f".{stem}.{secrets.token_hex(4)}.tmp{extension}")


@contextlib.contextmanager
def naming(target):
    """Turns an OSError of the block into a CommandError naming `target`."""
    try:
        yield
    except OSError as e:
        reason = e.strerror or str(e) or type(e).__name__
        raise CommandError(f"cannot write {target}: {reason}") from None


class Staging:
    """Files written under temporary names beside their targets; `publish`
    renames them into place, `discard` removes those not published."""

    def __init__(self):
        self._pending = {}  # temporary path -> target

    def path(self, target):
        """A new, empty temporary file for `target`; returns its path."""
        temporary = temporary_name(target)
        with naming(target):
            with open(temporary, "x"):  # created with the umask's permissions
                pass
        self._pending[temporary] = target
        return temporary

    @contextlib.contextmanager
    def open(self, target, mode="w", encoding="utf-8"):
        """The temporary file for `target`, open for writing."""
        temporary = self.path(target)
        encoding = None if "b" in mode else encoding
        with naming(target), open(temporary, mode, encoding=encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())

    def publish(self):
        for temporary, target in list(self._pending.items()):
            with naming(target):
                os.replace(temporary, target)
            del self._pending[temporary]

    def discard(self):
        for temporary in list(self._pending):
            with contextlib.suppress(FileNotFoundError):
                os.remove(temporary)
            del self._pending[temporary]


@contextlib.contextmanager
def staging():
    """A `Staging` published when the block ends normally, discarded otherwise."""
    files = Staging()
    try:
        yield files
        files.publish()
    finally:
        files.discard()


@contextlib.contextmanager
def atomic_open(target, mode="w", encoding="utf-8"):
    """`open(target, mode)` for writing, but `target` appears only whole."""
    with staging() as files, files.open(target, mode, encoding) as f:
        yield f

