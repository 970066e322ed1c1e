"""Numbered version directories, as TensorFlow Serving watches them.

A version is written into a staging directory beside the versions, then
published with one rename, so a server never sees half of it. The rename is
also the claim: it fails if the version exists, and the loser of a race takes
the next free number. Staging directories left by killed writers are removed
by the next writer; their names record the owning host and PID namespace,
process id and process start time, so one that a live process still fills is
never touched. Version numbers are plain ASCII decimals within int64, as TF
Serving reads them; other entries are ignored, with a warning.
"""

import errno
import logging
import os
import secrets
import shutil
import socket
import tempfile

from tf_dynemb.arguments import check_int_argument
from tf_dynemb.numbered_names import INT64_MAX, next_number, plain_number

logger = logging.getLogger(__name__)

STAGING_PREFIX = ".staging-"
_MAX_CLAIMS = 1000


def _process_start(pid):
    """The start time of process `pid` in clock ticks since boot (Linux), or
    "0" where /proc is not available."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return "0"
    # Field 22; the command name (field 2) may hold spaces, so count from ')'.
    return stat[stat.rindex(b")") + 2:].split()[19].decode()


def _host():
    """This machine and PID namespace: writers in another container on the
    same host name see other process ids, so they count as another host."""
    try:
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        namespace = 0
    return f"{socket.gethostname().replace('-', '_') or 'host'}.ns{namespace}"


def _owner_tag():
    return f"{_host()}-{os.getpid()}-{_process_start(os.getpid())}"


def _is_stale(name):
    """Whether staging directory `name` belongs to a dead process of this host."""
    try:
        host, pid, start, _ = name[len(STAGING_PREFIX):].rsplit("-", 3)
        pid = int(pid)
    except ValueError:
        return False  # not ours to judge
    if host != _host():
        return False  # another machine's writer: we cannot tell whether it lives
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, another user's
    return start != "0" and _process_start(pid) not in (start, "0")  # pid reused


def remove_stale_staging(output_dir):
    """Removes staging directories under `output_dir` whose writer died;
    returns their names."""
    removed = []
    for name in sorted(os.listdir(output_dir)):
        if name.startswith(STAGING_PREFIX) and _is_stale(name):
            shutil.rmtree(os.path.join(output_dir, name), ignore_errors=True)
            removed.append(name)
    return removed


def versions(output_dir, warn=True):
    """The version numbers present under `output_dir`, sorted. An entry that
    is not a version (not plain ASCII decimal digits, or above int64) is
    ignored, with a logged warning naming it when `warn`; staging
    directories are ignored silently."""
    found = []
    for name in sorted(os.listdir(output_dir)):
        if name.startswith(STAGING_PREFIX):
            continue
        try:
            found.append(plain_number(name))
        except ValueError as e:
            if warn:
                logger.warning("Ignoring %s: not a version directory (%s).",
                               os.path.join(output_dir, name), e)
    return sorted(found)


def _fsync(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_tree(path):
    """Flushes every file and directory under `path` to disk, so a published
    version is whole even after a power loss."""
    for root, _, files in os.walk(path):
        for name in files + ["."]:
            _fsync(os.path.join(root, name))


def write_version_dir(output_dir, fill, version=None):
    """Writes a new version directory under `output_dir` and returns its path.

    `fill(path)` writes the version's contents into the empty directory
    `path`. With `version=None` the version is the next free number, claimed
    atomically: concurrent writers never take the same one. An explicit
    `version` that exists raises FileExistsError. A failure or kill leaves no
    version behind; the staging directory of a killed writer is removed by the
    next call.
    """
    if version is not None:
        version = check_int_argument("version", version, 1, INT64_MAX)
    os.makedirs(output_dir, exist_ok=True)
    remove_stale_staging(output_dir)
    staging = tempfile.mkdtemp(
        prefix=f"{STAGING_PREFIX}{_owner_tag()}-{secrets.token_hex(4)}", dir=output_dir)
    try:
        os.chmod(staging, 0o755)  # mkdtemp's 0700 would hide it from a server's user
        fill(staging)
        if not os.listdir(staging):
            raise ValueError(f"`fill` wrote nothing into {staging}; a version must hold files.")
        _sync_tree(staging)
        final = _claim(output_dir, staging, version)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _fsync(output_dir)
    return final


def _claim(output_dir, staging, version):
    """Renames `staging` to a version directory; the rename fails, rather
    than replaces, when that version exists and holds files."""
    for attempt in range(_MAX_CLAIMS):
        number = version
        if version is None:
            number = next_number(versions(output_dir, warn=attempt == 0), "version")
        final = os.path.join(output_dir, str(number))
        try:
            if os.path.exists(final):  # rename would replace an empty directory
                raise FileExistsError(errno.EEXIST, "exists", final)
            os.rename(staging, final)
            return final
        except OSError as e:
            if e.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
            if version is not None:
                raise FileExistsError(f"{final} exists; pass another version.") from None
    raise RuntimeError(f"Could not claim a version under {output_dir} in {_MAX_CLAIMS} tries.")
