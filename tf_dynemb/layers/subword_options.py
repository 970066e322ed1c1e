"""How the layers make subword vectors: hashed character n-grams beside the
WordPiece pieces, and whether a vocabulary word's vector also pools them
(composition, as fastText composes every word from its n-grams).

The defaults were chosen by `bench/quality_bench.py` (docs/benchmarks.md,
"Unseen words: quality"): composed words with 2- to 5-grams in 200,000
buckets gave unseen words fastText's accuracy; without composition the
subword rows learn only from the out-of-vocabulary words of the training
data, and unseen words fare no better than a hash bucket.
"""

import dataclasses

from tf_dynemb.arguments import check_bool_argument
from tf_dynemb.char_ngrams import MAX_BYTES_PER_WORD, check_ngram_args

NUM_NGRAM_BUCKETS = 200_000
MIN_N = 2
MAX_N = 5
COMPOSE_WORDS = True

# What a config written before these options existed meant: no n-grams, and
# vocabulary words that take their own row alone. Such configs load with it.
LEGACY_CONFIG = {"num_ngram_buckets": 0, "compose_words": False}


@dataclasses.dataclass(frozen=True)
class SubwordOptions:
    num_ngram_buckets: int = NUM_NGRAM_BUCKETS
    min_n: int = MIN_N
    max_n: int = MAX_N
    compose_words: bool = COMPOSE_WORDS

    def __post_init__(self):
        buckets, min_n, max_n, _ = check_ngram_args(
            self.num_ngram_buckets, self.min_n, self.max_n, MAX_BYTES_PER_WORD)
        object.__setattr__(self, "num_ngram_buckets", buckets)
        object.__setattr__(self, "min_n", min_n)
        object.__setattr__(self, "max_n", max_n)
        object.__setattr__(self, "compose_words",
                           check_bool_argument("compose_words", self.compose_words))

    def build_arguments(self):
        """The keyword arguments of `tf_dynemb.build_model` (and the fields
        of `VocabularyConfig`) these options set."""
        return dataclasses.asdict(self)


def with_legacy_defaults(config):
    """`config` as a layer config written before subword options meant it."""
    return {**LEGACY_CONFIG, **config}
