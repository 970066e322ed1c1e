"""Version directories under a TF Serving model base path: written whole
(staging directory, then one rename) or not at all; see
`tf_dynemb.serving.version_dirs`."""

import os

from tf_dynemb.numbered_names import next_number
from tf_dynemb.serving.version_dirs import versions, write_version_dir


def next_version(base):
    """The version a write under `base` would take now (1 for a new base);
    OverflowError when that would be above int64."""
    return next_number(versions(base) if os.path.isdir(base) else [], "version")


def write_version(output_dir, version, fill):
    """Calls `fill(staging_dir)`, then renames the staging directory to
    `output_dir/version` (default: the next free integer, claimed atomically
    against concurrent writers); returns that path. A server never sees a
    half-written version, and staging left by killed writers is removed."""
    if os.path.exists(output_dir) and not os.path.isdir(output_dir):
        raise NotADirectoryError(f"{output_dir} is a file; pass a directory for the versions.")
    return write_version_dir(output_dir, fill, version)
