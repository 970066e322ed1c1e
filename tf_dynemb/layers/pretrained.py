"""`DynamicEmbedding` layers whose rows start from pretrained vectors: word
vector files, or a keras_hub model's token embeddings."""

import keras
import numpy as np

from tf_dynemb.layers import vocabulary_reference
from tf_dynemb.vectors import check_table_rows, load_text_vectors
from tf_dynemb.vocabulary import open_regular_file


def from_vectors(cls, path, vocabulary=None, wordpiece_vocabulary=None, piece_vectors=None,
                 **kwargs):
    """A `cls` layer whose word rows are pretrained vectors.

    Args:
        path: a word2vec / GloVe / fastText `.vec` text file (header
            optional), or a `.npy` matrix whose rows match `vocabulary`.
        vocabulary: the words of a `.npy` matrix (a list or a file); ignored
            for text files, which name their words.
        wordpiece_vocabulary: pieces, as for the constructor.
        piece_vectors: optional `[len(pieces), D]` rows for the pieces;
            otherwise pieces and buckets start from the initializer.
        **kwargs: the other constructor arguments. `compose_words` defaults
            to False here, so a word's vector stays its pretrained vector;
            `fit_subwords()` then fits the subword rows to the vectors.
    """
    kwargs.setdefault("compose_words", False)
    if str(path).endswith(".npy"):
        if vocabulary is None:
            raise ValueError(f"{path} is a .npy matrix: pass `vocabulary`, its row words.")
        words = vocabulary_reference.as_tokens(vocabulary, "vocabulary")
        with open_regular_file(path) as f:
            matrix = np.load(f)
        if matrix.ndim != 2 or matrix.shape[0] != len(words):
            raise ValueError(f"{path} has shape {matrix.shape}; expected "
                             f"[{len(words)}, D] for the {len(words)} words given.")
        matrix = check_table_rows(matrix, path, words)
    else:
        words, matrix = load_text_vectors(path)
    layer = cls(int(matrix.shape[1]), vocabulary=words,
                wordpiece_vocabulary=wordpiece_vocabulary, **kwargs)
    layer.build()
    layer.assign_rows(0, matrix)
    if piece_vectors is not None:
        layer.assign_rows(len(words), check_table_rows(
            keras.ops.convert_to_numpy(piece_vectors), "piece_vectors",
            layer.get_wordpiece_vocabulary()))
    return layer


def from_keras_hub(cls, tokenizer, embedding_matrix, vocabulary=None, **kwargs):
    """A `cls` layer whose piece rows are a keras_hub model's token embeddings.

    Args:
        tokenizer: a `keras_hub.tokenizers.WordPieceTokenizer`; its vocabulary
            (in id order) becomes `wordpiece_vocabulary`.
        embedding_matrix: `[vocabulary_size, D]`, row i for token id i (for
            example a BERT backbone's token embedding weights).
        vocabulary: optional whole words, initialised by the initializer.
        **kwargs: the other constructor arguments. The tokenizer's suffix
            indicator and its `lowercase` and `strip_accents` are used, and its
            OOV token when there are no buckets.
            `num_ngram_buckets` defaults to 0 and `compose_words` to False
            here: a word is pooled from the pretrained pieces alone, as the
            keras_hub model pools it.
    """
    kwargs.setdefault("num_ngram_buckets", 0)
    kwargs.setdefault("compose_words", False)
    pieces = list(tokenizer.get_vocabulary())
    matrix = keras.ops.convert_to_numpy(embedding_matrix)
    if matrix.ndim != 2 or matrix.shape[0] != len(pieces):
        raise ValueError(f"`embedding_matrix` has shape {matrix.shape}; expected "
                         f"[{len(pieces)}, D] for the tokenizer's {len(pieces)} tokens.")
    kwargs.setdefault("suffix_indicator", getattr(tokenizer, "suffix_indicator", "##"))
    for option in ("lowercase", "strip_accents"):
        if isinstance(getattr(tokenizer, option, None), bool):
            kwargs.setdefault(option, getattr(tokenizer, option))
    oov = getattr(tokenizer, "oov_token", None)
    if kwargs.get("num_oov_buckets", 1000) == 0 and oov in pieces:
        kwargs.setdefault("unknown_token", oov)
    layer = cls(int(matrix.shape[1]), vocabulary=vocabulary, wordpiece_vocabulary=pieces,
                **kwargs)
    layer.build()
    layer.assign_rows(len(layer.get_vocabulary()), matrix)
    return layer
