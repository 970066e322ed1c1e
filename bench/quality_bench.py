"""What a model learns about words it never saw: which language is this word?

Data: wordfreq's word lists (the `wordfreq` package ships them; nothing is
downloaded): the most frequent alphabetic words of English, German, French,
Spanish, Italian and Dutch. A word found in more than one language's list is
dropped; each language keeps its `--per_class` most frequent remaining words.
Each language's words are shuffled (seeded) and split by word, so every test
word is *unseen*: no model saw it in training. *Seen* accuracy is the accuracy
on training words after training (a seeded sample as large as the test split):
what the model memorised.

Models: an embedding layer (D = 64), then the same softmax head (one Dense),
Adam (tf_dynemb.optimizers.LazyAdam: Adam that updates only the table rows of
the batch, identical on dense weights), the same epochs and batch size; words
go in as raw strings. fastText (supervised, dim 64, minn 2, maxn 5) runs a small
lr x epochs grid; the best cell counts. Lookup words/s: the embedding layer
alone, one tf.function call per batch of 1,024 test words.

Usage: python bench/quality_bench.py [--smoke] [--output FILE]
"""

import collections
import os
import random
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import keras_hub  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

import quality_models as models  # noqa: E402
from tf_dynemb.optimizers import LazyAdam  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_bool("smoke", False, "Tiny sizes, a few models, one epoch: well under a minute.")
flags.DEFINE_integer("seed", 0, "Seeds the split, the initializers and the shuffles.")
flags.DEFINE_integer("epochs", 10, "Training epochs of every Keras model.")
flags.DEFINE_integer("batch_size", 128, "Training batch size of every Keras model.")
flags.DEFINE_float("learning_rate", 0.01, "Adam's learning rate.")
flags.DEFINE_integer("per_class", 4000, "Words per language.")
flags.DEFINE_float("test_fraction", 0.2, "Share of each language's words held out.")
flags.DEFINE_integer("num_pieces", 3000, "WordPiece vocabulary learned from the training words.")
flags.DEFINE_list("fasttext_lr", ["0.1", "0.3", "1.0"], "fastText learning rates.")
flags.DEFINE_list("fasttext_epochs", ["5", "25", "50"], "fastText epochs.")
flags.DEFINE_list("only", [], "Run only the Keras models whose names contain one of these "
                  "(comma-separated, so name them by comma-free parts).")
flags.DEFINE_string("output", None, "Also write the markdown table here.")

LANGUAGES = ("en", "de", "fr", "es", "it", "nl")
# DynamicEmbedding's own n-gram arguments (model format version 3), run beside
# the prototypes once the layer accepts them.
FUSED_NGRAM_MODES = {
    "DynamicEmbedding defaults (fused: compose 2-5, 200k)": dict(),
    "DynamicEmbedding compose 3-6, 200k (fused)":
        dict(num_ngram_buckets=200_000, min_n=3, max_n=6, compose_words=True),
    "DynamicEmbedding n-grams 2-5, 200k, not composed (fused)":
        dict(num_ngram_buckets=200_000, min_n=2, max_n=5, compose_words=False),
}
DIM = 64
LOOKUP_BATCH = 1024
Split = collections.namedtuple("Split", "words labels")


def language_words(per_class, candidates):
    """{language: its per_class most frequent alphabetic words found in no other list}."""
    import wordfreq

    lists = {lang: [w for w in wordfreq.top_n_list(lang, candidates) if w.isalpha()]
             for lang in LANGUAGES}
    languages_of = collections.Counter(w for words in lists.values() for w in set(words))
    kept = {lang: [w for w in words if languages_of[w] == 1][:per_class]
            for lang, words in lists.items()}
    short = {lang: len(words) for lang, words in kept.items() if len(words) < per_class}
    if short:
        raise ValueError(f"too few words for --per_class={per_class}: {short}")
    return kept


def split_by_word(kept, test_fraction, seed):
    """(train, test, seen): each language's words shuffled, the last share held out."""
    rng = random.Random(seed)
    train, test = [], []
    for label, lang in enumerate(LANGUAGES):
        words = list(kept[lang])
        rng.shuffle(words)
        cut = len(words) - int(round(len(words) * test_fraction))
        train += [(w, label) for w in words[:cut]]
        test += [(w, label) for w in words[cut:]]
    rng.shuffle(train)
    seen = rng.sample(train, len(test))
    return tuple(Split([w for w, _ in pairs], np.array([y for _, y in pairs], np.int64))
                 for pairs in (train, test, seen))


def learn_pieces(words, size):
    """A WordPiece vocabulary learned on the training words by keras-hub."""
    data = tf.data.Dataset.from_tensor_slices(words).batch(1000)
    return keras_hub.tokenizers.compute_word_piece_vocabulary(
        data, size, split=False, reserved_tokens=["[PAD]", models.UNKNOWN_PIECE])


def string_lookup_embedding(words):
    lookup = keras.layers.StringLookup(vocabulary=words, num_oov_indices=1000)
    table = keras.layers.Embedding(lookup.vocabulary_size(), DIM, embeddings_initializer="uniform")
    layer = keras.Sequential([lookup, table])
    layer.num_rows = lookup.vocabulary_size()
    return layer


def model_specs(words, pieces, smoke):
    """[(name, make_layer)]; the prototypes' n-gram buckets shrink in smoke mode."""
    big = 1 if smoke else 1000

    def proto(mode, buckets, min_n, max_n, **kwargs):
        return lambda: models.SubwordEmbedding(
            DIM, words, pieces, mode=mode, num_ngram_buckets=buckets * big, min_n=min_n,
            max_n=max_n, **kwargs)

    specs = [
        ("StringLookup + Embedding", lambda: string_lookup_embedding(words)),
        ("WordPiece + Embedding + mean", lambda: models.WordPieceMeanEmbedding(DIM, pieces)),
        ("DynamicEmbedding before subwords for every word (words + pieces + 1k buckets)",
         lambda: models.dynamic_embedding(DIM, words, pieces, num_ngram_buckets=0,
                                          compose_words=False)),
    ]
    for (min_n, max_n) in [(3, 6), (2, 5)]:
        specs += [
            (f"ngrams {min_n}-{max_n}, 200k", proto("ngrams", 200, min_n, max_n)),
            (f"compose {min_n}-{max_n}, 200k", proto("compose", 200, min_n, max_n)),
            (f"dropout 0.5 {min_n}-{max_n}, 200k",
             proto("dropout", 200, min_n, max_n, subword_dropout=0.5)),
        ]
    specs += [
        ("compose 3-6, 200k, OOV n-grams only",
         proto("compose", 200, 3, 6, oov_pieces=False)),
        ("dropout 0.3 3-6, 200k", proto("dropout", 200, 3, 6, subword_dropout=0.3)),
        ("compose 3-6, 100k", proto("compose", 100, 3, 6)),
        ("compose 3-6, 1M", proto("compose", 1000, 3, 6)),
        ("compose 2-5, 100k", proto("compose", 100, 2, 5)),
        ("compose 2-5, 1M", proto("compose", 1000, 2, 5)),
    ]
    for name, arguments in FUSED_NGRAM_MODES.items():
        if smoke:  # the defaults' options, with a small table
            arguments = dict(dict(min_n=2, max_n=5, compose_words=True), **arguments,
                             num_ngram_buckets=200)
        specs.append((name, lambda a=arguments: models.dynamic_embedding(
            DIM, words, pieces, **a)))
    if smoke:
        keep = ("StringLookup", "WordPiece", "before subwords", "defaults", "dropout 0.5 3-6")
        specs = [(n, f) for n, f in specs if any(k in n for k in keep) and "only" not in n]
    if FLAGS.only:
        specs = [(n, f) for n, f in specs if any(k in n for k in FLAGS.only)]
    return specs


def train_classifier(layer, train, seed):
    """The embedding layer under the shared head, fitted on the training words."""
    inputs = keras.Input(shape=(), dtype="string")
    model = keras.Model(inputs, keras.layers.Dense(len(LANGUAGES))(layer(inputs)))
    model.compile(optimizer=LazyAdam(FLAGS.learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    data = tf.data.Dataset.from_tensor_slices((train.words, train.labels))
    data = data.shuffle(len(train.words), seed=seed).batch(FLAGS.batch_size)
    model.fit(data, epochs=FLAGS.epochs, verbose=0)
    return model


def accuracy(model, split):
    data = tf.data.Dataset.from_tensor_slices(split.words).batch(LOOKUP_BATCH)
    predicted = np.argmax(model.predict(data, verbose=0), axis=-1)
    return float(np.mean(predicted == split.labels))


def lookup_words_per_second(layer, words, seconds=0.5, rounds=3):
    """Words a second through `layer` alone: one tf.function call per batch;
    the best of `rounds` rounds (the machine is shared)."""
    fn = tf.function(lambda w: layer(w, training=False))
    batch = tf.constant((words * (LOOKUP_BATCH // len(words) + 1))[:LOOKUP_BATCH])
    fn(batch)
    best = 0.0
    for _ in range(rounds):
        calls, start = 0, time.perf_counter()
        while calls < 3 or time.perf_counter() - start < seconds:
            fn(batch).numpy()
            calls += 1
        best = max(best, calls * LOOKUP_BATCH / (time.perf_counter() - start))
    return best


def run_keras_model(name, make_layer, train, test, seen):
    keras.utils.set_random_seed(FLAGS.seed)
    layer = make_layer()
    start = time.perf_counter()
    model = train_classifier(layer, train, FLAGS.seed)
    seconds = time.perf_counter() - start
    rows = getattr(layer, "num_rows", None) or getattr(layer, "input_dim")
    return dict(name=name, unseen=accuracy(model, test), seen=accuracy(model, seen),
                words_per_s=lookup_words_per_second(layer, test.words), rows=rows,
                train_s=seconds)


def run_fasttext(train, test, seen, directory):
    """fastText over the lr x epochs grid: (best row, {(lr, epochs): unseen accuracy})."""
    import fasttext

    path = os.path.join(directory, "train.txt")
    with open(path, "w", encoding="utf-8") as f:  # training lines are already shuffled
        f.writelines(f"__label__{y} {w}\n" for w, y in zip(train.words, train.labels))

    def score(model, split):
        labels, _ = model.predict(split.words, k=1)
        return float(np.mean([int(l[0][len("__label__"):]) for l in labels] == split.labels))

    grid, best = {}, None
    buckets = 10_000 if FLAGS.smoke else 1_000_000
    for lr in map(float, FLAGS.fasttext_lr):
        for epochs in map(int, FLAGS.fasttext_epochs):
            start = time.perf_counter()
            model = fasttext.train_supervised(
                input=path, dim=DIM, minn=2, maxn=5, lr=lr, epoch=epochs, bucket=buckets,
                minCount=1, wordNgrams=1, thread=2, seed=FLAGS.seed, verbose=0)
            seconds = time.perf_counter() - start
            grid[(lr, epochs)] = score(model, test)
            if best is None or grid[(lr, epochs)] > best["unseen"]:
                batch = test.words[:LOOKUP_BATCH]
                t0 = time.perf_counter()
                model.predict(batch, k=1)
                best = dict(name=f"fastText supervised (lr {lr}, {epochs} epochs)",
                            unseen=grid[(lr, epochs)], seen=score(model, seen),
                            words_per_s=len(batch) / (time.perf_counter() - t0),
                            rows=len(model.words) + buckets, train_s=seconds)
    return best, grid


def markdown(results, grid):
    lines = ["| model | unseen acc | seen acc | lookup words/s | table rows | train s |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {r['name']} | {r['unseen']:.3f} | {r['seen']:.3f} | "
              f"{r['words_per_s'] / 1e3:,.0f}k | {r['rows']:,} | {r['train_s']:.0f} |"
              for r in results]
    lines += ["", "fastText grid, unseen accuracy (rows: lr, columns: epochs):", "",
              "| lr | " + " | ".join(FLAGS.fasttext_epochs) + " |",
              "|---|" + "---|" * len(FLAGS.fasttext_epochs)]
    for lr in map(float, FLAGS.fasttext_lr):
        cells = [f"{grid[(lr, int(e))]:.3f}" for e in FLAGS.fasttext_epochs]
        lines.append(f"| {lr} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv):
    del argv
    if FLAGS.smoke:
        FLAGS.per_class, FLAGS.epochs, FLAGS.num_pieces = 150, 1, 300
        FLAGS.fasttext_lr, FLAGS.fasttext_epochs = ["0.5"], ["5"]
    train, test, seen = split_by_word(
        language_words(FLAGS.per_class, FLAGS.per_class * 3), FLAGS.test_fraction, FLAGS.seed)
    pieces = learn_pieces(train.words, FLAGS.num_pieces)
    print(f"{len(train.words)} training words, {len(test.words)} unseen test words, "
          f"{len(LANGUAGES)} languages, {len(pieces)} pieces", flush=True)
    results = []
    with tempfile.TemporaryDirectory() as directory:
        best, grid = run_fasttext(train, test, seen, directory)
    results.append(best)
    print(best, flush=True)
    for name, make_layer in model_specs(train.words, pieces, FLAGS.smoke):
        results.append(run_keras_model(name, make_layer, train, test, seen))
        print(results[-1], flush=True)
    report = markdown(results, grid)
    print(report)
    if FLAGS.output:
        with open(FLAGS.output, "w", encoding="utf-8") as f:
            f.write(report + "\n")


if __name__ == "__main__":
    app.run(main)
