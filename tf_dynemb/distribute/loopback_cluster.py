"""A ParameterServerStrategy cluster inside this process, on loopback ports.

For tests, benchmarks and trying the parameter-server code on one machine:
the workers and parameter servers are in-process `tf.distribute.Server`s and
this process is the chief (the coordinator). Such servers cannot be stopped:
make one cluster per process.

"Loopback" names the addresses the tasks reach each other on, not what the
servers listen on: TensorFlow's gRPC server (2.21) binds every interface
(0.0.0.0, which gRPC makes a dual-stack [::] socket) whatever host the cluster
spec names, and has no authentication. Anyone who can reach this machine's
ports can run ops in this process while the cluster lives; see the Security
section of docs/scaling.md.
"""

import socket
import warnings

import tensorflow as tf

from tf_dynemb.arguments import check_int_argument


def free_port():
    """A TCP port of localhost that is free now."""
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def start_loopback_cluster(num_workers=2, num_ps=2, variable_partitioner=None):
    """Starts `num_workers` workers and `num_ps` parameter servers in this
    process and returns a `ParameterServerStrategy` over them.

    Args:
        num_workers: int >= 1. Defaults to `2`.
        num_ps: int >= 1. Defaults to `2`.
        variable_partitioner: passed to the strategy, for example
            `tf.distribute.experimental.partitioners.MinSizePartitioner(...)`.
            Defaults to `None` (no sharding).
    """
    num_workers = check_int_argument("num_workers", num_workers, 1)
    num_ps = check_int_argument("num_ps", num_ps, 1)
    spec = tf.train.ClusterSpec({
        "chief": [f"localhost:{free_port()}"],
        "worker": [f"localhost:{free_port()}" for _ in range(num_workers)],
        "ps": [f"localhost:{free_port()}" for _ in range(num_ps)],
    })
    # As TensorFlow's own in-process test clusters: a worker with fewer
    # inter-op threads than workers + 1 can hang.
    config = tf.compat.v1.ConfigProto(inter_op_parallelism_threads=num_workers + 1)
    warnings.warn(
        "start_loopback_cluster: TensorFlow's gRPC servers listen on all interfaces ([::]) "
        f"without authentication, on ports {sorted(_ports(spec))}; run this only on a trusted "
        "network or behind a firewall.", RuntimeWarning, stacklevel=2)
    for job, count in (("worker", num_workers), ("ps", num_ps)):
        for i in range(count):
            tf.distribute.Server(spec, job_name=job, task_index=i, protocol="grpc",
                                 config=config, start=True)
    resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(
        spec, rpc_layer="grpc", task_type="chief", task_id=0)
    return tf.distribute.experimental.ParameterServerStrategy(
        resolver, variable_partitioner=variable_partitioner)


def _ports(spec):
    return [int(address.rsplit(":", 1)[1])
            for job in spec.jobs for address in spec.job_tasks(job)]
