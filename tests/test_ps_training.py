"""Sharded tables under ParameterServerStrategy: lookups and gradients equal to
the unsharded layer's, ParameterServerTrainer on a loopback cluster (chief,
2 workers, 2 parameter servers) giving the single-device SGD weights, and
checkpoints that restore into another number of shards. Each cluster runs in
a fresh process (tests/ps_cluster.py)."""

import os
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT_S = 180


def run_cluster(task, tmp_path, checkpoint_dir=None):
    output = tmp_path / f"{task}.npz"
    args = [sys.executable, os.path.join(HERE, "ps_cluster.py"), f"--task={task}",
            f"--output={output}"]
    if checkpoint_dir is not None:
        args.append(f"--checkpoint_dir={checkpoint_dir}")
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"cluster task {task} ran over {TIMEOUT_S} s:\n{str(e.output)[-3000:]}")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return dict(np.load(output, allow_pickle=True))


@pytest.fixture(scope="module")
def sharding(tmp_path_factory):
    directory = tmp_path_factory.mktemp("sharding")
    return run_cluster("sharding", directory, checkpoint_dir=directory)


@pytest.mark.parametrize("combiner", ["sum", "mean", "sqrtn"])
@pytest.mark.parametrize("path", ["fused", "reference"])
def test_sharded_lookup_matches_unsharded(sharding, combiner, path):
    name = f"lookup/{combiner}/{path}"
    assert int(sharding[f"{name}/num_shards"]) == 2
    got, want = sharding[f"{name}/got"], sharding[f"{name}/want"]
    assert got.shape == want.shape == (11, 8)
    assert list(sharding[f"{name}/row_lengths"]) == [4, 4, 3]
    if path == "fused":
        # The same float sums in the same order as the fused op.
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    assert np.any(got != 0)


@pytest.mark.parametrize("combiner", ["sum", "mean", "sqrtn"])
@pytest.mark.parametrize("path", ["fused", "reference"])
def test_sharded_gradient_is_sparse_per_shard(sharding, combiner, path):
    name = f"lookup/{combiner}/{path}"
    assert list(sharding[f"{name}/gradient_types"]) == ["IndexedSlices", "IndexedSlices"]
    got, want = sharding[f"{name}/gradient_got"], sharding[f"{name}/gradient_want"]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    assert np.count_nonzero(np.any(want != 0, axis=1)) > 5


def test_sharded_text_embedding_matches_unsharded(sharding):
    assert int(sharding["text/shards"]) == 2
    got, want = sharding["text/got"], sharding["text/want"]
    assert got.shape == want.shape and got.shape[-1] == 8 and np.any(got != 0)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("seed", ["None", "3"])
def test_sharded_table_is_drawn_shard_by_shard(sharding, seed):
    # Each parameter server draws its own shard (no whole table on the chief):
    # same distribution, different values, even with one integer seed.
    shards = sharding[f"init/{seed}/shards"]
    assert shards.shape == (2, 50, 4)
    assert not np.allclose(shards[0], shards[1])
    assert np.all(np.abs(shards) <= 0.05) and np.std(shards) > 0.02
    if seed == "3":
        np.testing.assert_array_equal(shards[1], sharding["init/3/alone"])
        assert not np.allclose(shards[1], sharding["init/3/sliced"])


def test_shape_dependent_initializers_draw_the_whole_table(sharding):
    # Glorot's scale comes from the whole table's fans, not a shard's.
    shards = sharding["init/glorot/shards"]
    assert shards.shape == (2, 50, 4)
    np.testing.assert_array_equal(np.concatenate(shards), sharding["init/glorot/whole"])


def test_row_wise_constraints_go_with_each_shard_and_others_are_refused(sharding):
    assert list(sharding["constraint/1"]) == ["UnitNorm", "UnitNorm"]
    message = str(sharding["constraint/0"])
    assert "is sharded by rows" in message and "UnitNorm" in message


@pytest.mark.parametrize("restored", ["restored3", "restored1", "keras"])
def test_checkpoint_of_two_shards_restores_elsewhere(sharding, restored):
    assert int(sharding["saved/shards"]) == 2
    if restored != "keras":
        assert int(sharding[f"{restored}/shards"]) == int(restored[-1])
    saved, got = sharding["saved/weights"], sharding[f"{restored}/weights"]
    assert len(saved) == len(got) == 3
    for want, have in zip(saved, got):
        np.testing.assert_array_equal(have, want)
    np.testing.assert_allclose(sharding[f"{restored}/output"], sharding["saved/output"],
                               rtol=0, atol=1e-6)


@pytest.mark.parametrize("flavor", ["portable", "fused"])
def test_sharded_model_exports_its_table_as_one_variable(sharding, flavor):
    shapes = [tuple(s) for s in sharding[f"export/{flavor}/variable_shapes"]]
    assert (99, 8) in shapes  # the whole table, one variable
    assert not any(s[0] in (49, 50) for s in shapes if len(s) == 2)  # no shard
    # Not a constant: no float constant of the graph is nearly as large.
    assert sharding[f"export/{flavor}/largest_float_constant"] < 99
    np.testing.assert_allclose(sharding[f"export/{flavor}/output"], sharding["saved/output"],
                               rtol=0, atol=1e-6)


def test_trainer_gives_single_device_sgd_weights(tmp_path):
    result = run_cluster("sgd", tmp_path)
    assert int(result["num_shards"]) == 2
    assert len(set(result["shard_devices"])) == 2
    assert int(result["iterations"]) == 6
    weights = sorted(k for k in result if k.startswith("weight/"))
    assert len(weights) == 3
    for key in weights:
        want = result[key.replace("weight/", "single/")]
        np.testing.assert_allclose(result[key], want, rtol=0, atol=1e-5, err_msg=key)
        assert not np.allclose(result[key], result[key.replace("weight/", "initial/")]), key
    history = result["history/loss"]
    assert history.shape == (2,) and history[1] < history[0]


def test_trainer_runs_lazy_adam_asynchronously_with_checkpoints(tmp_path):
    checkpoints = tmp_path / "checkpoints"
    result = run_cluster("lazy_adam", tmp_path, checkpoint_dir=checkpoints)
    assert int(result["iterations"]) == 6  # every step counted, workers running at once
    assert float(result["loss_count"]) == 3.0  # the last epoch's steps
    history = result["history/loss"]
    assert history.shape == (2,) and np.all(np.isfinite(history)) and history[1] < history[0]
    assert result["history/mean_absolute_error"].shape == (2,)
    # One pair of Adam moments per shard (50 + 49 rows), beside each shard.
    shapes = sorted(tuple(s) for s in result["slot_shapes"])
    assert shapes.count((50, 8)) == 2 and shapes.count((49, 8)) == 2
    shard_device = dict(zip((tuple(s) for s in result["shard_shapes"]), result["shard_devices"]))
    for shape, device in zip(result["slot_shapes"], result["slot_devices"]):
        if tuple(shape) in shard_device:
            assert device == shard_device[tuple(shape)], (shape, device)
    assert sorted(os.listdir(checkpoints))[0] == "checkpoint"
    assert any(name.startswith("ckpt-2.index") for name in os.listdir(checkpoints))


def test_trainer_restarts_from_a_garbage_checkpoint_state(tmp_path):
    # The lazy_adam run replaces its `checkpoint` state file by garbage after
    # 2 epochs (ckpt-1, ckpt-2), zeroes the model and makes a new trainer.
    checkpoints = tmp_path / "checkpoints"
    result = run_cluster("lazy_adam", tmp_path, checkpoint_dir=checkpoints)
    restored = sorted(k for k in result if k.startswith("restored/") and k[9:].isdecimal())
    assert len(restored) == 3
    for key in restored:  # the newest checkpoint's weights, not zeros
        np.testing.assert_array_equal(result[key], result[key.replace("restored/", "weight/")])
        assert np.any(result[key] != 0), key
    state, used = checkpoints / "checkpoint", checkpoints / "ckpt-2"
    assert any(f"Checkpoint state {state} is unusable" in m and m.endswith(
        f"Restoring the newest readable checkpoint on disk, {used}.")
        for m in result["restored/warnings"]), result["restored/warnings"]
    # Its next epoch is saved as ckpt-3; ckpt-1 and ckpt-2 are left as they were.
    new = list(result["resaved/new"])
    assert "ckpt-3.index" in new and all(name.startswith("ckpt-3.") for name in new), new
    assert sorted(result["resaved/unchanged"]) == list(result["resaved/before"])
    assert {"ckpt-1.index", "ckpt-2.index"} <= set(result["resaved/before"])


def test_fit_raises_when_every_worker_is_lost(tmp_path):
    # Two workers in processes of their own are killed during an epoch of
    # 50,000 steps; fit(worker_timeout_s=3) must raise soon after, naming them.
    result = run_cluster("lost_workers", tmp_path)
    assert np.all(np.isfinite(result["first/loss"]))
    for bad in ("0", "-1.0", "nan", "'3'", "True"):
        assert str(result[f"bad_timeout/{bad}"]) == (
            "`worker_timeout_s` must be a number of seconds > 0, or None. "
            f"Received: worker_timeout_s={bad}")
    error = str(result["error"])
    assert error.startswith("WorkersLostError: All 2 workers of the cluster have been lost "
                            "for 3 s (fit's worker_timeout_s): "), error
    assert "/job:worker/replica:0/task:0: " in error and "/job:worker/replica:0/task:1: " in error
    # 3 s from when both are found lost; TensorFlow finds a dead worker at its
    # next step, within a second or two on loopback.
    assert 3.0 <= float(result["seconds_after_kill"]) < 20.0, float(result["seconds_after_kill"])


def test_trainer_and_helpers_reject_what_they_cannot_use():
    import keras

    from tf_dynemb.distribute import (ParameterServerTrainer, model_checkpoint,
                                      start_loopback_cluster)

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="needs a ParameterServerStrategy. Received: "
                                         "strategy=_DefaultDistributionStrategy"):
        ParameterServerTrainer(model, "mse", keras.optimizers.SGD())
    with pytest.raises(ValueError, match="Build model"):
        model_checkpoint(keras.Sequential([keras.layers.Dense(1)]))
    with pytest.raises(ValueError, match="`num_ps` must be an int >= 1. Received: num_ps=0"):
        start_loopback_cluster(num_workers=1, num_ps=0)


def test_coordinator_state_names_the_private_state_it_misses():
    from tf_dynemb.distribute import coordinator_state

    class Cluster:
        closure_queue, workers = object(), []

    class Coordinator:
        _cluster = Cluster()

    with pytest.raises(RuntimeError, match=r"TensorFlow's private `ClusterCoordinator._cluster`"
                                           r", which the installed TensorFlow .* lacks; it was "
                                           r"checked on TensorFlow 2\.21\.0"):
        coordinator_state.check_coordinator(object())
    with pytest.raises(RuntimeError, match=r"`_CoordinatedClosureQueue.wait\(timeout\)`"):
        coordinator_state.check_coordinator(Coordinator())
