"""tf_dynemb: OOV-robust word embeddings from raw strings, for Keras and TF Serving."""

from tf_dynemb.kinds import BUCKET, KIND_NAMES, NGRAMS, PAD, PIECES, UNKNOWN, WORD
from tf_dynemb.model_format import VocabularyConfig, decode_model
from tf_dynemb.ops import build_model, lookup, op_library_path, segment
from tf_dynemb.reference import ReferenceLookup, reference_lookup

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
    "lookup",
    "op_library_path",
    "reference_lookup",
    "segment",
]

__version__ = "0.1.0"
