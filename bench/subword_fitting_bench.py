"""Time of `DynamicEmbedding.fit_subwords` at BERT size: 30,000 whole words,
30,522 WordPiece pieces (bench/wordpiece_corpus.py), 200,000 n-gram buckets
(the layer's default), D = 300.

The word vectors are planted (a random direction for the first four letters,
one for the last three, half of one of the word's own): fitting costs the same
for any vectors, and relatives share structure as in real ones.

    python bench/subword_fitting_bench.py [--cache_dir=build] [--iterations=50]
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import wordpiece_corpus  # noqa: E402

from tf_dynemb.layers import DynamicEmbedding
from tf_dynemb.vocabulary import default_vocabulary  # noqa: E402


def planted_vectors(words, dim, seed=0):
    rng = np.random.default_rng(seed)
    directions = {}

    def direction(key):
        if key not in directions:
            directions[key] = rng.normal(size=dim).astype(np.float32)
        return directions[key]

    return np.stack([direction("<" + w[:4]) + direction(w[-3:] + ">") + 0.5 * direction(w)
                     for w in words])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache_dir", default="build")
    parser.add_argument("--num_words", type=int, default=30000)
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--smoke", action="store_true",
                        help="The bundled vocabularies, D = 8, 5 iterations: seconds.")
    args = parser.parse_args()
    options = {}
    if args.smoke:
        words, pieces = default_vocabulary()
        args.dim, args.iterations, options = 8, 5, {"num_ngram_buckets": 1000}
    else:
        words, pieces = wordpiece_corpus.corpus_vocabularies(args.cache_dir, args.num_words)
    os.makedirs(args.cache_dir, exist_ok=True)
    path = os.path.join(args.cache_dir, "planted_vectors.npy")
    np.save(path, planted_vectors(words, args.dim))
    layer = DynamicEmbedding.from_vectors(path, vocabulary=words, wordpiece_vocabulary=pieces,
                                          **options)
    start = time.perf_counter()
    report = layer.fit_subwords(iterations=args.iterations)
    seconds = time.perf_counter() - start
    print(f"{len(words)} words, {len(pieces)} pieces, {layer.subwords.num_ngram_buckets} n-gram "
          f"buckets, D = {args.dim}, {args.iterations} iterations: {seconds:.1f} s")
    print(report)


if __name__ == "__main__":
    main()
