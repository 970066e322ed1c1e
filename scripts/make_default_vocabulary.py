"""Writes the bundled default vocabulary, learned from the standard library's
docstrings: tf_dynemb/assets/default_words.txt (the most frequent whole words)
and tf_dynemb/assets/default_wordpiece.txt (a WordPiece vocabulary).

Usage: python scripts/make_default_vocabulary.py
"""

import collections
import os

import keras_hub
import tensorflow as tf
from absl import app, flags

from tf_dynemb import sample_text

FLAGS = flags.FLAGS
flags.DEFINE_integer("num_words", 2000, "Whole words to keep, most frequent first.")
flags.DEFINE_integer("wordpiece_size", 8000, "Upper bound on the WordPiece vocabulary.")
flags.DEFINE_string("output_dir", os.path.join(os.path.dirname(__file__), "..", "tf_dynemb", "assets"),
                    "Where to write the two files.")


def main(argv):
    del argv
    texts = sample_text.docstrings()
    words = sample_text.words(texts)
    common = [w for w, _ in collections.Counter(words).most_common(FLAGS.num_words)]
    pieces = keras_hub.tokenizers.compute_word_piece_vocabulary(
        tf.data.Dataset.from_tensor_slices([" ".join(words)]),
        vocabulary_size=FLAGS.wordpiece_size,
        lowercase=True,
        reserved_tokens=["[PAD]", "[UNK]"],
    )
    for name, tokens in (("default_words.txt", common), ("default_wordpiece.txt", pieces)):
        with open(os.path.join(FLAGS.output_dir, name), "w", encoding="utf-8") as f:
            f.write("\n".join(tokens) + "\n")
        print(f"wrote {len(tokens)} tokens to {name}")


if __name__ == "__main__":
    app.run(main)
