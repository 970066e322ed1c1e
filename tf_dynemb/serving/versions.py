"""Version directories under a TF Serving model base path: written whole
(staging directory, then one rename) or not at all; see
`tf_dynemb.version_dirs`."""

import os

from tf_dynemb.version_dirs import write_version_dir


def next_version(base):
    versions = [int(d) for d in os.listdir(base) if d.isdigit()] if os.path.isdir(base) else []
    return max(versions, default=0) + 1


def write_version(output_dir, version, fill):
    """Calls `fill(staging_dir)`, then renames the staging directory to
    `output_dir/version` (default: the next free integer, claimed atomically
    against concurrent writers); returns that path. A server never sees a
    half-written version, and staging left by killed writers is removed."""
    if os.path.exists(output_dir) and not os.path.isdir(output_dir):
        raise NotADirectoryError(f"{output_dir} is a file; pass a directory for the versions.")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)
                                or version < 1):
        raise ValueError(f"`version` must be an int >= 1. Received: version={version!r}")
    return write_version_dir(output_dir, fill, version)
