"""Looks up sample words, in-vocabulary and not, with the bundled vocabulary.

Usage: python -m tf_dynemb.demo
"""

import numpy as np
import tensorflow as tf

import tf_dynemb
from tf_dynemb.vocabulary import default_vocabulary

SAMPLE_WORDS = ["the", "function", "tokenization", "unfathomable", "Zürich",
                "東京", "🙂", "", "qzxv"]
KIND_NAMES = {tf_dynemb.PAD: "PAD", tf_dynemb.WORD: "WORD", tf_dynemb.PIECES: "PIECES",
              tf_dynemb.BUCKET: "BUCKET", tf_dynemb.UNKNOWN: "UNKNOWN"}


def main():
    words, pieces = default_vocabulary()
    buckets = 1000
    model = tf_dynemb.build_model(words, pieces, num_oov_buckets=buckets)
    table = tf.random.stateless_normal([len(words) + len(pieces) + buckets, 64], seed=[0, 1])
    vectors, kinds = tf_dynemb.lookup(SAMPLE_WORDS, table, model, return_kind=True)
    print(f"vocabulary: {len(words)} words, {len(pieces)} pieces, {buckets} buckets; D=64")
    print(f"{'word':>14}  {'kind':<7}  norm")
    for word, kind, vector in zip(SAMPLE_WORDS, kinds.numpy(), vectors.numpy()):
        print(f"{word!r:>14}  {KIND_NAMES[int(kind)]:<7}  {np.linalg.norm(vector):.3f}")


if __name__ == "__main__":
    main()
