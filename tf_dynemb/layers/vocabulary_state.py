"""The vocabularies of a `DynamicEmbedding`: their tokens, the vocabulary
model built from them, how they travel in a config and as `.keras` assets."""

import os

from tf_dynemb.layers import vocabulary_reference
from tf_dynemb.model_format import VocabularyConfig
from tf_dynemb.ops import build_model

_WORDS_ASSET = "vocabulary.txt"
_PIECES_ASSET = "wordpiece_vocabulary.txt"


def _write_tokens(path, tokens):
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in tokens))


class VocabularyState:
    """Words and pieces of one layer, and the `uint8` vocabulary model that
    the fused op reads. Until a `.keras` file brings vocabularies that are
    only referenced in a config, they are pending: their sizes are known (the
    table can be built), their tokens are not."""

    def __init__(self, num_oov_buckets, suffix_indicator, max_bytes_per_word, unknown_token,
                 subwords):
        if not isinstance(suffix_indicator, str) or not suffix_indicator:
            raise ValueError("`suffix_indicator` must be a non-empty string. "
                             f"Received: suffix_indicator={suffix_indicator!r}")
        if unknown_token is not None and not isinstance(unknown_token, str):
            raise TypeError("`unknown_token` must be None or a string. "
                            f"Received: unknown_token={unknown_token!r:.80}")
        self.num_oov_buckets = num_oov_buckets
        self.suffix_indicator = suffix_indicator
        self.max_bytes_per_word = max_bytes_per_word
        self.unknown_token = unknown_token
        self.subwords = subwords
        self.words = self.pieces = vocabulary_reference.Tokens()
        self.sizes = (0, 0)
        self.pending = None
        self._vocabulary_model = None

    def set(self, vocabulary, wordpiece_vocabulary, fixed_sizes=False):
        """Sets both vocabularies (lists, files or references); with
        `fixed_sizes` (a built table) their sizes must stay the same."""
        given = (vocabulary, wordpiece_vocabulary)
        if any(vocabulary_reference.is_reference(v) for v in given):
            resolved = [vocabulary_reference.resolve(v)
                        if vocabulary_reference.is_reference(v) else v for v in given]
            if any(v is None for v in resolved):
                # A `.keras` file brings the tokens as assets (load_assets).
                self.pending = given
                self.sizes = tuple(v["size"] if vocabulary_reference.is_reference(v)
                                   else len(vocabulary_reference.as_tokens(v, "vocabulary"))
                                   for v in given)
                return
            vocabulary, wordpiece_vocabulary = resolved
        words = vocabulary_reference.as_tokens(vocabulary, "vocabulary")
        pieces = vocabulary_reference.as_tokens(wordpiece_vocabulary, "wordpiece_vocabulary")
        if fixed_sizes and (len(words), len(pieces)) != self.sizes:
            raise ValueError(
                f"The table was built for {self.sizes[0]} words and {self.sizes[1]} pieces; "
                f"received {len(words)} and {len(pieces)}.")
        if not words and not pieces and self.num_oov_buckets == 0:
            raise ValueError(
                "The layer would have no rows: pass `vocabulary`, `wordpiece_vocabulary` or "
                "`num_oov_buckets` > 0. Received: no words, no pieces, num_oov_buckets=0")
        self._vocabulary_model = build_model(
            words, pieces, self.num_oov_buckets, self.suffix_indicator,
            self.max_bytes_per_word, self.unknown_token, **self.subwords.build_arguments())
        self.words, self.pieces = words, pieces
        self.sizes = (len(words), len(pieces))
        self.pending = None

    def require(self, layer_name):
        """Raises ValueError while the vocabularies are pending."""
        if self.pending is not None:
            raise ValueError(
                f"The vocabularies of layer '{layer_name}' are references that could not be "
                f"resolved in this process: {self.pending!r}. Load the layer from "
                "its .keras file (which carries them), or call set_vocabularies().")

    @property
    def vocabulary_model(self):
        return self._vocabulary_model

    @property
    def num_rows(self):
        """Rows of the table: words + pieces + buckets + n-gram buckets."""
        return (self.sizes[0] + self.sizes[1] + self.num_oov_buckets
                + self.subwords.num_ngram_buckets)

    @property
    def config(self):
        return VocabularyConfig(
            words=tuple(self.words), pieces=tuple(self.pieces),
            num_oov_buckets=self.num_oov_buckets, suffix_indicator=self.suffix_indicator,
            max_bytes_per_word=self.max_bytes_per_word, unknown_token=self.unknown_token,
            **self.subwords.build_arguments())

    def config_values(self):
        """(vocabulary, wordpiece_vocabulary) as a layer config holds them:
        lists, or references to large vocabularies."""
        if self.pending is not None:
            return self.pending
        return (vocabulary_reference.to_config(self.words),
                vocabulary_reference.to_config(self.pieces))

    def save_assets(self, dir_path):
        """Writes the vocabularies that a config only references."""
        for name, tokens in ((_WORDS_ASSET, self.words), (_PIECES_ASSET, self.pieces)):
            if vocabulary_reference.is_reference(vocabulary_reference.to_config(tokens)):
                _write_tokens(os.path.join(dir_path, name), tokens)

    def assets_to_load(self, dir_path):
        """(vocabulary, wordpiece_vocabulary) to set from a `.keras` file's
        assets in `dir_path`, or None when nothing is pending."""
        if self.pending is None:
            return None
        return tuple(vocabulary_reference.asset_path(dir_path, name)
                     if vocabulary_reference.is_reference(value)
                     else value
                     for name, value in zip((_WORDS_ASSET, _PIECES_ASSET), self.pending))
