"""A loopback ParameterServerStrategy cluster in one process, for the tests of
tf_dynemb.distribute.ParameterServerTrainer (run by tests/test_ps_training.py
in fresh processes: a process can hold one such cluster, whose servers never
stop, and connecting to it changes TensorFlow's eager context).

Usage: python tests/ps_cluster.py --task={sgd,lazy_adam,checkpoint} --output=FILE.npz
    [--checkpoint_dir=DIR]
"""

import argparse
import os
import socket
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import strategy_fit  # noqa: E402

NUM_WORKERS, NUM_PS = 2, 2
STEPS, BATCH = 6, 16


def free_port():
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def start_cluster(partitioner):
    """Workers and parameter servers as in-process servers on loopback; this
    process is the chief (the coordinator)."""
    spec = tf.train.ClusterSpec({
        "chief": [f"localhost:{free_port()}"],
        "worker": [f"localhost:{free_port()}" for _ in range(NUM_WORKERS)],
        "ps": [f"localhost:{free_port()}" for _ in range(NUM_PS)],
    })
    # As TensorFlow's own in-process clusters: a worker with fewer inter-op
    # threads than workers + 1 can hang.
    config = tf.compat.v1.ConfigProto(inter_op_parallelism_threads=NUM_WORKERS + 1)
    for job, count in (("worker", NUM_WORKERS), ("ps", NUM_PS)):
        for i in range(count):
            tf.distribute.Server(spec, job_name=job, task_index=i, protocol="grpc",
                                 config=config, start=True)
    resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(
        spec, rpc_layer="grpc", task_type="chief", task_id=0)
    return tf.distribute.experimental.ParameterServerStrategy(
        resolver, variable_partitioner=partitioner)


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


def main():
    from tf_dynemb.distribute import ParameterServerTrainer

    parser = argparse.ArgumentParser()
    parser.add_argument("--task", choices=("sgd", "lazy_adam"))
    parser.add_argument("--output")
    parser.add_argument("--checkpoint_dir")
    args = parser.parse_args()
    # The table (99 x 8 float32, 3,168 bytes) gets 2 shards; the Dense layer's
    # kernel (32 bytes) and bias stay whole.
    strategy = start_cluster(tf.distribute.experimental.partitioners.MinSizePartitioner(
        min_shard_bytes=1024, max_shards=NUM_PS))
    model = sharded_model(strategy)
    table = table_of(model)
    results = {"num_shards": len(table.value.variables),
               "shard_devices": [s.device for s in table.value.variables]}
    with strategy.scope():
        optimizer = strategy_fit.make_optimizer(args.task)
        metric = __import__("keras").metrics.MeanAbsoluteError()
    trainer = ParameterServerTrainer(model, "mse", optimizer, metrics=[metric], strategy=strategy,
                                     checkpoint_dir=args.checkpoint_dir,
                                     max_steps_in_flight=1 if args.task == "sgd" else None)
    history = trainer.fit(dataset_fn, steps_per_epoch=STEPS // 2, epochs=2)
    results.update({f"history/{k}": np.array(v) for k, v in history.items()})
    results.update({f"weight/{i}": w for i, w in enumerate(model.get_weights())})
    results["iterations"] = int(optimizer.iterations.numpy())
    results["loss_count"] = float(trainer.loss_tracker.count.numpy())
    results["slot_shapes"] = [tuple(v.shape) for v in optimizer.variables if len(v.shape) == 2]
    if args.task == "sgd":
        results.update({f"single/{i}": w for i, w in enumerate(single_device_sgd())})
    np.savez(args.output, **{k: np.array(v, dtype=object) if isinstance(v, list) else v
                             for k, v in results.items()})


if __name__ == "__main__":
    main()
