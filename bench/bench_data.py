"""Benchmark data that needs no download: BERT-uncased's WordPiece vocabulary
and words of real English text.

- pieces: the 30,522 entries of BERT-base-uncased's `vocab.txt`, read back from
  the token-id map that the `blingfire` package ships (`bert_base_tok.i2w`):
  each id is decoded alone, and again after "the" to tell continuation pieces
  ("the" + "s" decodes to "thes", so id 2015 is "##s").
- words: the most frequent words of half of `tf_dynemb.sample_text`'s modules
  (lowercased), so the other half brings unseen words.
- text: the words of every module's docstrings, original casing.

`python bench/bench_data.py DIR` writes pieces.txt, words.txt and text.txt
(one token a line) for the TF-free core benchmark.
"""

import collections
import os
import sys

import numpy as np

from tf_dynemb import sample_text

_SPECIAL = {"[unk]": "[UNK]", "[cls]": "[CLS]", "[sep]": "[SEP]", "[mask]": "[MASK]"}


def bert_uncased_pieces():
    """BERT-base-uncased's WordPiece vocabulary, in id order."""
    try:
        import blingfire
    except ImportError as e:
        raise ImportError(
            "The benchmarks read BERT's vocabulary from the `blingfire` package: "
            "pip install -e '.[bench]'"
        ) from e
    handle = blingfire.load_model(
        os.path.join(os.path.dirname(blingfire.__file__), "bert_base_tok.i2w")
    )

    def decode(ids):
        return blingfire.ids_to_text(
            handle, np.asarray(ids, dtype=np.int32), skip_special_tokens=False
        )

    the = decode([1996])
    pieces = []
    for i in range(40000):
        token = decode([i])
        if not token:
            break
        if decode([1996, i]) == the + token:  # glued to the previous piece
            token = "##" + token
        pieces.append(_SPECIAL.get(token, token))
    blingfire.free_model(handle)
    if len(pieces) != 30522 or len(set(pieces)) != len(pieces):
        raise RuntimeError(f"Unexpected BERT vocabulary: {len(pieces)} pieces.")
    return pieces


def whole_words(num_words):
    modules = sample_text._MODULES  # noqa: SLF001 - the corpus' own module list
    train = sample_text.words(sample_text.docstrings(modules[::2]))
    return [w for w, _ in collections.Counter(train).most_common(num_words)]


def text_words():
    return sample_text.words(sample_text.docstrings(), lowercase=False)


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for name, tokens in (("pieces", bert_uncased_pieces()), ("words", whole_words(5000)),
                         ("text", text_words())):
        with open(os.path.join(out_dir, name + ".txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(tokens) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
