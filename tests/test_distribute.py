"""Data-parallel training on raw strings: MirroredStrategy on two logical
CPUs and MultiWorkerMirroredStrategy with two workers on loopback give the
single-device weights. Strategies run in fresh processes (their devices must
be set before TensorFlow starts)."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import strategy_fit
import tf_dynemb.distribute

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT_S = 300


def run_fit(strategy, output, extra=(), env=None):
    return subprocess.Popen(
        [sys.executable, os.path.join(HERE, "strategy_fit.py"), f"--strategy={strategy}",
         f"--output={output}", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=dict(os.environ, **(env or {})))


def finish(process):
    try:
        out, _ = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
        pytest.fail(f"training process ran over {TIMEOUT_S} s:\n{out[-3000:]}")
    return process.returncode, out


@pytest.fixture(scope="module")
def single_device():
    return strategy_fit.train_all(tf.distribute.get_strategy())


def assert_same_weights(got, want):
    assert sorted(got) == sorted(want)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=0, atol=1e-5, err_msg=key)


def test_single_device_training_moves_every_kind_of_weight(single_device):
    x, _, vocabulary = strategy_fit.make_data()
    start = strategy_fit.make_model(vocabulary).get_weights()
    for name in strategy_fit.OPTIMIZERS:
        for i, w in enumerate(start):
            assert not np.allclose(single_device[f"{name}/{i}"], w), (name, i)


def test_mirrored_strategy_gives_single_device_weights(single_device, tmp_path):
    code, out = finish(run_fit("mirrored", tmp_path / "w.npz"))
    assert code == 0, out[-3000:]
    assert_same_weights(dict(np.load(tmp_path / "w.npz")), single_device)


def free_port():
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def test_multi_worker_strategy_gives_single_device_weights(single_device, tmp_path):
    cluster = {"worker": [f"localhost:{free_port()}", f"localhost:{free_port()}"]}
    workers = [
        run_fit("multiworker", tmp_path / f"w{i}.npz", env={"TF_CONFIG": json.dumps(
            {"cluster": cluster, "task": {"type": "worker", "index": i}})})
        for i in range(2)
    ]
    results = [finish(w) for w in workers]
    for code, out in results:
        assert code == 0, out[-3000:]
    for i in range(2):
        assert_same_weights(dict(np.load(tmp_path / f"w{i}.npz")), single_device)


def test_keras_still_fails_on_string_batches_under_a_strategy(tmp_path):
    """Pins the upstream faults. When this fails, Keras has changed: check
    whether `enable_string_inputs` is still needed and update docs/training.md."""
    assert tf_dynemb.distribute.keras_reduces_first_batch(), (
        "Keras no longer reduces the first batch across replicas")
    assert tf_dynemb.distribute.keras_reduces_scalar_logs_along_axis0(), (
        "Keras no longer averages multi-worker scalar logs along axis 0")
    code, out = finish(run_fit("mirrored", tmp_path / "w.npz", ["--no_workaround"]))
    assert code != 0, "fit on strings under MirroredStrategy now works without the workaround"
    assert "Value for attr 'T' of string is not in the list of allowed values" in out, out[-3000:]


def test_enable_is_explicit_and_idempotent():
    """In a fresh process: importing changes nothing; the call patches once."""
    script = """
import tf_dynemb, tf_dynemb.distribute, tf_dynemb.optimizers, tf_dynemb.layers
from keras.src.backend.tensorflow import trainer
before = (trainer.TensorFlowTrainer._maybe_symbolic_build, trainer.reduce_per_replica)
assert not any(hasattr(f, "_tf_dynemb_original") for f in before)
assert tf_dynemb.distribute.enable_string_inputs() is True
after = (trainer.TensorFlowTrainer._maybe_symbolic_build, trainer.reduce_per_replica)
assert all(a is not b for a, b in zip(after, before))
assert tf_dynemb.distribute.enable_string_inputs() is True
again = (trainer.TensorFlowTrainer._maybe_symbolic_build, trainer.reduce_per_replica)
assert again == after
assert after[0]._tf_dynemb_original is before[0] and after[1]._tf_dynemb_original is before[1]
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=TIMEOUT_S)
    assert result.stdout.strip().endswith("ok"), result.stderr[-3000:]


def test_enable_changes_nothing_on_a_keras_without_the_faults(monkeypatch):
    from tf_dynemb.distribute import first_batch_build, multi_worker_logs
    from keras.src.backend.tensorflow import trainer

    monkeypatch.setattr(first_batch_build, "keras_reduces_first_batch", lambda: False)
    monkeypatch.setattr(multi_worker_logs, "keras_reduces_scalar_logs_along_axis0",
                        lambda: False)
    # Keras's own functions, even if an earlier test here installed the workaround.
    build = trainer.TensorFlowTrainer._maybe_symbolic_build
    reduce = trainer.reduce_per_replica
    build, reduce = (getattr(f, "_tf_dynemb_original", f) for f in (build, reduce))
    monkeypatch.setattr(trainer.TensorFlowTrainer, "_maybe_symbolic_build", build)
    monkeypatch.setattr(trainer, "reduce_per_replica", reduce)
    assert tf_dynemb.distribute.enable_string_inputs() is False
    assert trainer.TensorFlowTrainer._maybe_symbolic_build is build
    assert trainer.reduce_per_replica is reduce
