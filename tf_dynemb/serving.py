"""SavedModels for TensorFlow Serving: signatures that take strings and return
vectors, in two flavors.

- `fused`: the custom op (needs a tensorflow_model_server linked with
  //ops:ops_lib).
- `portable`: the reference implementation, core TF and TF Text ops only,
  which the stock tensorflow_model_server runs.

Both give the same vectors.
"""

import os
import shutil
import tempfile

import numpy as np
import tensorflow as tf

from tf_dynemb.model_format import VocabularyConfig, decode_model
from tf_dynemb.ops import COMBINERS, build_model, lookup
from tf_dynemb.reference import ReferenceLookup

FLAVORS = ("fused", "portable")
# Sentences are lowercased and split on whitespace and punctuation.
WORD_SEPARATORS = r"[\s\p{P}]+"


def split_sentences(sentences):
    """Words of each sentence, `[B, (words)]` ragged, with core TF ops only (so
    the fused flavor needs no TF Text ops)."""
    lowered = tf.strings.lower(sentences, encoding="utf-8")
    return tf.strings.split(tf.strings.regex_replace(lowered, WORD_SEPARATORS, " "))


class EmbeddingServer(tf.Module):
    """Serving signatures over one vocabulary model and table.

    `embed_words`: `words` string `[None]` -> `embeddings` float32 `[None, D]`
    and `kind` int32 `[None]`. `embed_sentences`: `sentences` string `[None]`
    -> `embedding` float32 `[None, D]`, the mean of its words' vectors (zeros
    for a sentence without words).
    """

    def __init__(self, model, table, flavor="fused", combiner="mean", name=None):
        super().__init__(name=name)
        if flavor not in FLAVORS:
            raise ValueError(f"`flavor` must be one of {FLAVORS}. Received: flavor={flavor!r}")
        if combiner not in COMBINERS:
            raise ValueError(f"`combiner` must be one of {COMBINERS}. Received: combiner={combiner!r}")
        config = decode_model(model)
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
            self._model = tf.constant(tf.get_static_value(model), tf.uint8)
        else:
            self._reference = ReferenceLookup(config)

    def _lookup(self, words):
        if self.flavor == "fused":
            return lookup(words, self.table, self._model, self.combiner, return_kind=True)
        return self._reference(words, self.table, self.combiner, return_kind=True)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="words")])
    def embed_words(self, words):
        embeddings, kind = self._lookup(words)
        return {"embeddings": embeddings, "kind": kind}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="sentences")])
    def embed_sentences(self, sentences):
        words = split_sentences(sentences)
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


def server_from_keras(path, flavor="fused"):
    """The server of the one DynamicEmbedding inside a saved `.keras` model:
    its trained table, vocabularies and combiner."""
    import keras

    from tf_dynemb.layers import DynamicEmbedding

    model = keras.models.load_model(path)
    found = [layer for layer in model._flatten_layers() if isinstance(layer, DynamicEmbedding)]
    if len(found) != 1:
        names = [layer.name for layer in found]
        raise ValueError(
            f"{path} must hold exactly one DynamicEmbedding layer to export; "
            f"found {len(found)}: {names}")
    layer = found[0]
    return EmbeddingServer(layer.vocabulary_model, keras.ops.convert_to_numpy(layer.embeddings),
                           flavor=flavor, combiner=layer.combiner)


def make_server(words, pieces, dim, num_oov_buckets=1000, combiner="mean",
                flavor="fused", vectors=None, seed=0):
    """Builds the model and table from vocabularies and returns the server."""
    model = build_model(words, pieces, num_oov_buckets=num_oov_buckets)
    table = initial_table(decode_model(model), dim, vectors, seed)
    return EmbeddingServer(model, table, flavor=flavor, combiner=combiner)


WARMUP_SENTENCES = ["the quick brown fox", "tokenization of unseen words", ""]


def next_version(base):
    versions = [int(d) for d in os.listdir(base) if d.isdigit()] if os.path.isdir(base) else []
    return max(versions, default=0) + 1


def write_warmup(export_dir, sentences):
    """assets.extra/tf_serving_warmup_requests: PredictionLog records."""
    try:
        from tensorflow_serving.apis import model_pb2, predict_pb2, prediction_log_pb2
    except ImportError as e:
        raise ImportError(
            "Writing TF Serving warmup requests needs tensorflow-serving-api: "
            "pip install 'tf_dynemb[serving]'") from e

    path = os.path.join(export_dir, "assets.extra", "tf_serving_warmup_requests")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tf.io.TFRecordWriter(path) as writer:
        for signature, key, values in (("serving_default", "sentences", sentences),
                                       ("embed_words", "words", sentences[0].split())):
            request = predict_pb2.PredictRequest(
                model_spec=model_pb2.ModelSpec(signature_name=signature))
            request.inputs[key].CopyFrom(tf.make_tensor_proto(values, dtype=tf.string))
            log = prediction_log_pb2.PredictionLog(
                predict_log=prediction_log_pb2.PredictLog(request=request))
            writer.write(log.SerializeToString())
    return path


def export(output_dir, words, pieces, dim, num_oov_buckets, combiner, flavor,
           vectors=None, version=None, seed=0):
    """Builds a server from vocabularies and writes it with `write_version`."""
    server = make_server(words, pieces, dim, num_oov_buckets, combiner, flavor, vectors, seed)
    return write_version(server, output_dir, version)


def write_version(server, output_dir, version=None):
    """Writes `server` as version `version` (default: the next) under
    `output_dir` and returns its path. Written to a temporary directory first,
    then renamed, so a half-written version is never visible to a server."""
    os.makedirs(output_dir, exist_ok=True)
    version = next_version(output_dir) if version is None else version
    final = os.path.join(output_dir, str(version))
    if os.path.exists(final):
        raise FileExistsError(f"{final} exists; pass another version.")
    staging = tempfile.mkdtemp(prefix=f".tmp-{version}-", dir=output_dir)
    os.chmod(staging, 0o755)  # mkdtemp's 0700 would hide it from a server's user
    try:
        tf.saved_model.save(server, staging, signatures=server.signatures())
        write_warmup(staging, WARMUP_SENTENCES)
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final
