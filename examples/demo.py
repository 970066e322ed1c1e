"""The main job end to end, in seconds: train a model on raw strings, export
the whole model for TF Serving in both flavors.

The task: which standard-library module a docstring sentence comes from
(json, socket or threading). The model is a TextEmbedding over the bundled
vocabularies (whole words, WordPiece pieces, 1,000 buckets) and a softmax.
`make demo` then queries each export in a fresh process and through
TensorFlow's C++ loader.

Usage: python examples/demo.py --output_dir=export_out
"""

import os
import re

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags, logging  # noqa: E402

from tf_dynemb import KIND_NAMES, sample_text, serving  # noqa: E402
from tf_dynemb.layers import TextEmbedding, basic_tokenize  # noqa: E402
from tf_dynemb.vocabulary import DEFAULT_WORDPIECE, DEFAULT_WORDS  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_string("output_dir", "export_out", "Where the model bases go: DIR/portable, "
                    "DIR/fused (each gets the next version).")
flags.DEFINE_integer("epochs", 6, "Training epochs.")

MODULES = ("json", "socket", "threading")
# In-vocabulary words, words the pieces split, and words only a bucket takes.
PROBES = ["Encode the object as JSON.", "Reconnecting sockets unexpectedly.",
          "Joinable threadlets in 東京 🙂"]


def sentences_by_module():
    texts, labels = [], []
    for label, module in enumerate(MODULES):
        for doc in sample_text.docstrings((module,)):
            for sentence in re.split(r"(?<=[.!?])\s+", doc):
                if len(sentence.split()) >= 4:
                    texts.append(sentence)
                    labels.append(label)
    return np.array(texts, dtype=object), np.array(labels)


def main(argv):
    del argv
    logging.set_verbosity(logging.WARNING)
    keras.utils.set_random_seed(0)
    texts, labels = sentences_by_module()
    order = np.random.default_rng(0).permutation(len(texts))
    texts, labels = texts[order], labels[order]
    split = len(texts) * 4 // 5
    inputs = keras.Input(shape=(), dtype="string", name="sentence")
    embed = TextEmbedding(32, vocabulary=DEFAULT_WORDS, wordpiece_vocabulary=DEFAULT_WORDPIECE,
                          num_oov_buckets=1000, output_mode="mean", name="text_embedding")
    outputs = keras.layers.Dense(len(MODULES), activation="softmax", name="module")(embed(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.Adam(0.02), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(tf.constant(list(texts[:split])), labels[:split], epochs=FLAGS.epochs,
              batch_size=32, verbose=0)
    _, accuracy = model.evaluate(tf.constant(list(texts[split:])), labels[split:], verbose=0)
    print(f"Trained on {split} docstring sentences of {', '.join(MODULES)}; held-out accuracy "
          f"{accuracy:.3f} on {len(texts) - split} (chance {1 / len(MODULES):.3f}).")

    probes = tf.constant(PROBES)
    words = basic_tokenize(probes)
    _, kinds = embed.embedding.lookup(words, return_kind=True)
    predictions = model.predict(probes, verbose=0)
    for sentence, sentence_words, sentence_kinds, p in zip(PROBES, words.to_list(),
                                                          kinds.to_list(), predictions):
        spelled = " ".join(f"{w.decode()}:{KIND_NAMES[k]}"
                           for w, k in zip(sentence_words, sentence_kinds))
        shares = ", ".join(f"{m} {x:.3f}" for m, x in zip(MODULES, p))
        print(f"  {sentence!r} -> {MODULES[int(np.argmax(p))]} ({shares})")
        print(f"      {spelled}")
    for flavor in serving.FLAVORS:
        path = serving.export_model(model, os.path.join(FLAGS.output_dir, flavor),
                                    flavor=flavor, warmup_inputs=PROBES)
        print(f"Exported the whole model, {flavor} flavor: {path}")


if __name__ == "__main__":
    app.run(main)
