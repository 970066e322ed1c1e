"""A loopback ParameterServerStrategy cluster in one process, for the tests of
tf_dynemb.distribute.ParameterServerTrainer (run by tests/test_ps_training.py
in fresh processes: a process can hold one such cluster, whose servers never
stop, and connecting to it changes TensorFlow's eager context).

Usage: python tests/ps_cluster.py --task={sgd,lazy_adam,sharding,lost_workers}
    --output=FILE.npz [--checkpoint_dir=DIR] [--worker_timeout_s=S]
"""

import argparse
import json
import logging
import os
import subprocess
import sys
import threading
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import strategy_fit  # noqa: E402

NUM_WORKERS, NUM_PS = 2, 2
STEPS, BATCH = 6, 16


def start_cluster(partitioner):
    from tf_dynemb.distribute import start_loopback_cluster

    return start_loopback_cluster(NUM_WORKERS, NUM_PS, partitioner)


def one_batch():
    """The first batch of strategy_fit's data: every worker repeats it, so the
    steps see the same data whichever worker runs them."""
    x, y, vocabulary = strategy_fit.make_data()
    return x[:BATCH].astype(str), y[:BATCH], vocabulary


def dataset_fn(input_context):
    x, y, _ = one_batch()
    return tf.data.Dataset.from_tensors((x, y)).repeat()


def single_device_sgd():
    """The weights of STEPS SGD steps of Keras fit on one device."""
    x, y, vocabulary = one_batch()
    model = strategy_fit.make_model(vocabulary)
    model.compile(strategy_fit.make_optimizer("sgd"), "mse")
    model.fit(tf.data.Dataset.from_tensors((x, y)).repeat(STEPS), epochs=1, verbose=0)
    return model.get_weights()


def sharded_model(strategy):
    _, _, vocabulary = one_batch()
    with strategy.scope():
        model = strategy_fit.make_model(vocabulary)
    return model


def table_of(model):
    return next(w for w in model.weights if "embeddings" in w.path)


class SettableShards:
    """A partitioner whose shard count the script sets before each model."""

    num_shards = 2

    def __call__(self, shape, dtype, axis=0):
        del dtype
        parts = [1] * len(shape)
        parts[axis] = min(self.num_shards, int(shape[axis])) if shape[axis] > 8 else 1
        return parts


LOOKUP_WORDS = [["the", "tokenizationally", "qzxvq", ""], ["json", "xyz", "", "42"]]


def sharding(strategy, partitioner, directory):
    """Lookups and gradients of sharded tables against the unsharded layer,
    and a checkpoint written with 2 shards restored with 3, 1 and none."""
    import keras

    from tf_dynemb.distribute import model_checkpoint
    from tf_dynemb.layers import DynamicEmbedding, TextEmbedding

    results = {}
    _, _, vocabulary = one_batch()
    pieces = list(strategy_fit.LETTERS) + ["##" + c for c in strategy_fit.LETTERS]
    words = tf.ragged.constant(LOOKUP_WORDS + [["a", "b", "c"]])
    for combiner in ("sum", "mean", "sqrtn"):
        for custom in (True, False):
            kwargs = dict(vocabulary=vocabulary, wordpiece_vocabulary=pieces, num_oov_buckets=7,
                          num_ngram_buckets=31, combiner=combiner, use_custom_op=custom)
            plain = DynamicEmbedding(8, **kwargs)
            plain.build()
            with strategy.scope():
                sharded = DynamicEmbedding(8, **kwargs)
                sharded.build()
            sharded.embeddings.assign(plain.embeddings.numpy())
            shards = list(sharded.embeddings.value.variables)
            with tf.GradientTape(persistent=True) as tape:
                want, got = plain(words), sharded(words)
                want_loss = tf.reduce_sum(want.flat_values ** 2)
                got_loss = tf.reduce_sum(got.flat_values ** 2)
            name = f"lookup/{combiner}/{'fused' if custom else 'reference'}"
            results[f"{name}/want"] = want.flat_values.numpy()
            results[f"{name}/got"] = got.flat_values.numpy()
            results[f"{name}/row_lengths"] = got.row_lengths().numpy()
            grads = tape.gradient(got_loss, shards)
            results[f"{name}/gradient_types"] = [type(g).__name__ for g in grads]
            results[f"{name}/gradient_want"] = tf.convert_to_tensor(
                tape.gradient(want_loss, plain.embeddings.value)).numpy()
            results[f"{name}/gradient_got"] = np.concatenate(
                [tf.convert_to_tensor(g).numpy() for g in grads])
            results[f"{name}/num_shards"] = len(shards)

    text_kwargs = dict(vocabulary=vocabulary, wordpiece_vocabulary=pieces, num_oov_buckets=7,
                       num_ngram_buckets=31, output_mode="sequence")
    plain_text = TextEmbedding(8, **text_kwargs)
    sentences = tf.constant(["The json module, tokenizationally.", "qzxvq CSV files"])
    plain_text(sentences)
    with strategy.scope():
        sharded_text = TextEmbedding(8, **text_kwargs)
        sharded_text(sentences)
    sharded_text.set_weights(plain_text.get_weights())
    results["text/shards"] = len(sharded_text.weights[0].value.variables)
    results["text/want"] = plain_text(sentences).numpy()
    results["text/got"] = sharded_text(sentences).numpy()

    partitioner.num_shards = 2
    for seed in (None, 3):
        with strategy.scope():
            drawn = DynamicEmbedding(4, num_oov_buckets=100, num_ngram_buckets=0,
                                     embeddings_initializer=keras.initializers.RandomUniform(
                                         -0.05, 0.05, seed=seed))
            drawn.build()
        results[f"init/{seed}/shards"] = np.array(
            [s.numpy() for s in drawn.embeddings.value.variables])
    # What shard 1 holds if drawn by itself (its seed mixed with its first
    # row), and if sliced from a whole draw.
    from tf_dynemb.tables.partitioned_init import partition_seed

    uniform = keras.initializers.RandomUniform
    results["init/3/alone"] = uniform(-0.05, 0.05, seed=partition_seed(3, 50))((50, 4)).numpy()
    results["init/3/sliced"] = uniform(-0.05, 0.05, seed=3)((100, 4)).numpy()[50:]
    # An initializer that depends on the whole shape is drawn whole and sliced.
    glorot = keras.initializers.GlorotUniform(seed=5)
    with strategy.scope():
        drawn = DynamicEmbedding(4, num_oov_buckets=100, num_ngram_buckets=0,
                                 embeddings_initializer=glorot)
        drawn.build()
    results["init/glorot/shards"] = np.array(
        [s.numpy() for s in drawn.embeddings.value.variables])
    results["init/glorot/whole"] = glorot((100, 4)).numpy()
    # A row-wise constraint goes with every shard; another one is refused.
    from tf_dynemb.distribute.parameter_server_trainer import trained_variables

    for axis in (1, 0):
        with strategy.scope():
            layer = DynamicEmbedding(4, num_oov_buckets=100, num_ngram_buckets=0,
                                     embeddings_constraint=keras.constraints.UnitNorm(axis))
            layer.build()
        try:  # a layer has `trainable_variables` as a model has
            results[f"constraint/{axis}"] = [type(v.constraint).__name__
                                             for v in trained_variables(layer)]
        except ValueError as e:
            results[f"constraint/{axis}"] = str(e)

    def build(num_shards):
        partitioner.num_shards = num_shards
        with strategy.scope():
            model = strategy_fit.make_model(vocabulary)
        model.set_weights([np.zeros(w.shape, w.dtype) for w in model.weights])
        return model

    partitioner.num_shards = 2
    with strategy.scope():
        saved = strategy_fit.make_model(vocabulary)
    path = model_checkpoint(saved).write(os.path.join(directory, "two_shards"))
    x = tf.constant(one_batch()[0])
    results["saved/weights"] = np.array(saved.get_weights(), dtype=object)
    results["saved/output"] = saved(x).numpy()
    results["saved/shards"] = len(saved.weights[0].value.variables)
    for num_shards in (3, 1):
        model = build(num_shards)
        model_checkpoint(model).read(path).assert_consumed()
        table = model.weights[0].value
        results[f"restored{num_shards}/shards"] = len(getattr(table, "variables", [table]))
        results[f"restored{num_shards}/weights"] = np.array(model.get_weights(), dtype=object)
        results[f"restored{num_shards}/output"] = model(x).numpy()
    for flavor in ("portable", "fused"):
        results.update(export(saved, x, flavor, directory))
    plain = strategy_fit.make_model(vocabulary)
    plain.set_weights([np.zeros(w.shape, w.dtype) for w in plain.weights])
    model_checkpoint(plain).read(path).assert_consumed()
    keras_path = os.path.join(directory, "restored.keras")
    plain.save(keras_path)
    loaded = keras.models.load_model(keras_path)
    results["keras/weights"] = np.array(loaded.get_weights(), dtype=object)
    results["keras/output"] = loaded(x).numpy()
    return results


def export(model, x, flavor, directory):
    """Exports the sharded `model`; returns what the SavedModel holds and
    serves."""
    from tf_dynemb.serving import export_model

    path = export_model(model, os.path.join(directory, f"export_{flavor}"), flavor=flavor)
    served = tf.saved_model.load(path).signatures["serving_default"]
    output = next(iter(served(tf.constant(x)).values())).numpy()
    variables = tf.train.list_variables(os.path.join(path, "variables", "variables"))
    return {f"export/{flavor}/output": output,
            f"export/{flavor}/variable_shapes": np.array(
                [tuple(shape) for _, shape in variables if shape], dtype=object),
            f"export/{flavor}/largest_float_constant": largest_float_constant(path)}


def largest_float_constant(path):
    """Elements of the largest floating-point constant in a SavedModel's graph."""
    from saved_model_helper import graph_nodes

    sizes = [int(np.prod([d.size for d in n.attr["value"].tensor.tensor_shape.dim]))
             for n in graph_nodes(path)
             if n.op == "Const" and tf.dtypes.as_dtype(n.attr["dtype"].type).is_floating]
    return max(sizes, default=0)


def restart_from_garbage_state(model, checkpoint_dir, make_trainer):
    """Replaces the checkpoint state file by garbage, zeroes the model, and
    makes a new trainer on the same directory: what it restores, what it
    logs, and the checkpoint its next epoch writes."""
    state = os.path.join(checkpoint_dir, "checkpoint")
    with open(state, "wb") as f:
        f.write(b"\x00garbage {{ model_checkpoint_path")
    saved = {name: open(os.path.join(checkpoint_dir, name), "rb").read()
             for name in os.listdir(checkpoint_dir) if name.startswith("ckpt-")}
    model.set_weights([np.zeros(w.shape, w.dtype) for w in model.weights])
    records = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: records.append(record.getMessage())
    logging.getLogger("tf_dynemb").addHandler(handler)
    trainer = make_trainer()
    logging.getLogger("tf_dynemb").removeHandler(handler)
    results = {f"restored/{i}": w for i, w in enumerate(model.get_weights())}
    results["restored/warnings"] = records
    trainer.fit(dataset_fn, steps_per_epoch=1, epochs=1)
    results["resaved/new"] = sorted(name for name in os.listdir(checkpoint_dir)
                                    if name.startswith("ckpt-") and name not in saved)
    results["resaved/unchanged"] = [
        name for name, data in saved.items()
        if open(os.path.join(checkpoint_dir, name), "rb").read() == data]
    results["resaved/before"] = sorted(saved)
    return results


# A worker in a process of its own, to be killed: argv[1] the cluster spec
# (JSON), argv[2] its task index.
WORKER = """
import json, sys
import tensorflow as tf
spec = tf.train.ClusterSpec(json.loads(sys.argv[1]))
server = tf.distribute.Server(spec, job_name="worker", task_index=int(sys.argv[2]),
                              protocol="grpc", start=True)
print("ready", flush=True)
server.join()
"""


def lost_workers(worker_timeout_s):
    """Trains a Dense model on 2 workers in processes of their own, kills both
    while an epoch runs, and records how `fit` ends and when."""
    from tf_dynemb.distribute.loopback_cluster import free_port

    spec = {"chief": [f"localhost:{free_port()}"], "ps": [f"localhost:{free_port()}"],
            "worker": [f"localhost:{free_port()}" for _ in range(2)]}
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, json.dumps(spec), str(i)],
                                stdout=subprocess.PIPE, text=True, env=env) for i in range(2)]
    try:
        return train_then_kill(spec, workers, worker_timeout_s)
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()


def train_then_kill(spec, workers, worker_timeout_s):
    import keras

    from tf_dynemb.distribute import ParameterServerTrainer

    for worker in workers:
        assert worker.stdout.readline().strip() == "ready"
    cluster = tf.train.ClusterSpec(spec)
    tf.distribute.Server(cluster, job_name="ps", task_index=0, protocol="grpc", start=True)
    strategy = tf.distribute.experimental.ParameterServerStrategy(
        tf.distribute.cluster_resolver.SimpleClusterResolver(
            cluster, rpc_layer="grpc", task_type="chief", task_id=0))
    with strategy.scope():
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        optimizer = keras.optimizers.SGD(0.01)
    trainer = ParameterServerTrainer(model, "mse", optimizer, strategy=strategy)

    def data(input_context):
        return tf.data.Dataset.from_tensors((tf.ones((4, 2)), tf.ones((4, 1)))).repeat()

    results = {"first/loss": trainer.fit(data, steps_per_epoch=4)["loss"]}
    for bad in (0, -1.0, float("nan"), "3", True):
        try:
            trainer.fit(data, steps_per_epoch=1, worker_timeout_s=bad)
        except ValueError as e:
            results[f"bad_timeout/{bad!r}"] = str(e)
    killed_at = []

    def kill_workers():
        time.sleep(1.0)
        for worker in workers:
            worker.kill()
            worker.wait()
        killed_at.append(time.monotonic())

    killer = threading.Thread(target=kill_workers)
    killer.start()
    try:
        trainer.fit(data, steps_per_epoch=50_000, worker_timeout_s=worker_timeout_s)
        results["error"] = "fit returned"
    except Exception as e:  # noqa: BLE001 - recorded for the test
        results["error"] = f"{type(e).__name__}: {e}"
    killer.join()
    results["seconds_after_kill"] = time.monotonic() - killed_at[0]
    return results


def main():
    from tf_dynemb.distribute import ParameterServerTrainer

    parser = argparse.ArgumentParser()
    parser.add_argument("--task", choices=("sgd", "lazy_adam", "sharding", "lost_workers"))
    parser.add_argument("--output")
    parser.add_argument("--checkpoint_dir")
    parser.add_argument("--worker_timeout_s", type=float, default=3.0)
    args = parser.parse_args()
    if args.task == "lost_workers":
        np.savez(args.output, **lost_workers(args.worker_timeout_s))
        return
    if args.task == "sharding":
        partitioner = SettableShards()
        results = sharding(start_cluster(partitioner), partitioner, args.checkpoint_dir)
        np.savez(args.output, **results)
        return
    # The table (99 x 8 float32, 3,168 bytes) gets 2 shards; the Dense layer's
    # kernel (32 bytes) and bias stay whole.
    strategy = start_cluster(tf.distribute.experimental.partitioners.MinSizePartitioner(
        min_shard_bytes=1024, max_shards=NUM_PS))
    model = sharded_model(strategy)
    table = table_of(model)
    results = {f"initial/{i}": w for i, w in enumerate(model.get_weights())}
    results.update({"num_shards": len(table.value.variables),
               "shard_devices": [s.device for s in table.value.variables]})
    with strategy.scope():
        optimizer = strategy_fit.make_optimizer(args.task)
        metric = __import__("keras").metrics.MeanAbsoluteError()

    def make_trainer():
        return ParameterServerTrainer(model, "mse", optimizer, metrics=[metric],
                                      strategy=strategy, checkpoint_dir=args.checkpoint_dir,
                                      max_steps_in_flight=1 if args.task == "sgd" else None)

    trainer = make_trainer()
    history = trainer.fit(dataset_fn, steps_per_epoch=STEPS // 2, epochs=2)
    results.update({f"history/{k}": np.array(v) for k, v in history.items()})
    results.update({f"weight/{i}": w for i, w in enumerate(model.get_weights())})
    results["iterations"] = int(optimizer.iterations.numpy())
    results["loss_count"] = float(trainer.loss_tracker.count.numpy())
    slots = [v for v in optimizer.variables if len(v.shape) == 2]
    results["slot_shapes"] = [tuple(v.shape) for v in slots]
    results["slot_devices"] = [v.value.device for v in slots]
    results["shard_shapes"] = [tuple(s.shape) for s in table.value.variables]
    if args.task == "sgd":
        results.update({f"single/{i}": w for i, w in enumerate(single_device_sgd())})
    if args.checkpoint_dir:
        results.update(restart_from_garbage_state(model, args.checkpoint_dir, make_trainer))
    np.savez(args.output, **{k: np.array(v, dtype=object) if isinstance(v, list) else v
                             for k, v in results.items()})


if __name__ == "__main__":
    main()
