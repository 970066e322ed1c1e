"""Tokens survive saving, or are refused when given; files name file and line
of what they cannot read."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given
from hypothesis import strategies as st

import tf_dynemb
from tf_dynemb.layers import DynamicEmbedding
from tf_dynemb.vectors import load_text_vectors
from tf_dynemb.vocabulary import check_tokens, load_vocabulary


@pytest.mark.parametrize("token, message", [
    ("a\nb", r"`vocabulary\[1\]` holds a line break"),
    ("cat\r", r"`vocabulary\[1\]` holds a line break"),
    ("\r", r"`vocabulary\[1\]` holds a line break"),
    ("   ", r"`vocabulary\[1\]` is only whitespace"),
    ("cat ", r"`vocabulary\[1\]` has leading or trailing whitespace"),
    ("\ufeffcat", r"`vocabulary\[1\]` starts with a byte order mark"),
    ("", r"`vocabulary\[1\]` is empty"),
    ("\udcff", r"`vocabulary\[1\]` is not valid Unicode text"),
    (b"\xffcat", r"`vocabulary\[1\]` is not valid UTF-8"),
])
def test_unsavable_tokens_are_refused_at_construction(token, message):
    with pytest.raises(ValueError, match=message):
        DynamicEmbedding(4, vocabulary=["the", token])


def test_non_string_tokens_are_refused():
    with pytest.raises(TypeError, match=r"`pieces\[0\]` must be a string. Received: pieces\[0\]=3"):
        check_tokens([3], "pieces")
    assert check_tokens(np.array(["a", "b"]), "w") == ["a", "b"]
    assert check_tokens(tf.constant(["a", "é"]), "w") == ["a", "é"]


# Python's str.splitlines() would break several of these; files do not.
ODD_BUT_SAVABLE = ["a b", "tab\tinside", "nul\x00", "v\x0bt", "s\u2028p", "東京", "\U0001f642",
                   "n\x85l", "#", "a\x1cb"]


def test_odd_tokens_round_trip_through_a_keras_file(tmp_path):
    layer = DynamicEmbedding(3, vocabulary=ODD_BUT_SAVABLE, wordpiece_vocabulary=["a", "##b"],
                             num_oov_buckets=2, num_ngram_buckets=0)
    inputs = keras.Input(shape=(), dtype="string")
    model = keras.Model(inputs, layer(inputs))
    model.save(tmp_path / "m.keras")
    reloaded = keras.models.load_model(tmp_path / "m.keras")
    words = tf.constant(ODD_BUT_SAVABLE + ["ab", "zz"])
    np.testing.assert_array_equal(model(words), reloaded(words))
    reloaded_layer = reloaded.layers[1]
    assert reloaded_layer.get_vocabulary() == ODD_BUT_SAVABLE
    _, kind = reloaded_layer.lookup(words, return_kind=True)
    assert kind.numpy().tolist() == [tf_dynemb.WORD] * len(ODD_BUT_SAVABLE) + [
        tf_dynemb.PIECES, tf_dynemb.BUCKET]


# Valid pieces holding what line-based readers split, strip or decode wrongly
# (inside the token: at its ends such characters are whitespace, refused; no
# NUL: build_model refuses it in pieces).
HOSTILE_PIECES = ["a", "##b", "東", "##京", "s\u2028t", "##x\x85y", "\U0001f642", "##c\x1c\x1dd",
                  "v\x0bw", "##e\u2029f"]


def test_hostile_words_pieces_and_unknown_token_round_trip_through_a_keras_file(tmp_path):
    """Every vocabulary of the layer, hostile tokens in each, saved to a
    `.keras` file and loaded back: the same vocabularies, kinds and vectors."""
    layer = DynamicEmbedding(4, vocabulary=ODD_BUT_SAVABLE, wordpiece_vocabulary=HOSTILE_PIECES,
                             num_oov_buckets=0, unknown_token="\U0001f642", num_ngram_buckets=0)
    inputs = keras.Input(shape=(), dtype="string")
    model = keras.Model(inputs, layer(inputs))
    model.save(tmp_path / "hostile.keras")
    reloaded_model = keras.models.load_model(tmp_path / "hostile.keras")
    reloaded = reloaded_model.layers[1]
    assert reloaded.get_vocabulary() == ODD_BUT_SAVABLE
    assert reloaded.get_wordpiece_vocabulary() == HOSTILE_PIECES
    assert reloaded.unknown_token == "\U0001f642"
    split = ["ab", "東京京", "s\u2028tx\x85y", "v\x0bwc\x1c\x1dde\u2029f"]
    words = tf.constant(ODD_BUT_SAVABLE + split + ["zz"])
    _, kind = reloaded.lookup(words, return_kind=True)
    assert kind.numpy().tolist() == ([tf_dynemb.WORD] * len(ODD_BUT_SAVABLE)
                                     + [tf_dynemb.PIECES] * len(split) + [tf_dynemb.UNKNOWN])
    np.testing.assert_array_equal(reloaded_model(words), model(words))
    unknown_row = len(ODD_BUT_SAVABLE) + HOSTILE_PIECES.index("\U0001f642")
    np.testing.assert_array_equal(reloaded_model(words)[-1], layer.embeddings.numpy()[unknown_row])


@given(st.lists(st.text(min_size=1, max_size=6), max_size=8))
def test_any_accepted_tokens_read_back_the_same(tmp_path_factory, tokens):
    try:
        checked = check_tokens(tokens, "tokens")
    except ValueError:
        return
    path = tmp_path_factory.mktemp("v") / "v.txt"
    path.write_bytes("".join(t + "\n" for t in checked).encode())  # the layers' asset format
    assert load_vocabulary(str(path)) == tokens


@pytest.mark.parametrize("content, message", [
    (b"the\n  \ncat\n", r"v.txt:2: the line is only whitespace"),
    (b"the\ncat \n", r"v.txt:2: the line has leading or trailing whitespace"),
    (b"the\n\ncat\n", r"v.txt:2: the line is empty"),
    (b"the\nca\xfft\n", r"v.txt:2: not valid UTF-8 \(invalid start byte at byte 2"),
    (b"the\nc\rat\n", r"v.txt:2: the line holds a line break"),
    (b"a\nb\na\n", r"v.txt:3: token 'a' already appeared on line 1"),
])
def test_bad_vocabulary_files_name_file_and_line(tmp_path, content, message):
    (tmp_path / "v.txt").write_bytes(content)
    with pytest.raises(ValueError, match=message):
        load_vocabulary(str(tmp_path / "v.txt"))


def test_vocabulary_files_bom_crlf_and_final_blank_lines(tmp_path):
    (tmp_path / "v.txt").write_bytes(b"\xef\xbb\xbfthe\r\ncat\r\n\n\n")
    assert load_vocabulary(str(tmp_path / "v.txt")) == ["the", "cat"]


@pytest.mark.parametrize("text, message", [
    ("alpha 1 nan\n", r"v.vec:1: value 'nan' of 'alpha' is not a finite float32"),
    ("alpha 1 2\nbeta inf 2\n", r"v.vec:2: value 'inf' of 'beta' is not a finite float32"),
    ("alpha 1 2\nbeta 1e39 2\n", r"v.vec:2: value '1e39' of 'beta' is not a finite float32"),
    ("alpha 1 2\nbeta\t 1 2\n", r"v.vec:2: the word has leading or trailing whitespace"),
])
def test_bad_vectors_name_file_and_line(tmp_path, text, message):
    (tmp_path / "v.vec").write_text(text)
    with pytest.raises(ValueError, match=message):
        load_text_vectors(str(tmp_path / "v.vec"))


def test_vectors_bom_and_invalid_utf8(tmp_path):
    (tmp_path / "v.vec").write_bytes(b"\xef\xbb\xbf2 2\nthe 1 2\ncat 3 4\n")
    words, matrix = load_text_vectors(str(tmp_path / "v.vec"))
    assert words == ["the", "cat"] and matrix.tolist() == [[1, 2], [3, 4]]
    (tmp_path / "v.vec").write_bytes(b"the 1 2\nc\xc3t 3 4\n")
    with pytest.raises(ValueError, match=r"v.vec:2: not valid UTF-8"):
        load_text_vectors(str(tmp_path / "v.vec"))


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(num_oov_buckets=3.7), TypeError, r"`num_oov_buckets` must be an int. Received: "
                                           r"num_oov_buckets=3.7 of type float"),
    (dict(num_oov_buckets=True), TypeError, r"num_oov_buckets=True of type bool"),
    (dict(max_bytes_per_word="100"), TypeError, r"max_bytes_per_word='100' of type str"),
    (dict(num_oov_buckets=2**63), ValueError,
     r"`num_oov_buckets` must be an int <= 9223372036854775807. Received: "
     r"num_oov_buckets=9223372036854775808"),
    (dict(num_oov_buckets=-1), ValueError, r"`num_oov_buckets` must be an int >= 0"),
    (dict(max_bytes_per_word=0), ValueError, r"`max_bytes_per_word` must be an int >= 1"),
    (dict(num_oov_buckets=2**31), ValueError,
     r"2147483650 rows \(1 words \+ 1 pieces \+ num_oov_buckets=2147483648 \+ "
     r"num_ngram_buckets=0\); at most"),
    (dict(max_bytes_per_word=256), ValueError,
     r"`max_bytes_per_word` must be in \[1, 255\]"),
])
def test_build_model_integer_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        tf_dynemb.build_model(["a"], ["b"], **kwargs)
    assert tf_dynemb.build_model(["a"], num_oov_buckets=np.int64(2)).shape[0] > 0
