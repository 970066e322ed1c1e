"""Writes a tf_dynemb SavedModel for TensorFlow Serving.

Signatures: `serving_default` takes `sentences` (string [None]) and returns
`embedding` (float32 [None, D]); `embed_words` takes `words` (string [None])
and returns `embeddings` (float32 [None, D]) and `kind` (int32 [None]).

Sources: a trained `--keras_model`, or vocabularies (and optionally vectors).

Example:
  python export/export_saved_model.py \\
      --wordpiece_vocabulary=vocab.txt --vocabulary=words.txt \\
      --output_dim=128 --flavor=portable --output_dir=/models/embeddings
"""

import subprocess
import sys

from absl import app, flags, logging

FLAGS = flags.FLAGS
flags.DEFINE_string("keras_model", None,
                    "A .keras model holding one tf_dynemb DynamicEmbedding layer: its trained "
                    "table, vocabularies and combiner are exported. Excludes the vocabulary, "
                    "vectors, dimension, bucket and combiner flags.")
flags.DEFINE_string("vocabulary", None,
                    "Whole words, one per line. Defaults to the words of --vectors, "
                    "else the bundled default vocabulary.")
flags.DEFINE_string("wordpiece_vocabulary", None,
                    "WordPiece pieces, one per line (a BERT vocab.txt works). "
                    "Defaults to the bundled default vocabulary.")
flags.DEFINE_string("vectors", None,
                    "Optional word2vec/GloVe text vectors for the word rows; other "
                    "rows start from N(0, 0.1^2).")
flags.DEFINE_integer("output_dim", 128, "Embedding width D (must match --vectors).")
flags.DEFINE_integer("num_oov_buckets", 1000, "Hash buckets for unsplittable OOV words.")
flags.DEFINE_enum("combiner", "mean", ["mean", "sum", "sqrtn"],
                  "How a split word's piece rows are pooled.")
flags.DEFINE_enum("flavor", "portable", ["portable", "fused"],
                  "fused: the custom op (a server linked with //ops:ops_lib). "
                  "portable: stock TF + TF Text ops (the stock tensorflow_model_server).")
flags.DEFINE_string("output_dir", None,
                    "TF Serving's model base path; the version goes in a sub-directory.")
flags.DEFINE_integer("version", None, "Version number. Defaults to the next integer.")
flags.DEFINE_integer("seed", 0, "Seed of the rows not given by --vectors.")
flags.mark_flag_as_required("output_dir")

def main(argv):
    del argv
    from tf_dynemb import serving
    from tf_dynemb.vectors import load_text_vectors
    from tf_dynemb.vocabulary import default_vocabulary, load_vocabulary

    if FLAGS.keras_model:
        for name in ("vocabulary", "wordpiece_vocabulary", "vectors", "output_dim",
                     "num_oov_buckets", "combiner"):
            if FLAGS[name].present:
                raise app.UsageError(f"--{name} cannot be combined with --keras_model.")
        server = serving.server_from_keras(FLAGS.keras_model, FLAGS.flavor)
        report(serving.write_server(server, FLAGS.output_dir, FLAGS.version))
        return
    default_words, default_pieces = default_vocabulary()
    vectors = None
    if FLAGS.vectors:
        vector_words, matrix = load_text_vectors(FLAGS.vectors)
        if matrix.shape[1] != FLAGS.output_dim:
            raise app.UsageError(
                f"--vectors has D={matrix.shape[1]} but --output_dim={FLAGS.output_dim}.")
        vectors = dict(zip(vector_words, matrix))
    if FLAGS.vocabulary:
        words = load_vocabulary(FLAGS.vocabulary)
    elif vectors:
        words = list(vectors)
    else:
        words = default_words
    pieces = (load_vocabulary(FLAGS.wordpiece_vocabulary) if FLAGS.wordpiece_vocabulary
              else default_pieces)
    path = serving.export(FLAGS.output_dir, words, pieces, FLAGS.output_dim,
                          FLAGS.num_oov_buckets, FLAGS.combiner, FLAGS.flavor, vectors,
                          FLAGS.version, FLAGS.seed)
    report(path)


def report(path):
    logging.info("wrote %s", path)
    print(f"Exported the {FLAGS.flavor} flavor to {path}")
    subprocess.run([sys.executable, "-m", "tensorflow.python.tools.saved_model_cli", "show",
                    "--dir", path, "--all"], check=False)


if __name__ == "__main__":
    app.run(main)
