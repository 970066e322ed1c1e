"""Write a SavedModel for TensorFlow Serving: a trained model, or an embedding.

usage: tf-dynemb export --output_dir=DIR [--flavor=portable|fused] [--version=N]
           (--keras_model=M.keras [--embedding_only] |
            --vocabulary=FILE --wordpiece_vocabulary=FILE ...)

With --keras_model, the whole trained model: `serving_default` takes the
model's inputs and returns its outputs, checked against the model before the
version is published (tf_dynemb.serving.export_model). With
--embedding_only, or from vocabularies (and optionally word vectors), an
embedding alone: `serving_default` takes `sentences` (string [None]) and
returns `embedding` (float32 [None, D]); `embed_words` takes `words` (string
[None]) and returns `embeddings` (float32 [None, D]) and `kind` (int32
[None]). The version goes in a new numbered directory under --output_dir,
written whole or not at all. `portable` runs on the stock
tensorflow_model_server; `fused` needs one linked with //ops:ops_lib.
"""

from absl import flags

from tf_dynemb.cli import model_files
from tf_dynemb.cli.errors import UsageError, quoted, require_files
from tf_dynemb.contract import COMBINERS
from tf_dynemb.flavors import FLAVORS

SOURCE_FLAGS = ("vocabulary", "wordpiece_vocabulary", "vectors", "output_dim",
                "num_oov_buckets", "combiner")


def define_flags(fv):
    flags.DEFINE_string("keras_model", None,
                        "A trained .keras model holding tf_dynemb layers: the whole model is "
                        "exported. Excludes the vocabulary, vectors, dimension, bucket and "
                        "combiner flags.", flag_values=fv)
    flags.DEFINE_boolean("embedding_only", False,
                         "With --keras_model: export only its one DynamicEmbedding (refused "
                         "when it sits in a TextEmbedding or HybridEmbedding).", flag_values=fv)
    flags.DEFINE_string("vocabulary", None, "Whole words, one per line. Defaults to the words "
                        "of --vectors, else the bundled default vocabulary.", flag_values=fv)
    flags.DEFINE_string("wordpiece_vocabulary", None, "WordPiece pieces, one per line (a BERT "
                        "vocab.txt works). Defaults to the bundled default vocabulary.",
                        flag_values=fv)
    flags.DEFINE_string("vectors", None, "word2vec/GloVe text vectors for the word rows; other "
                        "rows start from N(0, 0.1^2).", flag_values=fv)
    flags.DEFINE_integer("output_dim", 128, "Embedding width D (must match --vectors).",
                         lower_bound=1, flag_values=fv)
    flags.DEFINE_integer("num_oov_buckets", 1000, "Hash buckets for unsplittable words.",
                         lower_bound=0, flag_values=fv)
    flags.DEFINE_enum("combiner", "mean", list(COMBINERS),
                      "How a split word's piece rows are pooled.", flag_values=fv)
    flags.DEFINE_enum("flavor", "portable", list(FLAVORS),
                      "fused: the custom op (a server linked with //ops:ops_lib). portable: "
                      "stock TF + TF Text ops (the stock tensorflow_model_server).",
                      flag_values=fv)
    flags.DEFINE_string("output_dir", None, "TF Serving's model base path; the version goes "
                        "in a sub-directory.", flag_values=fv)
    flags.DEFINE_integer("version", None, "Version number. Defaults to the next integer.",
                         lower_bound=1, flag_values=fv)
    flags.DEFINE_integer("seed", 0, "Seed of the rows not given by --vectors.", flag_values=fv)
    flags.mark_flag_as_required("output_dir", flag_values=fv)


def _server_from_files(fv):
    """An EmbeddingServer from the vocabulary and vector flags."""
    from tf_dynemb import serving
    from tf_dynemb.vectors import load_text_vectors
    from tf_dynemb.vocabulary import default_vocabulary, load_vocabulary

    require_files([p for p in (fv.vocabulary, fv.wordpiece_vocabulary, fv.vectors) if p],
                  "vocabulary, --wordpiece_vocabulary or --vectors")
    default_words, default_pieces = default_vocabulary()
    vectors = None
    if fv.vectors:
        vector_words, matrix = load_text_vectors(fv.vectors)
        if matrix.shape[1] != fv.output_dim:
            raise UsageError(f"--vectors has D={matrix.shape[1]} but "
                             f"--output_dim={fv.output_dim}.")
        vectors = dict(zip(vector_words, matrix))
    if fv.vocabulary:
        words = load_vocabulary(fv.vocabulary)
    else:
        words = list(vectors) if vectors else default_words
    pieces = (load_vocabulary(fv.wordpiece_vocabulary) if fv.wordpiece_vocabulary
              else default_pieces)
    return serving.make_server(words, pieces, fv.output_dim, fv.num_oov_buckets, fv.combiner,
                               fv.flavor, vectors, fv.seed)


def run(fv, args):
    from tf_dynemb import serving
    from tf_dynemb.cli import inspect_model

    if args:
        raise UsageError(f"unexpected arguments {quoted(args)}.")
    if fv.embedding_only and not fv.keras_model:
        raise UsageError("--embedding_only needs --keras_model.")
    if fv.keras_model:
        given = [name for name in SOURCE_FLAGS if fv[name].present]
        if given:
            raise UsageError(f"--{given[0]} cannot be combined with --keras_model.")
        require_files([fv.keras_model], "keras_model")
    model = model_files.load_keras(fv.keras_model) if fv.keras_model else None
    # A failed write (a full disk) leaves no version behind: serving's versions
    # are staged, then renamed.
    with model_files.writing(fv.output_dir):
        if model is not None and not fv.embedding_only:
            path = serving.export_model(model, fv.output_dir, fv.flavor, fv.version)
        else:
            server = (serving.server_from_keras(model, fv.flavor, fv.keras_model) if model
                      else _server_from_files(fv))
            path = serving.write_server(server, fv.output_dir, fv.version)
    print(f"Exported the {fv.flavor} flavor to {path}")
    print(inspect_model.format_text(inspect_model.describe_saved_model(path)))
    return 0
