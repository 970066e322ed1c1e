"""Trains small models on raw strings on one device or under a strategy and
writes their weights: run by tests/test_distribute.py in fresh processes
(a strategy's devices must be set before TensorFlow starts).

Usage: python tests/strategy_fit.py --strategy={single,mirrored,multiworker}
    --output=FILE.npz [--no_workaround]
Under `multiworker`, TF_CONFIG names the cluster and this worker.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

OPTIMIZERS = ("sgd", "lazy_adam", "rowwise_adagrad")
GLOBAL_BATCH = 16
WORDS_PER_EXAMPLE = 6
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def make_strategy(name):
    if name == "mirrored":
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def make_data():
    """64 examples of 6 words: vocabulary words, words that split into
    letter pieces, words that land in buckets, and padding."""
    from tf_dynemb import sample_text

    corpus = sample_text.words(sample_text.docstrings(("json", "csv")))
    rng = np.random.default_rng(0)
    words = list(rng.choice(corpus, (64, WORDS_PER_EXAMPLE)))
    words = [[w if rng.random() > 0.1 else rng.choice(["", "42", "x-y"]) for w in row]
             for row in words]
    labels = rng.normal(size=(64, 1)).astype(np.float32)
    vocabulary = sorted(set(corpus[:200]))[:40]
    return np.array(words, dtype=object), labels, vocabulary


def make_model(vocabulary):
    import keras

    from tf_dynemb.layers import DynamicEmbedding

    pieces = list(LETTERS) + ["##" + c for c in LETTERS]
    inputs = keras.Input(shape=(WORDS_PER_EXAMPLE,), dtype="string")
    # Words, pieces and buckets only: 99 rows, so shards and exports are small.
    embed = DynamicEmbedding(8, vocabulary=vocabulary, wordpiece_vocabulary=pieces,
                             num_oov_buckets=7, num_ngram_buckets=0, compose_words=False)
    hidden = keras.layers.GlobalAveragePooling1D()(embed(inputs))
    model = keras.Model(inputs, keras.layers.Dense(1)(hidden))
    rng = np.random.default_rng(1)
    model.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in model.weights])
    return model


def make_optimizer(name):
    import keras

    from tf_dynemb.optimizers import LazyAdam, RowwiseAdagrad

    return {"sgd": lambda: keras.optimizers.SGD(0.5),
            "lazy_adam": lambda: LazyAdam(0.05, weight_decay=0.01),
            "rowwise_adagrad": lambda: RowwiseAdagrad(0.2)}[name]()


def train_all(strategy):
    """{optimizer/i: weight i} after 2 epochs of fit, for each optimizer."""
    x, y, vocabulary = make_data()
    data = tf.data.Dataset.from_tensor_slices((x.astype(str), y)).batch(GLOBAL_BATCH)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    data = data.with_options(options)
    weights = {}
    for name in OPTIMIZERS:
        with strategy.scope():
            model = make_model(vocabulary)
            model.compile(make_optimizer(name), "mse")
        model.fit(data, epochs=2, shuffle=False, verbose=0)
        for i, w in enumerate(model.get_weights()):
            weights[f"{name}/{i}"] = w
    return weights


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--strategy", choices=("single", "mirrored", "multiworker"))
    parser.add_argument("--output")
    parser.add_argument("--no_workaround", action="store_true")
    args = parser.parse_args()
    strategy = make_strategy(args.strategy)
    if not args.no_workaround:
        import tf_dynemb.distribute

        tf_dynemb.distribute.enable_string_inputs()
    np.savez(args.output, **train_all(strategy))


if __name__ == "__main__":
    main()
