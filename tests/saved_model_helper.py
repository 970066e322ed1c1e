"""Reading a SavedModel's graph in tests: its nodes and op types."""

import os

from tensorflow.core.protobuf import saved_model_pb2


def graph_nodes(path):
    """Every node of the SavedModel at `path`: the graph's and its functions'."""
    saved = saved_model_pb2.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
        saved.ParseFromString(f.read())
    graph = saved.meta_graphs[0].graph_def
    return list(graph.node) + [n for f in graph.library.function for n in f.node_def]


def op_types(path):
    """The set of op types in the SavedModel at `path`."""
    return {node.op for node in graph_nodes(path)}
