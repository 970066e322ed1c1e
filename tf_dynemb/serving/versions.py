"""Version directories under a TF Serving model base path: written whole
(staging directory, then one rename) or not at all."""

import os
import shutil
import tempfile


def next_version(base):
    versions = [int(d) for d in os.listdir(base) if d.isdigit()] if os.path.isdir(base) else []
    return max(versions, default=0) + 1


def write_version(output_dir, version, fill):
    """Calls `fill(staging_dir)`, then renames the staging directory to
    `output_dir/version` (default: the next free integer); returns that path.
    A server never sees a half-written version."""
    if os.path.exists(output_dir) and not os.path.isdir(output_dir):
        raise NotADirectoryError(f"{output_dir} is a file; pass a directory for the versions.")
    os.makedirs(output_dir, exist_ok=True)
    version = next_version(output_dir) if version is None else version
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"`version` must be an int >= 1. Received: version={version!r}")
    final = os.path.join(output_dir, str(version))
    if os.path.exists(final):
        raise FileExistsError(f"{final} exists; pass another version.")
    staging = tempfile.mkdtemp(prefix=f".tmp-{version}-", dir=output_dir)
    os.chmod(staging, 0o755)  # mkdtemp's 0700 would hide it from a server's user
    try:
        fill(staging)
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final
