"""Runs `tf-dynemb` in this process, and makes corpus files of real text."""

from tf_dynemb import sample_text
from tf_dynemb.cli.main import main

# Two disjoint sets of standard-library modules: one to learn from, one held out.
TRAIN_MODULES = ("json", "csv", "string", "textwrap", "argparse", "logging", "pathlib")
HELD_OUT_MODULES = ("difflib", "heapq", "shlex", "uuid", "fractions")


def run_cli(capsys, *args):
    """(exit status, stdout, stderr) of `tf-dynemb ARGS...`."""
    capsys.readouterr()
    status = main(["tf-dynemb", *map(str, args)])
    out, err = capsys.readouterr()
    return status, out, err


def write_corpus(path, modules):
    path.write_text("\n".join(sample_text.docstrings(modules)) + "\n", encoding="utf-8")
    return path


def one_line_error(err):
    """The error line; asserts it is the only line of the command's own output."""
    lines = [line for line in err.splitlines() if line.startswith("tf-dynemb")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# Runs in a private mount namespace: mounts a tmpfs of the given size on the
# disk directory, copies a tree onto it, runs the command in this process, and
# prints what it left there (the mount goes with the namespace).
_SMALL_DISK_DRIVER = """
import contextlib, io, json, os, shutil, subprocess, sys
disk, size, copy_from, copy_to = sys.argv[1:5]
subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", disk], check=True)
if copy_from:
    shutil.copytree(copy_from, os.path.join(disk, copy_to))
from tf_dynemb_cli import main  # the entry point: log lines quieted
err = io.StringIO()
with contextlib.redirect_stderr(err):
    status = main(["tf-dynemb", *sys.argv[5:]])
files = sorted(os.path.relpath(os.path.join(d, name), disk)
               for d, dirs, names in os.walk(disk) for name in dirs + names)
print(json.dumps({"status": status, "err": err.getvalue(), "files": files}))
"""


def small_disk_available():
    """Whether tmpfs mounts in a private namespace work here (root, unshare)."""
    import os
    import shutil
    import subprocess

    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=4k tmpfs /mnt"],
                           capture_output=True)
    return probe.returncode == 0


def run_on_small_disk(disk, size, args, copy_from=None, copy_to=""):
    """(exit status, stderr, files left on the disk) of `tf-dynemb ARGS...` run
    with the directory `disk` a tmpfs of `size` (such as "512k"), holding a copy
    of `copy_from` at `copy_to`."""
    import json
    import os
    import subprocess
    import sys

    disk.mkdir(exist_ok=True)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    result = subprocess.run(
        ["unshare", "-m", sys.executable, "-c", _SMALL_DISK_DRIVER, str(disk), size,
         str(copy_from or ""), copy_to, *map(str, args)],
        capture_output=True, text=True, env=env, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.splitlines()[-1])
    return report["status"], report["err"], report["files"]
