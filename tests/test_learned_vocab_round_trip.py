"""What `tf-dynemb learn-vocab` writes, `load_vocabulary` reads: words are
split on every character Python strips as whitespace (NBSP, U+3000, U+2028...)
and on byte order marks, the set `check_tokens` refuses at a token's ends."""

import contextlib
import io
import os
import tempfile

import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st

from tf_dynemb.cli.main import main
from tf_dynemb.layers import DynamicEmbedding
from tf_dynemb.text import basic_tokenize
from tf_dynemb.vocabulary import WHITESPACE, WORD_SEPARATORS, load_vocabulary

HOSTILE = ["a", "b", "c", "é", "E", "\xa0", "\u3000", "\ufeff", "\u2028", "\x85", "\r", "\t",
           " ", "\x1c", "\u200b", "\u0301", "東", "!", "#", "🙂", "\u202f", "\u2009", "\x0b",
           "\x00"]


def _learn(corpus_text, out_dir, *extra):
    corpus = os.path.join(out_dir, "corpus.txt")
    with open(corpus, "w", encoding="utf-8", newline="") as f:
        f.write(corpus_text)
    output = os.path.join(out_dir, "vocab")
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        status = main(["tf-dynemb", "learn-vocab", f"--corpus={corpus}", "--vocab_size=3000",
                       "--min_word_count=1", f"--output_dir={output}", "--counter=local",
                       *extra])
    assert status == 0, sink.getvalue()[-2000:]
    return (load_vocabulary(os.path.join(output, "vocabulary.txt")),
            load_vocabulary(os.path.join(output, "wordpiece_vocabulary.txt")))


def test_whitespace_is_pythons():
    assert set(WHITESPACE) == {chr(c) for c in range(0x110000) if chr(c).isspace()}
    assert set(WORD_SEPARATORS) == set(WHITESPACE) | {"\ufeff"}


def test_words_split_on_unicode_whitespace_and_byte_order_marks():
    words = basic_tokenize(tf.constant(["\ufeffThe bien\xa0fait\u3000ok\u2028x\ufeffy\x00Z w"]))
    assert words.flat_values.numpy().tolist() == [
        b"the", b"bien", b"fait", b"ok", b"x", b"y", b"z", b"w"]  # NUL no longer ends the text.


def test_nbsp_and_bom_corpus_loads(tmp_path):
    words, pieces = _learn("\ufeffthe bien\xa0 fait, bien\xa0\xa0fait\nthe\xa0end\n", str(tmp_path))
    assert {"the", "bien", "fait", "end"} <= set(words)
    assert not [t for t in words + pieces if any(c in WORD_SEPARATORS for c in t)]


@settings(max_examples=50)
@given(st.lists(st.text(st.sampled_from(HOSTILE), min_size=1, max_size=40), min_size=1,
                max_size=6), st.booleans(), st.booleans())
def test_every_learned_vocabulary_loads(lines, bom, lowercase):
    text = ("\ufeff" if bom else "") + "\n".join(lines) + "\n"
    if not basic_tokenize(tf.constant(text.split("\n")), lowercase).flat_values.shape[0]:
        return  # No words at all: learn-vocab says so (test_cli_learn_vocab.py).
    with tempfile.TemporaryDirectory() as out_dir:
        words, pieces = _learn(text, out_dir, f"--lowercase={lowercase}")  # Both files load,
    DynamicEmbedding(2, vocabulary=words, wordpiece_vocabulary=pieces)  # and make a layer.


@pytest.mark.parametrize("flag, message", [
    ("--reserved_tokens=[UNK],\ufeffx", "--reserved_tokens: `reserved_tokens[1]` starts with a "
                                       "byte order mark"),
    ("--suffix_indicator=\xa0", "starts pieces, which then has leading or trailing whitespace"),
])
def test_tokens_given_as_flags_are_checked(tmp_path, flag, message, capsys):
    (tmp_path / "c.txt").write_text("some words here\n")
    status = main(["tf-dynemb", "learn-vocab", f"--corpus={tmp_path / 'c.txt'}",
                   "--vocab_size=100", f"--output_dir={tmp_path / 'o'}", "--counter=local", flag])
    err = capsys.readouterr().err
    assert status == 2 and message in err, err
