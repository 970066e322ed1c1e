"""A whole-word and a BERT-size WordPiece vocabulary learned offline, for the
benchmarks.

No BERT `vocab.txt` ships with the installed packages and nothing may be
downloaded, so one is learned from the largest English text at hand: every
string constant with a space in it (docstrings, messages) in the Python
standard library and the installed packages, lowercased and split as BERT's
basic tokenizer does (letters, digits, single punctuation marks). TF Text's
WordPiece learner (the one behind keras_hub's compute_word_piece_vocabulary)
then learns the pieces at the highest frequency threshold (tried from 4
down) that yields at least the size asked, and the vocabulary is cut to that
size, most frequent pieces first, as keras_hub cuts it. The learner's own
binary search over thresholds took over 40 minutes here; one pass takes
about a minute. The result is cached.
"""

import ast
import collections
import os
import re
import site
import sysconfig
import unicodedata

_TOKEN = re.compile(r"[^\W\d_]+|\d+|[^\w\s]|_")
RESERVED = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def _source_files():
    roots = [sysconfig.get_paths()["stdlib"]] + site.getsitepackages()
    for root in roots:
        for directory, subdirs, files in os.walk(root):
            subdirs.sort()
            for name in sorted(files):
                if name.endswith(".py"):
                    yield os.path.join(directory, name)


def token_counts():
    """Lowercased BERT-style tokens of every spaced string constant."""
    counts = collections.Counter()
    for path in _source_files():
        try:
            with open(path, encoding="utf-8") as f:
                tree = ast.parse(f.read())
        except (SyntaxError, UnicodeDecodeError, ValueError, OSError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and " " in node.value:
                counts.update(_TOKEN.findall(node.value.lower()))
    return collections.Counter({t: c for t, c in counts.items() if _clean(t)})


def _clean(token):
    """No control characters (BERT's tokenizer drops them) and no lone
    surrogates ("\ud800" in a test string), which are not UTF-8."""
    return not any(unicodedata.category(c).startswith("C") for c in token)


def learn_pieces(counts, size):
    from tensorflow_text.tools.wordpiece_vocab import wordpiece_tokenizer_learner_lib as learner

    params = learner.Params(
        upper_thresh=None, lower_thresh=None, num_iterations=4, max_input_tokens=None,
        max_token_length=50, max_unique_chars=1000, vocab_size=size, slack_ratio=0.05,
        include_joiner_token=True, joiner="##", reserved_tokens=RESERVED)
    words = learner.get_input_words(list(counts.items()), RESERVED, params.max_token_length)
    allowed = learner.get_allowed_chars(words, params.max_unique_chars)
    words = learner.filter_input_words(words, allowed, -1)
    for threshold in (4, 3, 2, 1):
        pieces = learner.learn_with_thresh(words, threshold, params)
        if len(pieces) >= size:
            break
    return pieces[:size]


def _read(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def _write(path, tokens):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in tokens))


def corpus_counts(texts):
    """Lowercased BERT-style tokens of `texts`, as token_counts counts them."""
    counts = collections.Counter(t for text in texts for t in _TOKEN.findall(text.lower()))
    return collections.Counter({t: c for t, c in counts.items() if _clean(t)})


def corpus_vocabularies(cache_dir, num_words=5000, num_pieces=30522, counts=None):
    """(words, pieces): the `num_words` most frequent alphabetic tokens and
    about `num_pieces` WordPiece pieces (BERT's count by default), learned
    once from the corpus (or from `counts`) and cached in `cache_dir`."""
    words_path = os.path.join(cache_dir, f"bench_words_{num_words}.txt")
    pieces_path = os.path.join(cache_dir, f"bench_wordpiece_{num_pieces}.txt")
    if not (os.path.exists(words_path) and os.path.exists(pieces_path)):
        counts = token_counts() if counts is None else counts
        _write(words_path, [t for t, _ in counts.most_common() if t.isalpha()][:num_words])
        _write(pieces_path, learn_pieces(counts, num_pieces))
    return _read(words_path), _read(pieces_path)
