"""tf_dynemb: OOV-robust word embeddings from raw strings, for Keras and TF Serving.

`import tf_dynemb` registers every Keras layer and optimizer of the package, so
`keras.models.load_model` reads a model that holds them after this one import.
"""

from tf_dynemb.inputs import string_inputs
from tf_dynemb.kinds import BUCKET, KIND_NAMES, NGRAMS, PAD, PIECES, UNKNOWN, WORD
from tf_dynemb.model_format import VocabularyConfig, decode_model
from tf_dynemb.ops import build_model, lookup, op_library_path, segment
from tf_dynemb.reference import ReferenceLookup, reference_lookup

# Last: the layers and optimizers use the names above. Importing them registers
# their classes with Keras.
from tf_dynemb import layers, optimizers  # noqa: E402  isort: skip

__all__ = [
    "BUCKET",
    "KIND_NAMES",
    "NGRAMS",
    "PAD",
    "PIECES",
    "UNKNOWN",
    "WORD",
    "ReferenceLookup",
    "VocabularyConfig",
    "build_model",
    "decode_model",
    "layers",
    "lookup",
    "op_library_path",
    "optimizers",
    "reference_lookup",
    "segment",
    "string_inputs",
]

__version__ = "0.1.0"
