"""What a path holds: a `.keras` model, an exported SavedModel or a model
buffer file, and what can be read from each without running it."""

import os

from tf_dynemb._loader import model_format
from tf_dynemb.cli.errors import CommandError


def model_magic():
    """The first bytes of a model buffer."""
    return model_format()["magic"].encode("ascii")


def kind_of(path):
    """"keras", "saved_model" or "model_buffer"; CommandError for anything else."""
    if os.path.isdir(path):
        if os.path.isfile(os.path.join(path, "saved_model.pb")):
            return "saved_model"
        from tf_dynemb.serving.version_dirs import versions as version_numbers

        versions = [v for v in version_numbers(path)
                    if os.path.isfile(os.path.join(path, str(v), "saved_model.pb"))]
        if versions:
            raise CommandError(f"{path} is a model base directory with versions {versions}; "
                               f"pass a version directory, such as "
                               f"{os.path.join(path, str(versions[-1]))}.")
        raise CommandError(f"{path} is a directory without saved_model.pb; expected a "
                           f"SavedModel version directory (such as models/embeddings/1).")
    if not os.path.isfile(path):
        raise CommandError(f"{path} does not exist.")
    if path.endswith(".keras"):
        return "keras"
    magic = model_magic()
    with open(path, "rb") as f:
        if f.read(len(magic)) == magic:
            return "model_buffer"
    raise CommandError(f"{path} is neither a .keras model, a SavedModel directory nor a "
                       f"tf_dynemb model buffer.")


# Keras's deserialization errors quote whole configs, vocabularies included.
ERROR_QUOTE_LIMIT = 400


def load_keras(path):
    """The model in a .keras file; CommandError, its message cut, when Keras
    cannot rebuild it (a layer of another version, a class not imported)."""
    import keras

    import tf_dynemb  # noqa: F401  (registers the layers and optimizers)

    try:
        return keras.models.load_model(path)
    except (TypeError, ValueError) as e:
        message = " ".join(str(e).split())
        if len(message) > ERROR_QUOTE_LIMIT:
            message = (f"{message[:ERROR_QUOTE_LIMIT]}... ({len(message)} characters; "
                       f"load it in Python for the whole message)")
        raise CommandError(f"Keras cannot load {path}: {message}") from None


def read_saved_model(path):
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
        proto.ParseFromString(f.read())
    return proto.meta_graphs[0]


def op_types(meta_graph):
    graph = meta_graph.graph_def
    found = {node.op for node in graph.node}
    for function in graph.library.function:
        found |= {node.op for node in function.node_def}
    return found


def flavor(meta_graph, path=None):
    """The flavor the export recorded (`path` given), else read off its ops."""
    if path is not None:
        from tf_dynemb.serving import read_export_info

        info = read_export_info(path)
        if info is not None:
            return info["flavor"]
    ops = op_types(meta_graph)
    if any(op.startswith("TfDynemb") for op in ops):
        return "fused"
    if any(op.startswith("FastWordpiece") for op in ops):
        return "portable"
    return "unknown"


def model_buffers(meta_graph):
    """Model buffers held as constants in the SavedModel, as bytes."""
    import tensorflow as tf

    graph = meta_graph.graph_def
    nodes = list(graph.node) + [n for f in graph.library.function for n in f.node_def]
    found = []
    magic = model_magic()
    for node in nodes:
        if node.op != "Const" or node.attr["dtype"].type != tf.uint8.as_datatype_enum:
            continue
        content = node.attr["value"].tensor.tensor_content
        if content.startswith(magic) and content not in found:
            found.append(content)
    return found


def signatures(meta_graph):
    """{name: (inputs, outputs)}, each a list of (name, dtype, shape)."""
    import tensorflow as tf

    def tensors(mapping):
        out = []
        for key in sorted(mapping):
            info = mapping[key]
            shape = [d.size for d in info.tensor_shape.dim] if not \
                info.tensor_shape.unknown_rank else None
            out.append((key, tf.dtypes.as_dtype(info.dtype).name, shape))
        return out

    return {name: (tensors(sig.inputs), tensors(sig.outputs))
            for name, sig in sorted(meta_graph.signature_def.items())
            if not name.startswith("__")}


def variables(meta_graph):
    """[(name, dtype, shape, copies)] of the variables in the SavedModel's object
    graph, each once: a Keras export tracks a variable under several
    attributes (`variables`, `_all_variables`) and `copies` counts them."""
    import tensorflow as tf

    counts = {}
    for node in meta_graph.object_graph_def.nodes:
        if node.WhichOneof("kind") == "variable":
            var = node.variable
            key = (var.name, tf.dtypes.as_dtype(var.dtype).name,
                   tuple(d.size for d in var.shape.dim))
            counts[key] = counts.get(key, 0) + 1
    return [(name, dtype, list(shape), copies)
            for (name, dtype, shape), copies in counts.items()]
