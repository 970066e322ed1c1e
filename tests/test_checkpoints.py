"""CheckpointDirectory, the checkpoints of ParameterServerTrainer: an unusable
state file is never a fresh start, a save never overwrites a checkpoint, and
checkpoint numbers are plain ASCII decimals within int64. (The trainer itself
is run on a cluster in tests/test_ps_training.py.)"""

import os

import pytest
import tensorflow as tf

from tf_dynemb.distribute import CheckpointDirectory

INT64_MAX = 2**63 - 1


def trained(directory, values):
    """Saves one checkpoint per value of `values` into `directory`; returns
    the variable and its CheckpointDirectory."""
    variable = tf.Variable(0.0)
    checkpoints = CheckpointDirectory(tf.train.Checkpoint(v=variable), directory)
    assert checkpoints.restore() is None  # nothing there: a fresh start
    for value in values:
        variable.assign(value)
        checkpoints.save()
    return variable, checkpoints


def restored(directory):
    variable = tf.Variable(0.0)
    checkpoints = CheckpointDirectory(tf.train.Checkpoint(v=variable), directory)
    path = checkpoints.restore()
    return float(variable.numpy()), path, checkpoints


def contents(directory):
    return {name: (directory / name).read_bytes() for name in os.listdir(directory)
            if name.startswith("ckpt-")}


def warnings_of(caplog):
    return [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]


def test_saves_and_restores_the_latest(tmp_path):
    trained(str(tmp_path), [10.0, 20.0])
    value, path, _ = restored(str(tmp_path))
    assert (value, path) == (20.0, str(tmp_path / "ckpt-2"))


@pytest.mark.parametrize("state", [
    b"\x00\xffgarbage {{", b"model_checkpoint_path: 1", b"", b"all_model_checkpoint_paths: 'x'",
    b'model_checkpoint_path: "/elsewhere/ckpt-2"', b'model_checkpoint_path: "../ckpt-2"',
    b'model_checkpoint_path: "ckpt-\xc2\xb2"', b'model_checkpoint_path: "ckpt-7"', None])
def test_unusable_state_restores_the_newest_readable_checkpoint(tmp_path, caplog, state):
    trained(str(tmp_path), [10.0, 20.0])
    state_file = tmp_path / "checkpoint"
    if state is None:
        state_file.unlink()
    else:
        state_file.write_bytes(state)
    before = contents(tmp_path)
    with caplog.at_level("WARNING", logger="tf_dynemb"):
        value, path, checkpoints = restored(str(tmp_path))
    assert (value, path) == (20.0, str(tmp_path / "ckpt-2"))
    assert any(m.startswith(f"Checkpoint state {state_file} is unusable: ") and
               m.endswith(f"Restoring the newest readable checkpoint on disk, {path}.")
               for m in warnings_of(caplog)), warnings_of(caplog)
    # The next save takes a new number; nothing that was there is overwritten or deleted.
    assert checkpoints.save() == str(tmp_path / "ckpt-3")
    after = contents(tmp_path)
    assert {k: after[k] for k in before} == before
    assert restored(str(tmp_path))[:2] == (20.0, str(tmp_path / "ckpt-3"))


def test_unreadable_newest_checkpoint_is_skipped_with_a_warning(tmp_path, caplog):
    trained(str(tmp_path), [10.0, 20.0])
    (tmp_path / "ckpt-2.index").write_bytes(b"not an index")
    (tmp_path / "checkpoint").write_bytes(b"garbage")
    with caplog.at_level("WARNING", logger="tf_dynemb"):
        value, path, _ = restored(str(tmp_path))
    assert (value, path) == (10.0, str(tmp_path / "ckpt-1"))
    assert any(m.startswith(f"Skipping {tmp_path / 'ckpt-2'}: it cannot be read")
               for m in warnings_of(caplog))


def test_unusable_state_without_a_readable_checkpoint_is_an_error(tmp_path):
    (tmp_path / "checkpoint").write_bytes(b"garbage")
    (tmp_path / "ckpt-4.index").write_bytes(b"not an index")
    with pytest.raises(ValueError, match=(
            f"Checkpoint state {tmp_path / 'checkpoint'} is unusable: it cannot be parsed as "
            "a checkpoint state; and no readable ckpt-N.index checkpoint is in .*Restore it, "
            "or remove it to start training from scratch.")):
        restored(str(tmp_path))


def test_saves_never_overwrite_and_keep_the_newest_three(tmp_path):
    # A state file older than the checkpoints on disk (ckpt-5 is not in it).
    _, checkpoints = trained(str(tmp_path), [1.0, 2.0])
    (tmp_path / "ckpt-5.index").write_bytes(b"someone else's")
    (tmp_path / "ckpt-6.data-00000-of-00001").write_bytes(b"someone else's")
    _, _, checkpoints = restored(str(tmp_path))
    assert [os.path.basename(checkpoints.save()) for _ in range(3)] == [
        "ckpt-7", "ckpt-8", "ckpt-9"]
    names = sorted(os.listdir(tmp_path))
    # ckpt-1 and ckpt-2 (listed by the state file) are deleted as the oldest;
    # ckpt-5 and ckpt-6 were never listed and stay.
    assert [n.split(".")[0] for n in names if n.endswith(".index")] == [
        "ckpt-5", "ckpt-7", "ckpt-8", "ckpt-9"]
    assert "ckpt-6.data-00000-of-00001" in names
    assert tf.train.get_checkpoint_state(str(tmp_path)).all_model_checkpoint_paths == [
        str(tmp_path / f"ckpt-{n}") for n in (7, 8, 9)]


def test_listed_paths_outside_the_directory_are_never_deleted(tmp_path):
    outside = tmp_path / "outside"
    inside = tmp_path / "run"
    outside.mkdir()
    (outside / "model.index").write_bytes(b"keep me")
    trained(str(inside), [1.0])
    (inside / "checkpoint").write_text(
        f'model_checkpoint_path: "ckpt-1"\nall_model_checkpoint_paths: "{outside}/model"\n'
        'all_model_checkpoint_paths: "ckpt-1"\n')
    _, _, checkpoints = restored(str(inside))
    for _ in range(4):
        checkpoints.save()
    assert (outside / "model.index").read_bytes() == b"keep me"


def test_checkpoint_numbers_are_ascii_decimals_within_int64(tmp_path, caplog):
    trained(str(tmp_path), [1.0])
    for name in ["ckpt-².index", "ckpt-٣.index", "ckpt-99999999999999999999.index"]:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "checkpoint").unlink()
    with caplog.at_level("WARNING", logger="tf_dynemb"):
        value, path, checkpoints = restored(str(tmp_path))
        assert checkpoints.save() == str(tmp_path / "ckpt-2")
    assert (value, path) == (1.0, str(tmp_path / "ckpt-1"))
    for name, why in [("ckpt-².index", "'²' is not a plain ASCII decimal number"),
                      ("ckpt-٣.index", "'٣' is not a plain ASCII decimal number"),
                      ("ckpt-99999999999999999999.index",
                       f"99999999999999999999 is above int64's maximum, {INT64_MAX}")]:
        assert f"Ignoring {tmp_path / name}: not a checkpoint ({why})." in warnings_of(caplog)
    (tmp_path / f"ckpt-{INT64_MAX}.index").write_bytes(b"x")
    with pytest.raises(OverflowError, match=f"The next checkpoint number would be "
                                            f"{INT64_MAX + 1}, above int64's maximum"):
        checkpoints.save()
