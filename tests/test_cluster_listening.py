"""What a loopback cluster listens on: TensorFlow's gRPC server
(grpc_server_lib.cc, TF 2.21) binds "0.0.0.0:<port>", which gRPC turns into a
dual-stack wildcard socket ([::]); the host in the cluster spec is not used
for listening. docs/scaling.md says so; this test notices if it changes."""

import json
import os
import subprocess
import sys

# Prints the ports of the cluster's tasks (chief, worker, ps: the order in
# which start_loopback_cluster draws them), then waits for a line.
CLUSTER_SCRIPT = """
import json, os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
from tf_dynemb.distribute import loopback_cluster
ports, free_port = [], loopback_cluster.free_port
loopback_cluster.free_port = lambda: ports.append(free_port()) or ports[-1]
loopback_cluster.start_loopback_cluster(num_workers=1, num_ps=1)
print(json.dumps(ports), flush=True)
input()
"""


def listening_addresses(port, pid=None):
    """The local addresses ("0.0.0.0", "::", "127.0.0.1"...) of TCP sockets
    listening on `port`, from /proc/net/tcp and /proc/net/tcp6."""
    addresses = set()
    for table, family in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 6)):
        if pid is not None:
            table = f"/proc/{pid}/net/{os.path.basename(table)}"
        with open(table) as f:
            for line in f.read().splitlines()[1:]:
                fields = line.split()
                address, port_hex = fields[1].split(":")
                if fields[3] == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                    addresses.add(_address(address, family))
    return addresses


def _address(hex_address, family):
    import ipaddress

    raw = bytes.fromhex(hex_address)
    # The kernel prints each 32-bit word in host (little-endian) order.
    raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    return str(ipaddress.ip_address(raw))


def test_listening_addresses_parse():
    assert _address("0100007F", 4) == "127.0.0.1"
    assert _address("00000000000000000000000000000000", 6) == "::"
    assert _address("00000000000000000000000001000000", 6) == "::1"


def test_loopback_cluster_servers_listen_on_all_interfaces():
    env = dict(os.environ, PYTHONPATH=os.getcwd() + os.pathsep + os.environ.get("PYTHONPATH", ""))
    process = subprocess.Popen([sys.executable, "-c", CLUSTER_SCRIPT],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    try:
        ports = dict(zip(("chief", "worker", "ps"), json.loads(process.stdout.readline())))
        seen = {task: listening_addresses(port, process.pid) for task, port in ports.items()}
    finally:
        process.kill()
        _, stderr = process.communicate()
    # The caller is told, with the ports.
    assert "listen on all interfaces" in stderr and str(ports["ps"]) in stderr, stderr[-2000:]
    assert set(seen) == {"chief", "worker", "ps"}
    # Each server: one dual-stack wildcard socket, reachable from other hosts.
    assert all(addresses == {"::"} for addresses in seen.values()), seen
