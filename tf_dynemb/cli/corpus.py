"""Corpus files: UTF-8 text whose words are split as `TextEmbedding` splits
sentences (`basic_tokenize`), so that a vocabulary learned here matches what
the layer looks up."""

import glob
import os

from tf_dynemb.cli.errors import CommandError, require_files
from tf_dynemb.cli.progress import bar
from tf_dynemb.numbered_names import plain_number
from tf_dynemb.vocabulary import read_lines
from tf_dynemb.vocabulary_learning import WordCounter, most_frequent

BATCH_LINES = 2048
COUNTS_HEADER = "word\tcount"


def expand(patterns, flag="corpus"):
    """Files named by `patterns` (paths or globs), in order; each must exist."""
    files = []
    for pattern in patterns:
        matched = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not matched:
            raise CommandError(f"--{flag}={pattern} matches no file.")
        require_files(matched, flag)
        files.extend(matched)
    return files


def lines_of(path):
    """(text, bytes read) of each line of a UTF-8 corpus file (as
    `tf_dynemb.vocabulary.read_lines` reads it); CommandError naming the line
    of invalid UTF-8."""
    try:
        for _, text in read_lines(path):
            yield text, len(text.encode("utf-8")) + 1
    except ValueError as e:
        raise CommandError(f"{e}; a corpus must be UTF-8 text.") from None


def tokenize(lines, lowercase=True, strip_accents=False):
    """The words of `lines` (strings) as a flat list of bytes."""
    import tensorflow as tf

    from tf_dynemb.text import basic_tokenize

    words = basic_tokenize(tf.constant(lines, tf.string), lowercase, strip_accents)
    return words.flat_values.numpy().tolist()


def count_words(paths, lowercase=True, strip_accents=False):
    """{word: count} over the files, in one process, with a progress bar."""
    counts = WordCounter()
    total = sum(os.path.getsize(p) for p in paths)
    with bar(total=total, desc="counting words", unit="B", unit_scale=True) as progress:
        for path in paths:
            batch = []
            for text, size in lines_of(path):
                batch.append(text)
                progress.update(size)
                if len(batch) == BATCH_LINES:
                    counts.update(tokenize(batch, lowercase, strip_accents))
                    batch = []
            if batch:
                counts.update(tokenize(batch, lowercase, strip_accents))
    return counts.counts()


def require_words(counts, paths):
    if not counts:
        raise CommandError(f"the corpus has no words: {', '.join(paths)}.")


def write_counts(f, counts):
    """Writes `counts` to the text file `f` as `word<TAB>count` lines, most
    frequent first, under a header."""
    f.write(COUNTS_HEADER + "\n")
    f.writelines(f"{word}\t{n}\n" for word, n in most_frequent(counts))


def read_counts(path):
    """{word: count} from a `word<TAB>count` file (header optional)."""
    counts = {}
    with open(path, encoding="utf-8") as f:
        for line_number, line in enumerate(f, start=1):
            line = line.rstrip("\n")
            if not line or (line_number == 1 and line == COUNTS_HEADER):
                continue
            word, _, n = line.rpartition("\t")
            try:
                if not word:
                    raise ValueError("no word before a tab")
                count = plain_number(n)
            except ValueError as e:
                raise CommandError(f"{path}:{line_number}: expected `word<TAB>count` ({e}), "
                                   f"got {line!r:.60}.") from None
            counts[word] = counts.get(word, 0) + count
    return counts
