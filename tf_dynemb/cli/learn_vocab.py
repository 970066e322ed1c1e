"""Learn a whole-word vocabulary and a WordPiece vocabulary from text files.

usage: tf-dynemb learn-vocab --corpus=FILE [--corpus=FILE ...] --vocab_size=N
           [--words=5000] --output_dir=DIR [-- BEAM_PIPELINE_OPTIONS]

Words are split as the TextEmbedding layer splits sentences (lowercased,
punctuation and CJK ideographs apart). Counting them grows with the corpus:
it runs as an Apache Beam pipeline (the DirectRunner in this process by
default; `--runner=DataflowRunner` and the options after `--` for a cluster)
when Beam is installed (pip install 'tf_dynemb[beam]'), else in this process.
The pieces are then learned from the counts in one process by TF Text's
WordPiece learner. Choosing words and learning pieces are
`tf_dynemb.vocabulary_learning`'s, as for the layers' `adapt()`.

Writes to --output_dir: vocabulary.txt (the --words most frequent words seen
at least --min_word_count times), wordpiece_vocabulary.txt (at most
--vocab_size pieces, the reserved tokens first) and word_counts.tsv.
"""

import os

from absl import flags

from tf_dynemb import vocabulary_learning
from tf_dynemb.cli import beam_counting, corpus
from tf_dynemb.cli.atomic_files import naming, staging
from tf_dynemb.cli.errors import UsageError, quoted
from tf_dynemb.cli.progress import say
from tf_dynemb.cli.wordpiece_learning import learn_pieces

WORDS_FILE = "vocabulary.txt"
PIECES_FILE = "wordpiece_vocabulary.txt"
COUNTS_FILE = "word_counts.tsv"


def define_flags(fv):
    flags.DEFINE_multi_string("corpus", None, "Text files (UTF-8) or glob patterns; repeat "
                              "the flag for more.", flag_values=fv)
    flags.DEFINE_string("output_dir", None, "Where the vocabularies are written.",
                        flag_values=fv)
    flags.DEFINE_integer("vocab_size", None, "Most pieces in the WordPiece vocabulary.",
                         lower_bound=1, flag_values=fv)
    flags.DEFINE_integer("words", vocabulary_learning.MAX_TOKENS,
                         "Whole words to keep, most frequent first.", lower_bound=0,
                         flag_values=fv)
    flags.DEFINE_integer("min_word_count", vocabulary_learning.MIN_FREQUENCY,
                         "A whole word must occur this many times.", lower_bound=1,
                         flag_values=fv)
    flags.DEFINE_list("reserved_tokens", list(vocabulary_learning.RESERVED_TOKENS),
                      "Pieces put first in the WordPiece vocabulary ([UNK] serves as "
                      "unknown_token when there are no buckets).", flag_values=fv)
    flags.DEFINE_string("suffix_indicator", "##", "Marks continuation pieces.", flag_values=fv)
    flags.DEFINE_boolean("lowercase", True, "Lowercase the text first (as TextEmbedding's "
                         "lowercase=True).", flag_values=fv)
    flags.DEFINE_boolean("strip_accents", False, "Remove accents (as TextEmbedding's "
                         "strip_accents=True).", flag_values=fv)
    flags.DEFINE_enum("counter", "auto", ["auto", "beam", "local"], "Where words are counted: "
                      "Beam, this process, or Beam when it is installed.", flag_values=fv)
    flags.DEFINE_string("runner", "DirectRunner", "The Beam runner.", flag_values=fv)
    for name in ("corpus", "output_dir", "vocab_size"):
        flags.mark_flag_as_required(name, flag_values=fv)


def _count(fv, pipeline_args, files):
    """{word: count}; the counts file is staged in `files`."""
    counts_path = os.path.join(fv.output_dir, COUNTS_FILE)
    use_beam = fv.counter == "beam" or (fv.counter == "auto" and beam_counting.available())
    if fv.counter == "beam" and not beam_counting.available():
        raise UsageError("--counter=beam needs Apache Beam: pip install 'tf_dynemb[beam]'.")
    if pipeline_args and not use_beam:
        raise UsageError(f"Beam pipeline options were given ({' '.join(pipeline_args)}) but "
                         f"words are counted without Beam.")
    if use_beam:
        say(f"Counting words with Apache Beam ({fv.runner}).")
        counts = beam_counting.count_words(fv.corpus, files.path(counts_path), fv.runner,
                                           pipeline_args, fv.lowercase, fv.strip_accents,
                                           shown_path=counts_path)
        corpus.require_words(counts, fv.corpus)
        return counts
    if fv.counter == "auto":
        say("Apache Beam is not installed (pip install 'tf_dynemb[beam]'): counting words "
            "in this process.")
    paths = corpus.expand(fv.corpus)
    counts = corpus.count_words(paths, fv.lowercase, fv.strip_accents)
    corpus.require_words(counts, paths)
    with files.open(counts_path) as f:
        corpus.write_counts(f, counts)
    return counts


def _write(files, path, tokens):
    with files.open(path) as f:
        f.writelines(token + "\n" for token in tokens)


def _check_flag_tokens(fv):
    """Reserved tokens and the suffix indicator become vocabulary tokens: the
    file's reader must take them back."""
    from tf_dynemb.vocabulary import check_tokens, token_problem

    try:
        check_tokens(fv.reserved_tokens, "reserved_tokens")
    except ValueError as e:
        raise UsageError(f"--reserved_tokens: {e}") from None
    problem = token_problem(fv.suffix_indicator + "a")
    if problem:
        raise UsageError(f"--suffix_indicator={fv.suffix_indicator!r:.40} starts pieces, which "
                         f"then {problem}.")


def run(fv, args):
    pipeline_args = list(args)
    if pipeline_args and not all(arg.startswith("-") for arg in pipeline_args):
        raise UsageError(f"unexpected arguments {quoted(pipeline_args)}; pass corpus files with "
                         f"--corpus, and Beam pipeline options after `--`.")
    if not fv.suffix_indicator:
        raise UsageError("--suffix_indicator must not be empty.")
    _check_flag_tokens(fv)
    with naming(fv.output_dir):
        os.makedirs(fv.output_dir, exist_ok=True)
    # The three files appear together, when all are written, or not at all.
    with staging() as files:
        counts = _count(fv, pipeline_args, files)
        total = sum(counts.values())
        words = vocabulary_learning.select_words(counts, fv.words, fv.min_word_count)
        covered = sum(counts[w] for w in words)
        say(f"Learning at most {fv.vocab_size} WordPiece pieces from {len(counts)} distinct "
            f"words.")
        pieces = learn_pieces(counts, fv.vocab_size, fv.reserved_tokens, fv.suffix_indicator)
        _write(files, os.path.join(fv.output_dir, WORDS_FILE), words)
        _write(files, os.path.join(fv.output_dir, PIECES_FILE), pieces)
    print(f"Counted {total} words, {len(counts)} distinct.")
    print(f"{os.path.join(fv.output_dir, WORDS_FILE)}: {len(words)} whole words, "
          f"{covered / total:.1%} of the words in the corpus.")
    print(f"{os.path.join(fv.output_dir, PIECES_FILE)}: {len(pieces)} pieces "
          f"(at most {fv.vocab_size}).")
    print(f"{os.path.join(fv.output_dir, COUNTS_FILE)}: the word counts.")
    return 0
