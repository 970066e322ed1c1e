"""SavedModels for TensorFlow Serving, with string-in signatures, in two
flavors (`tf_dynemb.flavors`): a whole trained Keras model (`export_model`), or an
embedding on its own (`EmbeddingServer`, `export`)."""

from tf_dynemb.serving.embedding_server import (
    WARMUP_SENTENCES,
    EmbeddingServer,
    export,
    initial_table,
    make_server,
    server_from_keras,
    write_server,
)
from tf_dynemb.flavors import FLAVORS
from tf_dynemb.serving.model_export import export_model
from tf_dynemb.serving.versions import next_version, write_version
from tf_dynemb.serving.warmup import read_export_info, write_export_info, write_warmup

__all__ = [
    "FLAVORS",
    "WARMUP_SENTENCES",
    "EmbeddingServer",
    "export",
    "export_model",
    "initial_table",
    "make_server",
    "next_version",
    "read_export_info",
    "server_from_keras",
    "write_export_info",
    "write_server",
    "write_version",
    "write_warmup",
]
