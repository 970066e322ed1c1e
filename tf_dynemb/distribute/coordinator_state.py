"""What `ParameterServerTrainer` reads of TensorFlow's `ClusterCoordinator`
beyond its public API, probed: each function checks that what it reads exists
and fails with a message naming it, the installed TensorFlow and the versions
it was checked on (`CHECKED_ON`). `tests/test_ps_training.py` pins them.

The public `join()` waits without a bound: when a worker fails, the
coordinator puts its step back and waits (up to an hour, then again) for the
worker to come back, so a cluster whose workers all died blocks `join()`
forever. The trainer waits in slices instead and asks which workers are lost.
"""

import tensorflow as tf

CHECKED_ON = ("2.21.0",)
"""The TensorFlow versions whose private coordinator state this module was checked on."""


def _require(owner, name, what):
    if not hasattr(owner, name):
        raise RuntimeError(
            f"tf_dynemb relies on TensorFlow's private {what}, which the installed TensorFlow "
            f"{tf.__version__} lacks; it was checked on TensorFlow {', '.join(CHECKED_ON)}. "
            "Install one of those versions, or report this incompatibility.")
    return getattr(owner, name)


def _cluster(coordinator):
    return _require(coordinator, "_cluster", "`ClusterCoordinator._cluster`")


def check_coordinator(coordinator):
    """Raises RuntimeError unless everything read here exists."""
    cluster = _cluster(coordinator)
    queue = _require(cluster, "closure_queue", "`Cluster.closure_queue`")
    _require(queue, "wait", "`_CoordinatedClosureQueue.wait(timeout)`")
    for worker in _require(cluster, "workers", "`Cluster.workers`"):
        _require(worker, "_is_dead_with_error", "`Worker._is_dead_with_error`")
        _require(worker, "device_name", "`Worker.device_name`")


def wait_for_steps(coordinator, timeout_s):
    """`coordinator.join()` for at most `timeout_s` seconds: True when every
    scheduled step is done; raises what a step raised, as `join()` does."""
    return _cluster(coordinator).closure_queue.wait(timeout=timeout_s)


def lost_workers(coordinator):
    """{device name: error} of the workers that failed and are not back."""
    return {worker.device_name: worker._is_dead_with_error
            for worker in _cluster(coordinator).workers if worker._is_dead_with_error}


def num_workers(coordinator):
    return len(_cluster(coordinator).workers)
