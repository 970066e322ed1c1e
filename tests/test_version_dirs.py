"""Version directories: claimed atomically, never half-written, and staging
left by killed writers removed by the next one."""

import os
import select
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from tf_dynemb.serving import version_dirs
from tf_dynemb.serving.version_dirs import STAGING_PREFIX, write_version_dir


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
        # Same host name, another container's process ids.
        "other pid namespace": f"{STAGING_PREFIX}{host.rsplit('.ns', 1)[0]}.ns1-{dead_pid()}-123-abcd",
        "not ours": ".tmp-3-xyz",
    }
    for name in names.values():
        os.makedirs(tmp_path / name / "variables")
    write_version_dir(str(tmp_path), lambda p: open(os.path.join(p, "a"), "w").close())
    left = set(os.listdir(tmp_path))
    assert left == {"1", names["live"], names["other host"], names["other pid namespace"],
                    names["not ours"]}


@pytest.mark.parametrize("version, error", [(0, ValueError), (-1, ValueError),
                                            (True, TypeError), ("2", TypeError),
                                            (1.0, TypeError)])
def test_a_version_must_be_a_positive_int(tmp_path, version, error):
    with pytest.raises(error, match=r"`version` must be an int.*Received: version="):
        write_version_dir(str(tmp_path), lambda p: open(os.path.join(p, "a"), "w").close(),
                          version)
    assert os.listdir(tmp_path) == []


# Starts filling a version with a large file, then waits to be killed.
STUCK_WRITER = """
import os, sys, time
from tf_dynemb.serving.version_dirs import write_version_dir
def fill(path):
    with open(os.path.join(path, "variables.data"), "wb") as f:
        f.write(os.urandom(8 << 20))
    print("filling", path, flush=True)
    time.sleep(600)
write_version_dir(sys.argv[1], fill)
"""


def test_writer_killed_while_filling_is_cleaned_by_the_next(tmp_path):
    writer = subprocess.Popen([sys.executable, "-c", STUCK_WRITER, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    staging = read_until(writer, "filling", time.time() + 120)[-1].split()[1]
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    assert os.path.getsize(os.path.join(staging, "variables.data")) == 8 << 20
    write_version_dir(str(tmp_path), lambda p: open(os.path.join(p, "a"), "w").close())
    assert sorted(os.listdir(tmp_path)) == ["1"]


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
    import tensorflow as tf

    from tf_dynemb import serving

    out = str(tmp_path / "models")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    rng = np.random.default_rng(5)
    written, staging_left = [], 0
    for _ in range(2):
        # Two exporters into one directory, each killed at a random point
        # after it has written at least one version.
        children = [subprocess.Popen([sys.executable, "-c", EXPORT_FOREVER, out], env=env,
                                     stdout=subprocess.PIPE, text=True) for _ in range(2)]
        for child in children:
            lines = read_until(child, "wrote", time.time() + 300)
            written += [line.split()[1] for line in lines if line.startswith("wrote")]
        for child in children:
            time.sleep(float(rng.uniform(0.0, 1.5)))
            child.send_signal(signal.SIGKILL)
            child.wait()
            written += [line.split()[1] for line in child.stdout.read().splitlines()
                        if line.startswith("wrote")]
        staging_left = max(staging_left, sum(not d.isdigit() for d in os.listdir(out)))
    assert len(written) == len(set(written))  # no version claimed twice
    assert all(os.path.isdir(p) for p in written)  # nothing reported was lost
    # The next export removes what the killed ones left.
    serving.export(out, ["the"], ["un"], 4, 3, "mean", "portable")
    assert [d for d in os.listdir(out) if not d.isdigit()] == []
    versions = sorted(os.listdir(out), key=int)
    for name in versions:
        loaded = tf.saved_model.load(os.path.join(out, name))
        kind = loaded.signatures["embed_words"](words=tf.constant(["the", "unseen", "zz"]))["kind"]
        assert kind.numpy().tolist()[0] == 1, name
    print(f"4 kills, {len(written)} versions reported, {len(versions) - 1} found, "
          f"up to {staging_left} staging directories left, none after the next export")


def touch_version(path):
    open(os.path.join(path, "a"), "w").close()


def test_entries_that_are_not_ascii_decimals_are_ignored_with_a_warning(tmp_path, caplog):
    # '²' passes str.isdigit() but not int(); '٣' passes both (int gives 3);
    # TF Serving reads neither as a version.
    for name in ["²", "٣", "1", "latest", " 2"]:
        os.makedirs(tmp_path / name)
    with caplog.at_level("WARNING", logger="tf_dynemb"):
        path = write_version_dir(str(tmp_path), touch_version)
    assert os.path.basename(path) == "2"
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    for name in ["²", "٣", "latest", " 2"]:
        assert any(f"Ignoring {tmp_path / name}: not a version directory ({name!r} is not a "
                   "plain ASCII decimal number)" in m for m in warned), (name, warned)
    assert len(warned) == 4  # once per entry, though the claim may look again
    assert version_dirs.versions(str(tmp_path)) == [1, 2]


def test_versions_are_bounded_to_int64(tmp_path, caplog):
    from tf_dynemb.serving import next_version

    int64_max = 2**63 - 1
    os.makedirs(tmp_path / "99999999999999999999")
    with caplog.at_level("WARNING", logger="tf_dynemb"):
        assert next_version(str(tmp_path)) == 1
        assert os.path.basename(write_version_dir(str(tmp_path), touch_version)) == "1"
    assert f"99999999999999999999 is above int64's maximum, {int64_max}" in caplog.text
    # The largest version is still taken; one more is an error that says so.
    os.makedirs(tmp_path / str(int64_max))
    message = f"The next version would be {int64_max + 1}, above int64's maximum"
    with pytest.raises(OverflowError, match=message):
        next_version(str(tmp_path))
    with pytest.raises(OverflowError, match=message):
        write_version_dir(str(tmp_path), touch_version)
    assert sorted(os.listdir(tmp_path)) == sorted(["1", str(int64_max), "99999999999999999999"])
    with pytest.raises(ValueError, match=f"`version` must be an int <= {int64_max}"):
        write_version_dir(str(tmp_path), touch_version, int64_max + 1)


def test_model_base_directory_with_odd_entries_names_its_versions(tmp_path):
    from tf_dynemb.cli.errors import CommandError
    from tf_dynemb.cli.model_files import kind_of

    for name in ["²", "3", "99999999999999999999"]:
        os.makedirs(tmp_path / name)
        open(tmp_path / name / "saved_model.pb", "wb").close()
    with pytest.raises(CommandError, match=r"a model base directory with versions \[3\]"):
        kind_of(str(tmp_path))
