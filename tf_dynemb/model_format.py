"""The model buffer seen from Python: the vocabularies it holds.

The format itself is described once, in C++ (ops/core/model_format.h); this
module asks the op library to validate and decode a buffer.
"""

import dataclasses

import numpy as np
import tensorflow as tf

from tf_dynemb._loader import ops as _ops
from tf_dynemb.ops import op_error_message


@dataclasses.dataclass(frozen=True)
class VocabularyConfig:
    """Everything `build_model` was given: enough to rebuild the model."""

    words: tuple  # bytes
    pieces: tuple  # bytes
    num_oov_buckets: int
    suffix_indicator: str
    max_bytes_per_word: int
    unknown_token: object  # bytes or None
    num_ngram_buckets: int = 0
    min_n: int = 3
    max_n: int = 6
    compose_words: bool = False

    @property
    def num_rows(self):
        return (len(self.words) + len(self.pieces) + self.num_oov_buckets
                + self.num_ngram_buckets)


def decode_model(vocabulary_model):
    """Returns the `VocabularyConfig` of a vocabulary model tensor (or its
    bytes).

    The buffer is validated as the lookup validates it (checksum, every id and
    offset); raises ValueError saying what is wrong with a damaged buffer, and
    TypeError for anything but a 1-D uint8 tensor, array or bytes.
    """
    model = vocabulary_model
    if tf.is_tensor(model):
        value = tf.get_static_value(model)
        if value is None:
            raise ValueError(
                "The model tensor has no value known here (a symbolic tensor); "
                "pass the eager tensor returned by build_model."
            )
        model = value
    buf = np.frombuffer(model, np.uint8) if isinstance(model, bytes) else np.asarray(model)
    if buf.dtype != np.uint8 or buf.ndim != 1:
        raise TypeError(
            "`vocabulary_model` must be the 1-D uint8 tensor made by build_model. "
            f"Received: dtype={buf.dtype}, shape={buf.shape}"
        )
    with tf.init_scope():  # eager, even while a tf.function is traced
        try:
            (words, pieces, buckets, suffix, max_bytes, unknown, ngram_buckets, min_n, max_n,
             compose) = _ops.tf_dynemb_decode_model(model=tf.constant(buf, tf.uint8))
        except tf.errors.InvalidArgumentError as e:
            raise ValueError(op_error_message(e)) from None
    unknown = unknown.numpy()
    return VocabularyConfig(
        words=tuple(words.numpy().tolist()),
        pieces=tuple(pieces.numpy().tolist()),
        num_oov_buckets=int(buckets),
        suffix_indicator=suffix.numpy().decode("utf-8", "surrogateescape"),
        max_bytes_per_word=int(max_bytes),
        unknown_token=unknown or None,
        num_ngram_buckets=int(ngram_buckets),
        min_n=int(min_n),
        max_n=int(max_n),
        compose_words=bool(compose),
    )
