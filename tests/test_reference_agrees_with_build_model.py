"""One contract, two paths, computed independently from the same vocabulary
lists: every vocabulary build_model accepts, the stock-op path
(ReferenceLookup: StaticHashTable + TF Text's FastWordpieceTokenizer, built
from a VocabularyConfig, never from the op library's buffer) builds too and
maps every word to the same rows. Refusals: what build_model refuses (with a
clear error), ReferenceLookup refuses too, by its own checks, naming the same
argument; what the stock ops themselves cannot hold is pinned by
test_what_fastwordpiece_can_hold.

Run longer with
`pytest tests/test_reference_agrees_with_build_model.py --hypothesis-profile=long`.
"""

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import event, given
from hypothesis import strategies as st

import tf_dynemb
from tf_dynemb import reference as reference_module
from tf_dynemb import VocabularyConfig


# A small alphabet makes pieces match words; arbitrary bytes cover the rest.
ALPHABET = [b"a", b"b", b"#", b"@", b"\xc3", b"\xa9", b"\xff", "東".encode(), b" "]
short = st.lists(st.sampled_from(ALPHABET), min_size=1, max_size=4).map(b"".join)
clean_token = st.one_of(short, short, short, st.binary(min_size=1, max_size=6))
# What the stock path cannot hold, or may not: long pieces, NUL bytes.
odd_token = st.one_of(st.integers(250, 300).map(lambda n: b"a" * n),
                      st.binary(min_size=1, max_size=4).map(lambda t: t + b"\x00"))
clean_suffix = st.one_of(st.sampled_from([b"##", b"#", b"@@", b"\xc3"]),
                         st.binary(min_size=1, max_size=3).filter(lambda t: b"\x00" not in t))
odd_suffix = st.sampled_from([b"\x00", b"a\x00", b"#" * 65])


@st.composite
def vocabularies(draw):
    """About half the vocabularies are sound; the others hold one odd value."""
    odd = draw(st.sampled_from([None] * 5 + ["suffix", "piece", "word", "max_bytes", "repeat"]))
    suffix = draw(odd_suffix if odd == "suffix" else clean_suffix)
    token = odd_token if odd in ("piece", "word") else clean_token
    words = list(dict.fromkeys(draw(st.lists(token, max_size=8))))
    pieces = draw(st.lists(st.one_of(clean_token, clean_token.map(lambda t: suffix + t)),
                           max_size=16))
    if odd == "piece":
        pieces.append(draw(st.one_of(token, token.map(lambda t: suffix + t))))
    pieces = list(dict.fromkeys(pieces))
    if odd == "repeat":
        words, pieces = words + words[:1], pieces + pieces[:1]
    max_bytes = draw(st.sampled_from([256, 1000, 2**31 - 1] if odd == "max_bytes"
                                     else [1, 3, 8, 100, 255]))
    buckets = draw(st.sampled_from([0, 0, 1, 4]))
    unknown = draw(st.sampled_from(pieces)) if pieces and draw(st.booleans()) else None
    return VocabularyConfig(
        words=tuple(words), pieces=tuple(pieces), num_oov_buckets=buckets,
        suffix_indicator=suffix.decode("utf-8", "surrogateescape"),
        max_bytes_per_word=max_bytes, unknown_token=unknown)


@st.composite
def words_for(draw, config):
    """Words made of the vocabulary's own bytes, plus arbitrary ones."""
    parts = list(config.pieces) + list(config.words) + ALPHABET + [b"\x00"]
    suffix = config.suffix_indicator.encode("utf-8", "surrogateescape")
    parts += [p[len(suffix):] for p in config.pieces if p.startswith(suffix)]
    made = st.lists(st.sampled_from(parts), min_size=1, max_size=4).map(b"".join)
    return draw(st.lists(st.one_of(made, made, st.binary(max_size=12)), min_size=1,
                         max_size=40))


def fused_model(config):
    try:
        return tf_dynemb.build_model(
            list(config.words), list(config.pieces), config.num_oov_buckets,
            config.suffix_indicator.encode("utf-8", "surrogateescape"),
            config.max_bytes_per_word, config.unknown_token), None
    except ValueError as e:
        return None, e


def stock_lookup(config):
    try:
        return tf_dynemb.ReferenceLookup(config), None
    except Exception as e:  # its own checks (ValueError), or whatever TF Text or the table raise
        return None, e


def argument_named(error):
    """The first `argument` an error message names."""
    return str(error).split("`")[1] if "`" in str(error) else None


CASES = [  # vocabularies the stock path once failed on, and what build_model says
    (VocabularyConfig((), (b"a", b"##a"), 1, "##", 256, None),
     "both refused (`max_bytes_per_word` must be in [1, 255]"),
    (VocabularyConfig((), (b"a" * 257,), 1, "##", 100, None),
     "both refused (`pieces` may hold at most 256 bytes each"),
    (VocabularyConfig((), (b"\xff\xfe", b"##\xc3"), 1, "##", 100, None),
     "both accepted and agree"),  # invalid UTF-8 pieces
    (VocabularyConfig((), (b"a",), 1, "\x00", 100, None),
     "both refused (`suffix_indicator` must have 1 to 64 bytes, none of"),
]


@pytest.mark.parametrize("config, outcome", CASES)
def test_vocabularies_the_stock_path_once_failed_on(config, outcome):
    words = [b"a", b"aa", b"\xff\xfe\xc3", b"\xff\xfe\xc3\xc3", b"a" * 300]
    assert check_both_paths(config, words).startswith(outcome)


@pytest.mark.parametrize("vocab, suffix, message", [
    ([b"a" * 256], b"##", None),  # 256 bytes fit
    ([b"a" * 257], b"##", "exceeds the max supported \\(256\\)"),
    ([b"##" + b"a" * 256], b"##", None),  # the suffix indicator does not count
    ([b"a", b"\x00a"], b"\x00", "zero-length key"),
    ([b"\xff\xfe", b"##\xc3"], b"##", None),  # invalid UTF-8 is fine as bytes
])
def test_what_fastwordpiece_can_hold(vocab, suffix, message):
    """Why build_model refuses what it refuses: TF Text's own builder."""
    from tensorflow_text.core.pybinds import pywrap_fast_wordpiece_tokenizer_model_builder as b

    def build():
        return b.build_fast_wordpiece_model(vocab, 100, suffix, vocab[0], True, False)

    if message is None:
        assert len(build()) > 0
    else:
        with pytest.raises(RuntimeError, match=message):
            build()


@given(st.data())
def test_both_paths_agree_or_both_refuse(data):
    config = data.draw(vocabularies())
    event(check_both_paths(config, data.draw(words_for(config))))


def check_both_paths(config, words):
    model, fused_error = fused_model(config)
    reference, stock_error = stock_lookup(config)
    if model is None:
        # A refusal: both refuse, each by its own checks, for the same argument.
        assert "Received" in str(fused_error), fused_error  # a clear error, naming the value
        assert reference is None, f"the stock path accepted what build_model refuses: {fused_error}"
        assert isinstance(stock_error, ValueError) and "Received" in str(stock_error), stock_error
        assert argument_named(stock_error) == argument_named(fused_error), (fused_error,
                                                                           stock_error)
        return f"both refused ({str(fused_error).split('. Received')[0][:70]})"
    assert reference is not None, f"build_model accepted what the stock path refuses: {stock_error}"
    flat = tf.constant(words + [b""] + list(config.words) + list(config.pieces), tf.string)
    row_ids, _, row_word, kind = tf_dynemb.segment(flat, model)
    ref_rows, ref_kind = reference.rows(flat)
    np.testing.assert_array_equal(kind.numpy(), ref_kind.numpy())
    np.testing.assert_array_equal(row_ids.numpy(), ref_rows.flat_values.numpy())
    np.testing.assert_array_equal(row_word.numpy(), ref_rows.value_rowids().numpy())
    return "both accepted and agree"


def test_build_model_bounds_the_segmenters_work():
    # Unbounded, build_model itself made a 160 KB word take 28 s.
    long_piece = "##" + "a" * 15998 + "b"
    with pytest.raises(ValueError, match=r"max_bytes_per_word=2147483647"):
        tf_dynemb.build_model(pieces=["a", "##a", long_piece], num_oov_buckets=1,
                              max_bytes_per_word=2**31 - 1)
    with pytest.raises(ValueError, match=r"at most 256 bytes each.*pieces\[2\] of 16001 bytes"):
        tf_dynemb.build_model(pieces=["a", "##a", long_piece], num_oov_buckets=1,
                              max_bytes_per_word=255)
    # At the bounds: words of up to 255 bytes are split, longer ones hashed.
    model = tf_dynemb.build_model(pieces=["a", "##a", "##" + "a" * 255 + "b"],
                                  num_oov_buckets=1, max_bytes_per_word=255)
    _, _, _, kind = tf_dynemb.segment([b"a" * 255, b"a" * 256, b"a" * 160_000], model)
    assert kind.numpy().tolist() == [tf_dynemb.PIECES, tf_dynemb.BUCKET, tf_dynemb.BUCKET]


def test_reference_finds_a_sentinel_whatever_the_pieces_hold():
    # Pieces that hold the first sentinels the stock path would pick.
    stem = reference_module._SENTINEL_STEM
    taken = [first + stem + b"~" * (101 - 1 - len(stem)) for first in (b"<", b"!", b"~")]
    taken += [b"<" + stem + b"1" + b"~" * (101 - 2 - len(stem))]
    pieces = [b"a", b"##a"] + taken
    model = tf_dynemb.build_model([b"w"], pieces, num_oov_buckets=5)
    words = tf.constant([b"aa", b"w", b"zz", b""] + taken)
    row_ids, _, _, kind = tf_dynemb.segment(words, model)
    reference = tf_dynemb.ReferenceLookup(VocabularyConfig((b"w",), tuple(pieces), 5, "##", 100,
                                                           None))
    rows, ref_kind = reference.rows(words)
    np.testing.assert_array_equal(kind.numpy(), ref_kind.numpy())
    np.testing.assert_array_equal(row_ids.numpy(), rows.flat_values.numpy())
