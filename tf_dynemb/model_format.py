"""Reads a model buffer's vocabularies back (the layout of ops/core/model_format.h)."""

import dataclasses
import struct

import numpy as np
import tensorflow as tf

_MAGIC = 0x45444654
_VERSION = 2
_HEADER_BYTES = 64
_SUFFIX, _WORD_OFFSETS, _WORD_BYTES, _PIECE_OFFSETS, _PIECE_BYTES = range(5)
_NUM_SECTIONS = 7
# Bytes per element of each section, in section order (model_format.h).
_ELEMENT_BYTES = (1, 4, 1, 4, 1, 4, 12)
_NO_ID = 0xFFFFFFFF


@dataclasses.dataclass(frozen=True)
class VocabularyConfig:
    """Everything `build_model` was given: enough to rebuild the model."""

    words: tuple
    pieces: tuple
    num_oov_buckets: int
    suffix_indicator: str
    max_bytes_per_word: int
    unknown_token: object  # bytes or None

    @property
    def num_rows(self):
        return len(self.words) + len(self.pieces) + self.num_oov_buckets


def _strings(buf, offsets_ref, bytes_ref):
    (off_at, off_n), (b_at, b_n) = offsets_ref, bytes_ref
    offsets = np.frombuffer(buf, dtype="<u4", count=off_n, offset=off_at)
    blob = buf[b_at : b_at + b_n]
    return tuple(blob[offsets[i] : offsets[i + 1]] for i in range(off_n - 1))


def decode_model(model):
    """Returns the `VocabularyConfig` of a model tensor (or its bytes).

    Raises ValueError on a buffer that is not a tf_dynemb model; the op itself
    validates every byte, this reader only needs the header and the strings.
    """
    if tf.is_tensor(model):
        value = tf.get_static_value(model)
        if value is None:
            raise ValueError(
                "The model tensor has no value known here (a symbolic tensor); "
                "pass the eager tensor returned by build_model."
            )
        model = value
    buf = np.asarray(model, dtype=np.uint8).tobytes()
    if len(buf) < _HEADER_BYTES + 8 * _NUM_SECTIONS:
        raise ValueError(f"Not a tf_dynemb model: only {len(buf)} bytes.")
    magic, version = struct.unpack_from("<II", buf, 0)
    if magic != _MAGIC or version != _VERSION:
        raise ValueError(
            f"Not a tf_dynemb model of version {_VERSION}: magic={magic:#x}, "
            f"version={version}."
        )
    _, num_words, num_pieces, buckets, max_bytes, unknown_row = struct.unpack_from(
        "<6I", buf, 16
    )
    refs = [struct.unpack_from("<II", buf, _HEADER_BYTES + 8 * s) for s in range(_NUM_SECTIONS)]
    for (at, n), size in zip(refs, _ELEMENT_BYTES):
        if at + n * size > len(buf):
            raise ValueError("Not a tf_dynemb model: a section lies outside it.")
    words = _strings(buf, refs[_WORD_OFFSETS], refs[_WORD_BYTES])
    pieces = _strings(buf, refs[_PIECE_OFFSETS], refs[_PIECE_BYTES])
    suffix_at, suffix_n = refs[_SUFFIX]
    unknown = None if unknown_row == _NO_ID else pieces[unknown_row - num_words]
    return VocabularyConfig(
        words=words,
        pieces=pieces,
        num_oov_buckets=buckets,
        suffix_indicator=buf[suffix_at : suffix_at + suffix_n].decode("utf-8", "surrogateescape"),
        max_bytes_per_word=max_bytes,
        unknown_token=unknown,
    )
