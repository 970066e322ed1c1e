"""Trains a small topic classifier on raw strings and tests it on sentences
whose topic words never appeared in training.

Three topics; each sentence mixes real English filler (the standard library's
docstrings) with three inflected topic words. Training uses some prefix and
suffix combinations, the test set only others ("reconnecting", "unlocked"),
so every topic word at test time is unseen. Compared, each with every
training word as its vocabulary (as `tf-dynemb learn-vocab` or
`StringLookup.adapt` would give it): a DynamicEmbedding with its defaults
(each word composed from its row, its WordPiece pieces learned from the
training text and its character n-grams), a HybridEmbedding (the words' rows
composed with a CharCNNEncoder, which also encodes the unseen words), and
StringLookup + Embedding (unseen words share one OOV row).

Usage: python examples/train_classifier.py [--epochs=8] [--optimizer=adam|lazy_adam] [--seed=0]
    [--output=results.md]

It prints the accuracy table that docs/keras.md shows; --output also writes it
(markdown) to a file. docs/training.md compares the two optimizers.
"""

import collections
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import keras_hub  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

from tf_dynemb import sample_text  # noqa: E402
from tf_dynemb.layers import (  # noqa: E402
    CharCNNEncoder,
    DynamicEmbedding,
    HybridEmbedding,
    basic_tokenize,
)
from tf_dynemb.optimizers import LazyAdam  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_integer("epochs", 8, "Training epochs per model.")
flags.DEFINE_integer("train_size", 3000, "Training sentences.")
flags.DEFINE_integer("test_size", 1000, "Test sentences.")
flags.DEFINE_string("output", None, "Write the accuracy table (markdown) here.")
flags.DEFINE_integer("seed", 0, "Seeds the sentences and the weights.")
flags.DEFINE_enum("optimizer", "adam", ["adam", "lazy_adam"],
                  "keras.optimizers.Adam or tf_dynemb.optimizers.LazyAdam (learning rate 0.01).")

TOPICS = {
    "files": ["path", "file", "folder", "copy", "read", "write", "archive", "store"],
    "network": ["connect", "socket", "send", "host", "stream", "route", "request", "port"],
    "threads": ["lock", "thread", "wait", "schedule", "join", "signal", "queue", "spawn"],
}
TRAIN_AFFIXES = [("", ""), ("", "s"), ("", "ing"), ("re", ""), ("", "er")]
TEST_AFFIXES = [("re", "ing"), ("un", "ed"), ("pre", "s"), ("", "ers"), ("un", "ing")]
MAX_WORDS = 16


def make_sentences(size, affixes, filler, rng):
    labels = rng.integers(0, len(TOPICS), size)
    sentences = []
    for label in labels:
        stems = list(TOPICS.values())[label]
        words = list(rng.choice(filler, 6))
        for stem in rng.choice(stems, 3):
            prefix, suffix = affixes[rng.integers(len(affixes))]
            words.insert(rng.integers(len(words) + 1), prefix + stem + suffix)
        sentences.append(" ".join(words))
    return sentences, labels


def padded_words(sentences):
    return basic_tokenize(tf.constant(sentences)).to_tensor("", shape=[None, MAX_WORDS])


def classifier(embed):
    inputs = keras.Input(shape=(MAX_WORDS,), dtype="string")
    pooled = keras.layers.GlobalAveragePooling1D()(embed(inputs))
    outputs = keras.layers.Dense(len(TOPICS), activation="softmax")(pooled)
    model = keras.Model(inputs, outputs)
    optimizer = LazyAdam(0.01) if FLAGS.optimizer == "lazy_adam" else keras.optimizers.Adam(0.01)
    model.compile(optimizer, "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def string_lookup_embedding(words, dim):
    inputs = keras.Input(shape=(MAX_WORDS,), dtype="string")
    ids = keras.layers.StringLookup(vocabulary=words, num_oov_indices=1, mask_token="")(inputs)
    return keras.Model(inputs, keras.layers.Embedding(len(words) + 2, dim, mask_zero=True)(ids))


def main(argv):
    del argv
    keras.utils.set_random_seed(FLAGS.seed)
    rng = np.random.default_rng(FLAGS.seed)
    counts = collections.Counter(sample_text.words(sample_text.docstrings(("json", "csv", "string"))))
    filler = [w for w, _ in counts.most_common(300)]
    train, train_y = make_sentences(FLAGS.train_size, TRAIN_AFFIXES, filler, rng)
    test, test_y = make_sentences(FLAGS.test_size, TEST_AFFIXES, filler, rng)
    x_train, x_test = padded_words(train), padded_words(test)
    vocabulary = sorted({w.decode() for w in x_train.numpy().ravel() if w})
    unseen = np.mean([w.decode() not in set(vocabulary) for w in x_test.numpy().ravel() if w])
    pieces = keras_hub.tokenizers.compute_word_piece_vocabulary(
        tf.data.Dataset.from_tensor_slices(train), vocabulary_size=400, lowercase=True,
        reserved_tokens=["[UNK]"])
    dim = 32
    models = {
        "DynamicEmbedding (words + WordPiece + n-grams)": lambda: DynamicEmbedding(
            dim, vocabulary=vocabulary, wordpiece_vocabulary=pieces, num_oov_buckets=100,
            mask_empty=True),
        "HybridEmbedding (words + CharCNNEncoder)": lambda: HybridEmbedding(
            DynamicEmbedding(dim, vocabulary=vocabulary, num_oov_buckets=0, num_ngram_buckets=0),
            CharCNNEncoder(dim, filters=64)),
        "StringLookup + Embedding (baseline)": lambda: string_lookup_embedding(vocabulary, dim),
    }
    rows = []
    for name, make in models.items():
        model = classifier(make())
        model.fit(x_train, train_y, epochs=FLAGS.epochs, batch_size=64, verbose=0)
        _, train_acc = model.evaluate(x_train, train_y, verbose=0)
        _, test_acc = model.evaluate(x_test, test_y, verbose=0)
        rows.append((name, train_acc, test_acc))
        print(f"{name:42s} train {train_acc:.3f}  held-out (unseen topic words) {test_acc:.3f}")
    table = ("| model | train accuracy | held-out accuracy |\n|---|---|---|\n" +
             "\n".join(f"| {n} | {a:.3f} | {b:.3f} |" for n, a, b in rows) + "\n")
    text = (f"{FLAGS.train_size} training and {FLAGS.test_size} held-out sentences, 3 topics "
            f"(chance 0.333), {FLAGS.epochs} epochs, optimizer {FLAGS.optimizer}, D = {dim}; "
            f"{unseen:.0%} of held-out words "
            f"are unseen in training; {len(vocabulary)} training words (every model's "
            f"vocabulary) and {len(pieces)} learned WordPiece pieces.\n\n{table}")
    print("\n" + text)
    if FLAGS.output:
        with open(FLAGS.output, "w") as f:
            f.write(text)


if __name__ == "__main__":
    app.run(main)
