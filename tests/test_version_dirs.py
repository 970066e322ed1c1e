"""Version directories: claimed atomically, never half-written, and staging
left by killed writers removed by the next one. Issue 12, failure 5."""

import os
import select
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from tf_dynemb import version_dirs
from tf_dynemb.version_dirs import STAGING_PREFIX, write_version_dir


def test_concurrent_writers_take_distinct_versions(tmp_path):
    writers = 6
    barrier = threading.Barrier(writers)
    results, errors = {}, []

    def write(i):
        def fill(path):
            with open(os.path.join(path, "writer"), "w") as f:
                f.write(str(i))
            barrier.wait()  # every writer claims at once, all seeing the same next number
        try:
            results[i] = write_version_dir(str(tmp_path), fill)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(os.path.basename(p) for p in results.values()) == [str(v) for v in range(1, 7)]
    for i, path in results.items():  # nothing lost: each version holds its own writer's files
        with open(os.path.join(path, "writer")) as f:
            assert f.read() == str(i)
    assert sorted(os.listdir(tmp_path)) == [str(v) for v in range(1, 7)]
    assert oct(os.stat(results[0]).st_mode & 0o777) == "0o755"


def test_explicit_version_that_exists_fails_in_one_line(tmp_path):
    write_version_dir(str(tmp_path), lambda p: open(os.path.join(p, "a"), "w").close(), 3)
    with pytest.raises(FileExistsError) as info:
        write_version_dir(str(tmp_path), lambda p: open(os.path.join(p, "b"), "w").close(), 3)
    assert str(info.value) == f"{tmp_path / '3'} exists; pass another version."
    assert os.listdir(tmp_path / "3") == ["a"]
    assert sorted(os.listdir(tmp_path)) == ["3"]


def test_failures_leave_nothing(tmp_path):
    def fail(path):
        open(os.path.join(path, "half"), "w").close()
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_version_dir(str(tmp_path), fail)
    with pytest.raises(ValueError, match="wrote nothing"):
        write_version_dir(str(tmp_path), lambda p: None)
    assert os.listdir(tmp_path) == []


def dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_only_stale_staging_is_removed(tmp_path):
    host = version_dirs._host()
    own = version_dirs._owner_tag()
    names = {
        "dead": f"{STAGING_PREFIX}{host}-{dead_pid()}-123-abcd",
        "reused pid": f"{STAGING_PREFIX}{host}-{os.getpid()}-1-abcd",
        "live": f"{STAGING_PREFIX}{own}-abcd",
        "other host": f"{STAGING_PREFIX}elsewhere-{dead_pid()}-123-abcd",
        "not ours": ".tmp-3-xyz",
    }
    for name in names.values():
        os.makedirs(tmp_path / name / "variables")
    write_version_dir(str(tmp_path), lambda p: open(os.path.join(p, "a"), "w").close())
    left = set(os.listdir(tmp_path))
    assert left == {"1", names["live"], names["other host"], names["not ours"]}


# Exports the same small portable model into argv[1] forever, printing each
# version it wrote.
EXPORT_FOREVER = """
import sys
from tf_dynemb import serving
print("ready", flush=True)
while True:
    path = serving.export(sys.argv[1], ["the", "cat"], ["un", "##seen"], dim=4,
                          num_oov_buckets=3, combiner="mean", flavor="portable")
    print("wrote", path, flush=True)
"""

LOAD_EVERY_VERSION = """
import os, sys
import tensorflow as tf
import tensorflow_text
for name in sorted(os.listdir(sys.argv[1])):
    m = tf.saved_model.load(os.path.join(sys.argv[1], name))
    out = m.signatures["embed_words"](words=tf.constant(["the", "unseen", "zebra"]))
    assert out["kind"].numpy().tolist() == [1, 2, 3], name
    print("loaded", name, flush=True)
"""


def read_until(process, prefix, deadline):
    """Lines from `process` until one starts with `prefix`."""
    lines = []
    while time.time() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], deadline - time.time())
        if not ready:
            break
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
        if line.startswith(prefix):
            return lines
    raise AssertionError(f"no {prefix!r} line before the deadline; got {lines}")


def test_killed_concurrent_exports_leave_only_loadable_versions(tmp_path):
    out = str(tmp_path / "models")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    rng = np.random.default_rng(5)
    written, kills = [], 0
    for round_ in range(3):
        # Two exporters into one directory, killed at random points.
        children = [subprocess.Popen([sys.executable, "-c", EXPORT_FOREVER, out], env=env,
                                     stdout=subprocess.PIPE, text=True) for _ in range(2)]
        for child in children:
            read_until(child, "ready", time.time() + 120)
        for child in children:
            written += [line.split()[1] for line in read_until(child, "wrote",
                                                               time.time() + 120)
                        if line.startswith("wrote")]
        time.sleep(float(rng.uniform(0.0, 2.0)))
        for child in children:
            child.send_signal(signal.SIGKILL)
            child.wait()
            kills += 1
            written += [line.split()[1] for line in child.stdout.read().splitlines()
                        if line.startswith("wrote")]
    assert len(written) == len(set(written))  # no version claimed twice
    assert all(os.path.isdir(p) for p in written)  # nothing lost
    # The next export removes what the killed ones left.
    subprocess.run([sys.executable, "-c", EXPORT_FOREVER.replace("while True", "for _ in [0]"),
                    out], env=env, check=True, capture_output=True, timeout=300)
    assert not [d for d in os.listdir(out) if not d.isdigit()]
    loaded = subprocess.run([sys.executable, "-c", LOAD_EVERY_VERSION, out], env=env,
                            capture_output=True, text=True, timeout=600)
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert loaded.stdout.count("loaded") == len(os.listdir(out)) >= len(written) + 1
    assert kills == 6
