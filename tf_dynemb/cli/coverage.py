"""Measure how a corpus's words land in a vocabulary: words, pieces, buckets.

usage: tf-dynemb coverage --corpus=FILE [--corpus=FILE ...] [--vocabulary=FILE]
           [--wordpiece_vocabulary=FILE] [--num_oov_buckets=1000] [--plot=OUT.png]

Prints the share of tokens and of distinct words embedded as a whole word, as
WordPiece pieces, in a hash bucket or as unknown (each column sums to 1); the
pieces per split word; the most frequent out-of-vocabulary words with their
splits; the bucket load and collision rate (the share of distinct bucket
words that share their bucket with another word). Words are split from the
text as TextEmbedding splits sentences. --plot draws all of it in one PNG
(pip install 'tf_dynemb[plot]'); --output_json writes the numbers.
"""

import json

from absl import flags

from tf_dynemb.cli import corpus
from tf_dynemb.cli.atomic_files import atomic_open, naming, staging
from tf_dynemb.cli.coverage_stats import KIND_NAMES, measure
from tf_dynemb.cli.errors import CommandError, UsageError, quoted, require_files


def define_flags(fv):
    flags.DEFINE_multi_string("corpus", None, "Text files (UTF-8) or glob patterns.",
                              flag_values=fv)
    flags.DEFINE_string("vocabulary", None, "Whole words, one per line (may be empty).",
                        flag_values=fv)
    flags.DEFINE_string("wordpiece_vocabulary", None, "WordPiece pieces, one per line.",
                        flag_values=fv)
    flags.DEFINE_integer("num_oov_buckets", 1000, "Hash buckets K.", lower_bound=0,
                         flag_values=fv)
    flags.DEFINE_string("suffix_indicator", "##", "Marks continuation pieces.", flag_values=fv)
    flags.DEFINE_integer("max_bytes_per_word", 100, "Longer words are not split.",
                         lower_bound=1, flag_values=fv)
    flags.DEFINE_string("unknown_token", None, "A piece for unsplittable words when K = 0.",
                        flag_values=fv)
    flags.DEFINE_boolean("lowercase", True, "Lowercase the text first.", flag_values=fv)
    flags.DEFINE_boolean("strip_accents", False, "Remove accents.", flag_values=fv)
    flags.DEFINE_integer("top", 20, "Out-of-vocabulary words to list.", lower_bound=0,
                         flag_values=fv)
    flags.DEFINE_string("plot", None, "Write a PNG of the coverage here.", flag_values=fv)
    flags.DEFINE_string("output_json", None, "Write the numbers as JSON here.",
                        flag_values=fv)
    flags.mark_flag_as_required("corpus", flag_values=fv)


def _vocabulary(path, flag):
    from tf_dynemb.vocabulary import load_vocabulary

    if path is None:
        return []
    require_files([path], flag)
    return load_vocabulary(path)


def format_table(cov):
    lines = [f"{cov.tokens} tokens, {cov.distinct} distinct words", "",
             f"{'kind':<10}{'tokens':>12}{'share':>9}{'distinct':>12}{'share':>9}"]
    for name in KIND_NAMES.values():
        lines.append(f"{name:<10}{cov.tokens_by_kind[name]:>12}{cov.share(name):>9.2%}"
                     f"{cov.distinct_by_kind[name]:>12}{cov.share(name, 'distinct'):>9.2%}")
    lines.append(f"{'total':<10}{cov.tokens:>12}{1:>9.2%}{cov.distinct:>12}{1:>9.2%}")
    if cov.pieces_per_word:
        lines += ["", "pieces per split word:", f"{'pieces':>8}{'distinct':>12}{'tokens':>12}"]
        for m, n in sorted(cov.pieces_per_word.items()):
            lines.append(f"{m:>8}{n['distinct']:>12}{n['tokens']:>12}")
    if cov.top_oov:
        lines += ["", "most frequent out-of-vocabulary words:"]
        width = min(24, max(len(o["word"]) for o in cov.top_oov))
        for o in cov.top_oov:
            lines.append(f"{o['count']:>8}  {o['word']:<{width}}  {o['kind']:<7}  {o['split']}")
    if cov.num_buckets:
        used = sum(b for load, b in cov.bucket_load.items() if load)
        loads = ", ".join(f"{load}: {b}" for load, b in sorted(cov.bucket_load.items()))
        lines += ["", f"buckets: {cov.num_buckets}, {used} used; buckets by words held: {loads}",
                  f"collision rate: {cov.bucket_collision_rate:.2%} of distinct bucket words "
                  f"({cov.bucket_token_collision_rate:.2%} of bucket tokens) share a bucket"]
    return "\n".join(lines)


def run(fv, args):
    if args:
        raise UsageError(f"unexpected arguments {quoted(args)}; pass corpus files with --corpus.")
    if fv.vocabulary is None and fv.wordpiece_vocabulary is None:
        raise UsageError("give --vocabulary, --wordpiece_vocabulary or both.")
    if fv.plot is not None:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise CommandError("--plot needs matplotlib: pip install 'tf_dynemb[plot]'.") \
                from None
    words = _vocabulary(fv.vocabulary, "vocabulary")
    pieces = _vocabulary(fv.wordpiece_vocabulary, "wordpiece_vocabulary")
    paths = corpus.expand(fv.corpus)
    counts = corpus.count_words(paths, fv.lowercase, fv.strip_accents)
    corpus.require_words(counts, paths)

    import tf_dynemb

    vocabulary_model = tf_dynemb.build_model(words, pieces, fv.num_oov_buckets,
                                             fv.suffix_indicator, fv.max_bytes_per_word,
                                             fv.unknown_token)
    cov = measure(counts, vocabulary_model, tf_dynemb.decode_model(vocabulary_model), fv.top)
    print(format_table(cov))
    if fv.output_json:
        with atomic_open(fv.output_json) as f:
            json.dump(cov.as_dict(), f, indent=1, ensure_ascii=False)
    if fv.plot:
        from tf_dynemb.cli.coverage_plot import plot

        with staging() as files:
            temporary = files.path(fv.plot)
            with naming(fv.plot):
                plot(cov, temporary, title=", ".join(paths))
        print(f"\nwrote {fv.plot}")
    return 0
