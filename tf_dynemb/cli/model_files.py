"""What a path holds: a `.keras` model, an exported SavedModel or a model
buffer file, and what can be read from each without running it.

Each kind of file has one loader here, which turns a damaged or unreadable
file into a CommandError naming the file and the damage: `cannot read PATH:
REASON`.
"""

import contextlib
import os
import zipfile
import zlib

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
    if not os.path.exists(path):
        raise CommandError(f"{path} does not exist.")
    if not os.path.isfile(path):
        raise CommandError(f"{path} is not a regular file, nor a directory; expected a .keras "
                           f"model, a SavedModel directory or a model buffer file.")
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


def _cut(message):
    message = " ".join(str(message).split())
    if len(message) > ERROR_QUOTE_LIMIT:
        message = (f"{message[:ERROR_QUOTE_LIMIT]}... ({len(message)} characters; "
                   f"load it in Python for the whole message)")
    return message


def cannot_read(path, reason):
    return CommandError(f"cannot read {path}: {_cut(reason)}")


@contextlib.contextmanager
def reading(path):
    """Turns an OSError of the block (a missing, unreadable file) into a
    CommandError naming `path`."""
    try:
        yield
    except OSError as e:
        raise cannot_read(e.filename or path, e.strerror or e) from None


@contextlib.contextmanager
def writing(path):
    """Turns a failure of the block to write (a full disk, no permission),
    TensorFlow's or Python's, into a CommandError naming `path`."""
    import tensorflow as tf

    try:
        yield
    except (tf.errors.ResourceExhaustedError, tf.errors.PermissionDeniedError) as e:
        from tf_dynemb.ops import op_error_message

        raise CommandError(f"cannot write {path}: {_cut(op_error_message(e))}") from None
    except OSError as e:
        reason = e.strerror or e
        raise CommandError(f"cannot write {e.filename or path}: {_cut(reason)}") from None


def _check_keras_archive(path):
    """CommandError unless `path` is a zip archive that holds a Keras config."""
    with reading(path):
        if not zipfile.is_zipfile(path):
            raise cannot_read(path, "not a valid zip archive (no zip directory: the file is "
                                    "empty, truncated or of another kind)")
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile as e:
            raise cannot_read(path, f"not a valid zip archive ({e})") from None
    if "config.json" not in names:
        raise cannot_read(path, f"not a Keras archive: it holds no config.json. Received: "
                                f"{names[:10]}")


def load_keras(path):
    """The model in a .keras file; CommandError naming the file when the
    archive or its weights are damaged, or when Keras cannot rebuild it (a
    layer of another version, a class not imported), its message cut."""
    import keras

    import tf_dynemb  # noqa: F401  (registers the layers and optimizers)

    _check_keras_archive(path)
    try:
        return keras.models.load_model(path)
    except (zipfile.BadZipFile, zlib.error, EOFError) as e:  # a damaged member
        raise cannot_read(path, f"not a valid zip archive ({e})") from None
    except OSError as e:  # h5py: a damaged model.weights.h5
        raise cannot_read(path, f"its weights are damaged ({e})") from None
    except (TypeError, ValueError) as e:
        raise CommandError(f"Keras cannot load {path}: {_cut(_deserialization_cause(e))}") \
            from None


# Keras's `deserialize_keras_object` wraps the error of a layer's
# `from_config` in a message quoting the whole config, the cause last.
_KERAS_CAUSE = "Exception encountered: "


def _deserialization_cause(error):
    """The innermost error that Keras's deserialization messages wrap, or
    `error`'s message."""
    message = str(error)
    if _KERAS_CAUSE not in message:
        return message
    return "a layer cannot be rebuilt from its config: " + message.rsplit(_KERAS_CAUSE, 1)[1]


def read_saved_model(path):
    """The MetaGraph of the SavedModel directory `path`, read without loading it."""
    from google.protobuf.message import DecodeError
    from tensorflow.core.protobuf import saved_model_pb2

    pb_path = os.path.join(path, "saved_model.pb")
    with reading(pb_path), open(pb_path, "rb") as f:
        data = f.read()
    proto = saved_model_pb2.SavedModel()
    try:
        proto.ParseFromString(data)
    except DecodeError as e:
        raise cannot_read(pb_path, f"not a SavedModel protocol buffer ({e})") from None
    if not proto.meta_graphs:
        raise cannot_read(pb_path, f"it holds no MetaGraph ({len(data)} bytes)")
    return proto.meta_graphs[0]


# What TensorFlow's loader raises for a damaged file: OpError, or, from its
# checkpoint reader, the builtin its status code maps to.
TF_READ_ERRORS = (IndexError, ValueError, RuntimeError)


def _tf_reason(error):
    import tensorflow as tf

    from tf_dynemb.ops import op_error_message

    return op_error_message(error) if isinstance(error, tf.errors.OpError) else str(error)


def load_saved_model(path):
    """`tf.saved_model.load(path)`; CommandError naming the directory, or
    the file when known, when TensorFlow cannot read it (a damaged graph or
    variables checkpoint, an op this process lacks)."""
    import tensorflow as tf

    read_saved_model(path)  # the graph first: its damage named as such
    index = os.path.join(path, "variables", "variables.index")
    if os.path.isfile(index):
        try:
            tf.train.load_checkpoint(os.path.join(path, "variables", "variables"))
        except (tf.errors.OpError, *TF_READ_ERRORS) as e:
            raise cannot_read(index, _tf_reason(e)) from None
    try:
        return tf.saved_model.load(path)
    except (tf.errors.OpError, *TF_READ_ERRORS) as e:
        raise cannot_read(path, f"TensorFlow cannot load it ({_tf_reason(e)})") from None


def export_info(path):
    """What the export at `path` recorded (None for another SavedModel);
    CommandError naming the file when it is damaged."""
    from tf_dynemb.serving import read_export_info

    with reading(path):
        try:
            return read_export_info(path)
        except ValueError as e:  # names the file
            raise CommandError(str(e)) from None


def decode_buffer(data, path):
    """The VocabularyConfig of the model buffer `data` (bytes) read from `path`."""
    import numpy as np

    from tf_dynemb import decode_model

    try:
        return decode_model(np.frombuffer(data, np.uint8))
    except ValueError as e:
        raise cannot_read(path, e) from None


def read_buffer(path):
    """The bytes of the model buffer file `path`."""
    with reading(path), open(path, "rb") as f:
        return f.read()


def op_types(meta_graph):
    graph = meta_graph.graph_def
    found = {node.op for node in graph.node}
    for function in graph.library.function:
        found |= {node.op for node in function.node_def}
    return found


def flavor(meta_graph, path=None):
    """The flavor the export recorded (`path` given), else read off its ops."""
    if path is not None:
        info = export_info(path)
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
