"""The embedding-only export: a vocabulary and a table served on their own,
`embed_words` (words -> vectors and kinds) and `serving_default` (sentences ->
the mean of their words' vectors). For a trained Keras model, prefer
`export_model`, which serves the model itself."""

import os
import numpy as np
import tensorflow as tf

from tf_dynemb.contract import check_combiner
from tf_dynemb.flavors import check_flavor
from tf_dynemb.model_format import VocabularyConfig, decode_model
from tf_dynemb.ops import build_model, lookup
from tf_dynemb.reference import ReferenceLookup
from tf_dynemb.serving.versions import write_version
from tf_dynemb.serving.warmup import write_export_info, write_warmup
from tf_dynemb.text import basic_tokenize, normalize_words


class EmbeddingServer(tf.Module):
    """Serving signatures over one vocabulary model and table.

    `embed_words`: `words` string `[None]` -> `embeddings` float32 `[None, D]`
    and `kind` int32 `[None]`. `embed_sentences`: `sentences` string `[None]`
    -> `embedding` float32 `[None, D]`, the mean of its words' vectors (zeros
    for a sentence without words). Sentences are split as `TextEmbedding`
    splits them (`tf_dynemb.text.basic_tokenize`, lowercased, punctuation
    kept as words; core TF ops only, so the fused flavor needs no TF Text op).
    Words are normalized as a `DynamicEmbedding` with `lowercase` and
    `strip_accents` normalizes them; sentences are always lowercased, and
    have their accents stripped with `strip_accents`.
    """

    def __init__(self, vocabulary_model, table, flavor="portable", combiner="mean", name=None,
                 lowercase=False, strip_accents=False):
        super().__init__(name=name)
        self.normalization = (lowercase, strip_accents)
        check_flavor(flavor)
        check_combiner(combiner)
        config = decode_model(vocabulary_model)
        table = np.asarray(table, dtype=np.float32)
        if table.ndim != 2 or table.shape[0] != config.num_rows:
            raise ValueError(
                f"`table` must be [{config.num_rows}, D] for this vocabulary. "
                f"Received: shape={table.shape}"
            )
        self.flavor = flavor
        self.combiner = combiner
        self.dim = int(table.shape[1])
        self.table = tf.Variable(table, trainable=False, name="table")
        if flavor == "fused":
            self._vocabulary_model = tf.constant(tf.get_static_value(vocabulary_model), tf.uint8)
        else:
            self._reference = ReferenceLookup(config)

    def _lookup(self, words):
        """(vectors, kinds) of normalized `words`."""
        if self.flavor == "fused":
            return lookup(words, self.table, self._vocabulary_model, self.combiner,
                          return_kind=True)
        return self._reference(words, self.table, self.combiner, return_kind=True)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="words")])
    def embed_words(self, words):
        embeddings, kind = self._lookup(normalize_words(words, *self.normalization))
        return {"embeddings": embeddings, "kind": kind}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="sentences")])
    def embed_sentences(self, sentences):
        # Normalized once, before the split (as TextEmbedding and learn-vocab
        # do): a word of combining marks alone is then no word.
        words = basic_tokenize(sentences, lowercase=True, strip_accents=self.normalization[1])
        embeddings, _ = self._lookup(words)
        sums = tf.reduce_sum(embeddings, axis=1)
        counts = tf.cast(tf.maximum(words.row_lengths(), 1), tf.float32)[:, tf.newaxis]
        return {"embedding": tf.ensure_shape(sums / counts, [None, self.dim])}

    def signatures(self):
        return {
            "serving_default": self.embed_sentences.get_concrete_function(),
            "embed_words": self.embed_words.get_concrete_function(),
        }


def initial_table(config: VocabularyConfig, dim, vectors=None, seed=0):
    """A `[V, D]` table: word rows from `vectors` (a {word: vector} dict) where
    given, every other row drawn from N(0, 0.1^2) with `seed`."""
    rng = np.random.default_rng(seed)
    table = rng.normal(0.0, 0.1, size=(config.num_rows, dim)).astype(np.float32)
    if vectors:
        for i, word in enumerate(config.words):
            row = vectors.get(word.decode("utf-8", "surrogateescape"))
            if row is not None:
                table[i] = row
    return table


def server_from_keras(model, flavor="portable", path=None):
    """The server of the one DynamicEmbedding of a Keras model (`model`: a
    `keras.Model`, or the path of a saved `.keras` model, loaded here): its
    trained table, vocabularies and combiner. Errors name `path` (default:
    the path given, else the model's name).

    Refused when that layer sits inside a TextEmbedding or HybridEmbedding:
    their tokenization or encoder would not be served (use `export_model`).
    """
    import keras

    from tf_dynemb.keras_compat import flatten_layers
    from tf_dynemb.layers import HybridEmbedding, TextEmbedding, dynamic_embeddings

    if isinstance(model, (str, os.PathLike)):
        path = path or os.fspath(model)
        model = keras.models.load_model(model)
    path = path or f"the model '{model.name}'"
    found = dynamic_embeddings(model)
    if len(found) != 1:
        names = [layer.name for layer in found]
        raise ValueError(
            f"{path} must hold exactly one DynamicEmbedding layer to export its embedding; "
            f"found {len(found)}: {names}. Use tf_dynemb.serving.export_model to serve the "
            "whole model.")
    layer = found[0]
    for outer in flatten_layers(model):
        inner = (getattr(outer, "embedding", None), getattr(outer, "static", None))
        if isinstance(outer, (TextEmbedding, HybridEmbedding)) and layer in inner:
            raise ValueError(
                f"The DynamicEmbedding '{layer.name}' of {path} belongs to the "
                f"{type(outer).__name__} '{outer.name}', whose "
                f"{'tokenization' if isinstance(outer, TextEmbedding) else 'encoder'} an "
                "embedding-only export would not serve. Use tf_dynemb.serving.export_model to "
                "serve the whole model.")
    return EmbeddingServer(layer.vocabulary_model, keras.ops.convert_to_numpy(layer.embeddings),
                           flavor=flavor, combiner=layer.combiner, lowercase=layer.lowercase,
                           strip_accents=layer.strip_accents)


def make_server(words, pieces, dim, num_oov_buckets=1000, combiner="mean",
                flavor="portable", vectors=None, seed=0):
    """Builds the model and table from vocabularies and returns the server."""
    vocabulary_model = build_model(words, pieces, num_oov_buckets=num_oov_buckets)
    table = initial_table(decode_model(vocabulary_model), dim, vectors, seed)
    return EmbeddingServer(vocabulary_model, table, flavor=flavor, combiner=combiner)


def export(output_dir, words, pieces, dim, num_oov_buckets, combiner, flavor,
           vectors=None, version=None, seed=0):
    """Builds a server from vocabularies and writes it as the next version
    (or `version`) under `output_dir`; returns the version directory."""
    server = make_server(words, pieces, dim, num_oov_buckets, combiner, flavor, vectors, seed)
    return write_server(server, output_dir, version)


WARMUP_SENTENCES = ["the quick brown fox", "tokenization of unseen words", ""]


def write_server(server, output_dir, version=None):
    """Writes an `EmbeddingServer` as a version directory with warmup
    requests; returns its path."""

    def fill(staging):
        tf.saved_model.save(server, staging, signatures=server.signatures())
        write_warmup(staging, [
            ("serving_default", {"sentences": WARMUP_SENTENCES}),
            ("embed_words", {"words": WARMUP_SENTENCES[0].split()}),
        ])
        write_export_info(staging, flavor=server.flavor, contents="embedding")

    return write_version(output_dir, version, fill)
