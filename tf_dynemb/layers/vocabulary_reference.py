"""How a layer's vocabularies travel in its config.

A vocabulary of at most `INLINE_TOKEN_LIMIT` tokens is written into the
config as a list, so `from_config`, `keras.models.clone_model` and a `.keras`
file rebuild the same layer anywhere. A larger one would make configs of tens
of megabytes; its config holds a reference instead:
`{"sha256": ..., "size": N, "path": file or None}`. `from_config` resolves it
from the tokens of a live layer of this process (clone_model, tuners), else
from `path` if that file still holds the same tokens; a `.keras` file carries
such a vocabulary as an asset and loads it from there.
"""

import collections.abc
import hashlib
import os
import weakref

from tf_dynemb import keras_compat
from tf_dynemb.vocabulary import check_tokens, load_vocabulary

INLINE_TOKEN_LIMIT = 100_000
"""Vocabularies up to this many tokens are inlined in `get_config()`."""


class Tokens(collections.abc.Sequence):
    """A vocabulary: tokens in row order, with the file it came from. (Not a
    list: Keras would wrap a list attribute of a layer in a tracking list.)"""

    def __init__(self, tokens=(), source_path=None):
        self._tokens = tuple(tokens)
        self.source_path = source_path
        self._sha256 = None

    def __len__(self):
        return len(self._tokens)

    def __getitem__(self, index):
        return self._tokens[index]

    @property
    def sha256(self):
        if self._sha256 is None:
            digest = hashlib.sha256()
            for token in self:
                digest.update(token.encode("utf-8", "surrogateescape") + b"\n")
            self._sha256 = digest.hexdigest()
        return self._sha256


# Tokens of live layers whose config holds a reference, by fingerprint.
_LIVE = weakref.WeakValueDictionary()


def as_tokens(value, name):
    """`value` (None, a list of strings, or a vocabulary file) as `Tokens`."""
    if value is None:
        return Tokens()
    if isinstance(value, Tokens):
        return value
    if isinstance(value, (str, os.PathLike)):
        path = os.fspath(value)
        refuse_path_in_safe_mode(name, path)
        return Tokens(load_vocabulary(path), source_path=os.path.abspath(path))
    if isinstance(value, dict):
        raise ValueError(f"`{name}` is an unresolved vocabulary reference: {value!r}")
    return Tokens(check_tokens(value, name))


def to_config(tokens):
    """The config value of a vocabulary: a list, or a reference."""
    if len(tokens) <= INLINE_TOKEN_LIMIT:
        return list(tokens)
    _LIVE[tokens.sha256] = tokens
    return {"sha256": tokens.sha256, "size": len(tokens), "path": tokens.source_path}


def is_reference(value):
    return isinstance(value, dict)


def resolve(reference):
    """The `Tokens` a reference names, or None when neither a live layer nor
    its file has them (a `.keras` file then supplies them as an asset).
    While Keras deserializes in safe mode, always None: a `.keras` file reads
    only the vocabularies it carries."""
    if keras_compat.in_safe_mode():
        return None
    tokens = _LIVE.get(reference["sha256"])
    if tokens is not None:
        return tokens
    path = reference.get("path")
    if path and os.path.isfile(path):
        tokens = Tokens(load_vocabulary(path), source_path=path)
        if tokens.sha256 == reference["sha256"]:
            return tokens
    return None


def refuse_path_in_safe_mode(name, path):
    """Raises ValueError while Keras deserializes with `safe_mode=True`: a
    config (of a `.keras` file, say) must not make the loader read files."""
    if keras_compat.in_safe_mode():
        raise ValueError(
            f"`{name}` is a file path in a config deserialized with Keras's safe_mode=True; "
            "in safe mode a config's vocabulary must be a list of tokens or an asset of its "
            ".keras file, so that loading reads no other file. If you trust the file, load it "
            "with `keras.models.load_model(..., safe_mode=False)`. "
            f"Received: {name}={path[:200]!r}")


def asset_path(dir_path, name):
    """The vocabulary asset `name` of a `.keras` file's layer folder; raises
    ValueError when the file does not carry it."""
    path = os.path.join(dir_path, name)
    if not os.path.isfile(path):
        raise ValueError(f"The .keras file carries no vocabulary asset {name!r}, which its "
                         "config references. Received: the layer's assets "
                         f"{sorted(os.listdir(dir_path)) if os.path.isdir(dir_path) else []}")
    return path


def check_build_sizes(build_config, sizes):
    """Raises ValueError unless a build config's `vocabulary_sizes` (words,
    pieces) equal `sizes`, those of the layer's config."""
    given = build_config.get("vocabulary_sizes")
    if not isinstance(given, (list, tuple)) or list(given) != list(sizes):
        raise ValueError(
            f"The build config's vocabulary_sizes (words, pieces) disagree with the layer's "
            f"vocabularies. Received: vocabulary_sizes={given!r:.80}, vocabularies of sizes "
            f"{list(sizes)}")


def check_table_shape(store, shape):
    """Raises ValueError unless the saved table (variable "0" of a Keras
    weights store) has `shape`, that of the vocabularies."""
    saved = tuple(store["0"].shape) if "0" in store else None
    if saved is not None and saved != tuple(shape):
        raise ValueError(
            f"The saved table has shape {saved}; the layer's vocabularies make a table of "
            f"shape {tuple(shape)} (words + pieces + buckets, output_dim).")
