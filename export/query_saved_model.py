"""Queries an exported tf_dynemb SavedModel the way a server process would:
it imports TensorFlow (and TF Text, or the op library for the fused flavor),
never tf_dynemb.

Usage: python export/query_saved_model.py --saved_model=DIR --flavor=fused WORD...
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_string("saved_model", None, "A version directory written by export_saved_model.py.")
flags.DEFINE_enum("flavor", "portable", ["fused", "portable"], "How the model was exported.")
flags.DEFINE_string("op_library",
                    os.path.join(os.path.dirname(__file__), "..", "tf_dynemb", "_tf_dynemb_ops.so"),
                    "The op library, for the fused flavor.")
flags.DEFINE_list("sentences", ["The tokenizer splits unseen words.", "Zürich 東京"],
                  "Sentences for the serving_default signature.")
flags.mark_flag_as_required("saved_model")

KINDS = ["PAD", "WORD", "PIECES", "BUCKET", "UNKNOWN"]


def main(argv):
    if FLAGS.flavor == "fused":
        tf.load_op_library(FLAGS.op_library)
    else:
        import tensorflow_text  # noqa: F401  (registers the TF Text ops)
    model = tf.saved_model.load(FLAGS.saved_model)
    words = argv[1:] or ["the", "tokenization", "Zürich", ""]
    out = model.signatures["embed_words"](words=tf.constant(words))
    print(f"{FLAGS.flavor} model at {FLAGS.saved_model}: embed_words")
    print(f"  {'word':>16}  {'kind':<7}  {'norm':>6}  first values")
    for word, kind, vector in zip(words, out["kind"].numpy(), out["embeddings"].numpy()):
        head = " ".join(f"{v:+.3f}" for v in vector[:4])
        print(f"  {word!r:>16}  {KINDS[kind]:<7}  {np.linalg.norm(vector):6.3f}  {head}")
    sentences = model.signatures["serving_default"](sentences=tf.constant(FLAGS.sentences))
    print("  serving_default:")
    for sentence, vector in zip(FLAGS.sentences, sentences["embedding"].numpy()):
        print(f"  {sentence!r:>40}  norm {np.linalg.norm(vector):.3f}")


if __name__ == "__main__":
    app.run(main)
