"""`lowercase` and `strip_accents`: `normalize_words` (core TF ops, one graph
for both flavors) against Python, TF Text and keras-hub, and on
`DynamicEmbedding`."""

import os
import unicodedata
import warnings

import keras
import keras_hub
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_text as tf_text

import tf_dynemb
from normalization_oracle import python_normalized
from saved_model_helper import op_types
from test_model_export import run_fresh
from tf_dynemb import serving, text
from tf_dynemb.layers import DynamicEmbedding, TextEmbedding
from tf_dynemb.text import normalize_words

SMALL = dict(num_ngram_buckets=0, compose_words=False)
# Accented, cased and non-Latin words, combining sequences, NUL, invalid UTF-8.
MIXED = [w.encode() if isinstance(w, str) else w for w in [
    "Café", "ZÜRICH", "naïve", "Ångström", "ΑΘΗΝΑ", "Ελληνικά", "ΟΔΟΣ", "Москва", "Ёлка",
    "東京", "한국어", "العربية", "e\u0301\u0327", "\u0301", "A\u030a", "ǅemal", "İstanbul",
    "AB\x00CD\x00", "\x00", "", "Straße", "ﬁne", b"caf\xc3", b"\xff\xfeA", b"A\xe2\x82Z",
    "\U0001d165\U0001d16d"]]
BUGS = {"ß": "ß", "ﬁ": "ﬁ"}  # what tf.strings.lower keeps and case folding changes


@pytest.mark.parametrize("lowercase, strip_accents", [(True, False), (False, True), (True, True)])
def test_normalize_words_is_python_lower_then_nfd_without_marks(lowercase, strip_accents):
    got = normalize_words(tf.constant(MIXED), lowercase, strip_accents).numpy().tolist()
    assert got == [python_normalized(w, lowercase, strip_accents) for w in MIXED]
    assert got[MIXED.index("AB\x00CD\x00".encode())] == (b"ab\x00cd\x00" if lowercase
                                                          else b"AB\x00CD\x00")
    if strip_accents:
        assert got[:2] == ([b"cafe", b"zurich"] if lowercase else [b"Cafe", b"ZURICH"])


def test_normalize_words_keeps_shapes_and_is_the_same_traced():
    ragged = tf.ragged.constant([["Á", "b"], [], ["ÉÉ"]])
    assert normalize_words(ragged, True, True).to_list() == [[b"a", b"b"], [], [b"ee"]]
    dense = tf.constant([["Á", "B"], ["c", ""]])
    traced = tf.function(lambda w: normalize_words(w, True, True))
    assert traced(dense).numpy().tolist() == [[b"a", b"b"], [b"c", b""]]
    assert normalize_words(dense) is dense  # both off: as given


def test_strip_accents_matches_tf_text_over_every_code_point():
    """Our table (Python's Unicode) against TF Text's NFD + `\\p{Mn}` removal
    (its ICU): differences only where the code point is unassigned in
    Python's Unicode version (newer characters)."""
    code_points = np.array([c for c in range(0x110000) if not 0xD800 <= c < 0xE000], np.int32)
    chars = tf.strings.unicode_encode(
        tf.RaggedTensor.from_row_lengths(code_points, tf.ones_like(code_points)), "UTF-8")
    ours = normalize_words(chars, strip_accents=True).numpy()
    theirs = tf.strings.regex_replace(tf_text.normalize_utf8(chars, "NFD"), r"\p{Mn}", "").numpy()
    differ = [int(c) for c in code_points[ours != theirs]]
    assert all(unicodedata.category(chr(c)) == "Cn" for c in differ), [hex(c) for c in differ]
    assert len(differ) < 200  # 55 with Python's Unicode 14 beside TF Text 2.21


def test_lowercase_matches_python_lower_but_not_case_folding():
    code_points = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    words = [chr(c).encode("utf-8") for c in code_points]
    ours = normalize_words(tf.constant(words), lowercase=True).numpy()
    differ = [c for c, w in zip(code_points, ours) if w != chr(c).lower().encode()]
    # TF's ICU predates some letters of Python's Unicode (Vithkuqi, U+A7C0...).
    assert len(differ) < 100, [hex(c) for c in differ[:20]]
    folded = tf_text.case_fold_utf8(tf.constant(list(BUGS))).numpy().tolist()
    assert normalize_words(tf.constant(list(BUGS)), True).numpy().tolist() == [
        w.encode() for w in BUGS.values()]
    assert folded == [b"ss", b"fi"]  # keras-hub's lowercasing differs here


def test_keras_hub_word_piece_tokenizer_agrees_word_by_word():
    pieces = ["[UNK]", "cafe", "zurich", "a", "##b", "ss", "fi", "##ne", "str", "##a", "##e",
              "mo", "##sk", "##va", "ελ", "##λη", "##νικα", "東", "京", "ᄒ", "##ᅡ", "##ᆫ", "##sse",
              "##ße"]
    words = ["Café", "ZÜRICH", "AB", "Moskva", "ΕΛΛΗΝΙΚΆ", "東", "한", "Straße", "ﬁne"]
    hub = keras_hub.tokenizers.WordPieceTokenizer(vocabulary=pieces, lowercase=True,
                                                  strip_accents=True, split=False)
    theirs = [np.asarray(hub.tokenize(tf.constant(w))).tolist() for w in words]
    layer = DynamicEmbedding(4, wordpiece_vocabulary=pieces, num_oov_buckets=0,
                             unknown_token="[UNK]", lowercase=True, strip_accents=True, **SMALL)
    rows, _, row_word, _ = tf_dynemb.segment(
        normalize_words(tf.constant(words), True, True), layer.vocabulary_model)
    ours = [rows.numpy()[row_word.numpy() == i].tolist() for i in range(len(words))]
    differ = {w for w, a, b in zip(words, ours, theirs) if a != b}
    # keras-hub case-folds with NFKC after stripping: "ss", "fi", and Hangul
    # syllables composed again from their jamo (which BERT's vocabularies hold).
    assert differ == {"Straße", "ﬁne", "한"}
    assert ours[words.index("한")] == [pieces.index(p) for p in ("ᄒ", "##ᅡ", "##ᆫ")]
    assert theirs[words.index("Straße")][-1] == pieces.index("##sse")
    assert theirs[-1] == [pieces.index("fi"), pieces.index("##ne")] and ours[-1] == [0]


def _pair(**kwargs):
    fused = DynamicEmbedding(**kwargs)
    fused.build()
    portable = DynamicEmbedding(**kwargs, use_custom_op=False)
    portable.build()
    portable.embeddings.assign(fused.embeddings)
    return fused, portable


@pytest.mark.filterwarnings("ignore:Layer .* tokens of its")  # "café": unreachable, on purpose
@pytest.mark.parametrize("lowercase, strip_accents", [(True, False), (False, True), (True, True)])
def test_both_flavors_agree_on_normalized_words(lowercase, strip_accents):
    fused, portable = _pair(output_dim=5, vocabulary=["cafe", "café", "москва", "東京", "ab\x00"[:2]],
                            wordpiece_vocabulary=["zur", "##ich", "ελ", "##ληνικα", "한", "##국어"],
                            num_oov_buckets=7, num_ngram_buckets=13, lowercase=lowercase,
                            strip_accents=strip_accents)
    words = tf.constant(MIXED)
    for got, want in zip(fused.lookup(words, return_kind=True),
                         portable.lookup(words, return_kind=True)):
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_a_bert_uncased_vocabulary_reaches_accented_and_cased_words():
    kwargs = dict(output_dim=4, vocabulary=["cafe"], wordpiece_vocabulary=["[UNK]", "zur", "##ich"],
                  num_oov_buckets=5, **SMALL)
    words = tf.constant(["Café", "ZÜRICH", "zürich", "CAFE"])
    for use_custom_op in (True, False):
        on = DynamicEmbedding(**kwargs, lowercase=True, strip_accents=True,
                              use_custom_op=use_custom_op)
        off = DynamicEmbedding(**kwargs, use_custom_op=use_custom_op)
        for layer in (on, off):
            layer.build()
        kinds = on.lookup(words, return_kind=True)[1].numpy().tolist()
        assert kinds == [tf_dynemb.WORD, tf_dynemb.PIECES, tf_dynemb.PIECES, tf_dynemb.WORD]
        assert off.lookup(words, return_kind=True)[1].numpy().tolist() == [tf_dynemb.BUCKET] * 4


def test_config_round_trip_and_older_configs_load_without_normalization():
    layer = DynamicEmbedding(4, vocabulary=["cafe"], lowercase=True, strip_accents=True, **SMALL)
    config = layer.get_config()
    assert config["lowercase"] is True and config["strip_accents"] is True
    clone = DynamicEmbedding.from_config(config)
    assert (clone.lowercase, clone.strip_accents) == (True, True)
    del config["lowercase"], config["strip_accents"]
    old = DynamicEmbedding.from_config(config)
    assert (old.lowercase, old.strip_accents) == (False, False)
    fixture = os.path.join(os.path.dirname(__file__), "fixtures", "dynamic_embedding.keras")
    loaded = [l for l in keras.saving.load_model(fixture).layers if isinstance(l, DynamicEmbedding)]
    assert loaded and all(not (l.lowercase or l.strip_accents) for l in loaded)
    with pytest.raises(TypeError, match="lowercase"):
        DynamicEmbedding(4, vocabulary=["a"], lowercase="yes")


def test_tokens_normalization_changes_are_named_once():
    with pytest.warns(UserWarning, match=r"2 of the 4 tokens of its `vocabulary`.*'Café'"):
        DynamicEmbedding(4, vocabulary=["cafe", "Café", "the", "The"], lowercase=True,
                         strip_accents=True, **SMALL)
    with pytest.warns(UserWarning, match=r"1 of the 3 tokens of its `wordpiece_vocabulary`"):
        DynamicEmbedding(4, wordpiece_vocabulary=["[UNK]", "##É", "a"], lowercase=True, **SMALL)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        DynamicEmbedding(4, vocabulary=["Café"], wordpiece_vocabulary=["[CLS]"], **SMALL)


def test_from_keras_hub_takes_the_tokenizers_normalization():
    hub = keras_hub.tokenizers.WordPieceTokenizer(vocabulary=["[UNK]", "cafe"], lowercase=True,
                                                  strip_accents=True)
    layer = DynamicEmbedding.from_keras_hub(hub, np.ones((2, 3)))
    assert (layer.lowercase, layer.strip_accents) == (True, True)
    assert layer.lookup(tf.constant(["CAFÉ"]), return_kind=True)[1].numpy()[0] == tf_dynemb.PIECES
    plain = keras_hub.tokenizers.WordPieceTokenizer(vocabulary=["[UNK]", "cafe"])
    assert not DynamicEmbedding.from_keras_hub(plain, np.ones((2, 3))).lowercase


@pytest.mark.parametrize("flavor", serving.FLAVORS)
def test_export_equals_predict_with_normalization(flavor, tmp_path):
    inputs = keras.Input(shape=(), dtype="string", name="words")
    embed = DynamicEmbedding(4, vocabulary=["cafe", "москва"], wordpiece_vocabulary=["zur", "##ich"],
                             num_oov_buckets=5, lowercase=True, strip_accents=True)
    model = keras.Model(inputs, keras.layers.Dense(2)(embed(inputs)))
    path = serving.export_model(model, str(tmp_path / "m"), flavor=flavor)
    expected = model.predict(tf.constant(MIXED), verbose=0)
    got = run_fresh(flavor, path, {"words": MIXED}, tmp_path)
    np.testing.assert_allclose(got["outputs"]["output_0"], expected, rtol=1e-6, atol=1e-6)
    assert not {"NormalizeUTF8", "CaseFoldUTF8"} & set(op_types(path))


def test_text_embedding_strips_accents_without_tf_text(tmp_path):
    layer = TextEmbedding(4, vocabulary=["cafe"], num_oov_buckets=3, strip_accents=True,
                          use_custom_op=True, **SMALL)
    model = keras.Sequential([keras.Input(shape=(), dtype="string"), layer])
    path = serving.export_model(model, str(tmp_path / "m"), flavor="fused")
    assert not any(op.startswith(("NormalizeUTF8", "FastWordpiece")) for op in op_types(path))
    words = text.basic_tokenize(tf.constant(["Un CAFÉ, s'il vous plaît"]), True, True)
    assert words.to_list() == [[b"un", b"cafe", b",", b"s", b"'", b"il", b"vous", b"plait"]]


def test_embedding_server_of_a_layer_normalizes_as_the_layer():
    from tf_dynemb.serving.embedding_server import EmbeddingServer

    layer = DynamicEmbedding(4, vocabulary=["cafe"], num_oov_buckets=2, lowercase=True,
                             strip_accents=True, **SMALL)
    layer.build()
    server = EmbeddingServer(layer.vocabulary_model, layer.embeddings.numpy(), lowercase=True,
                             strip_accents=True)
    assert server.embed_words(tf.constant(["CAFÉ"]))["kind"].numpy().tolist() == [tf_dynemb.WORD]


def test_strings_over_the_bound_are_refused_with_their_length(monkeypatch):
    traced = tf.function(lambda w: normalize_words(w, lowercase=True))
    huge = tf.constant([b"ok", b"a" * (text.MAX_NORMALIZED_WORD_BYTES + 1)])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"at most 268435456 bytes"):
        traced(huge)
    del huge
    monkeypatch.setattr(text, "MAX_NORMALIZED_WORD_BYTES", 4)
    for options in ((True, False), (False, True)):
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"flat position.*\n?.*1.*\n?.*has.*\n?.*6"):
            normalize_words(tf.constant(["abcd", "abcdef"]), *options)
    assert normalize_words(tf.constant(["ABCD"]), True).numpy().tolist() == [b"abcd"]


@pytest.mark.parametrize("ragged", [False, True])
def test_mask_empty_masks_words_that_normalize_to_padding(ragged):
    # A lone combining mark strips to "": the lookup's padding, so masked too.
    layer = DynamicEmbedding(3, vocabulary=["cafe"], num_oov_buckets=2, mask_empty=True,
                             lowercase=True, strip_accents=True, **SMALL)
    layer.build()
    rows = [["CAFÉ", "\u0301", "", "x\u0301"], ["\u0301\u0327", "e", "", ""]]
    words = tf.ragged.constant(rows) if ragged else tf.constant(rows)
    vectors, kind = layer.lookup(words, return_kind=True)
    mask = layer.compute_mask(words)
    if ragged:
        vectors, kind, mask = vectors.to_tensor(), kind.to_tensor(), mask.to_tensor()
    assert mask.numpy().tolist() == [[True, False, False, True], [False, True, False, False]]
    np.testing.assert_array_equal(mask.numpy(), kind.numpy() != tf_dynemb.PAD)
    assert not np.any(vectors.numpy()[~mask.numpy()])
    model = keras.Sequential([keras.Input((4,), dtype="string"), layer,
                              keras.layers.GlobalAveragePooling1D()])
    pooled = model.predict(tf.constant(rows), verbose=0)
    np.testing.assert_allclose(pooled[1], vectors.numpy()[1, 1], rtol=1e-6)  # one word: "e"


def test_nearest_looks_words_up_as_the_layer(capsys, tmp_path):
    from cli_helper import run_cli

    layer = DynamicEmbedding(4, vocabulary=["cafe", "zurich"], num_oov_buckets=2,
                             lowercase=True, strip_accents=True, **SMALL)
    model = keras.Sequential([keras.Input((), dtype="string"), layer])
    model.save(tmp_path / "m.keras")
    status, out, err = run_cli(capsys, "nearest", f"--model={tmp_path / 'm.keras'}", "--k=1",
                               "CAFÉ", "\u0301")
    assert status == 0, err
    assert "'CAFÉ' (word)" in out and "'\u0301' (pad)" in out


def test_embedding_server_sentences_are_normalized_before_the_split():
    from tf_dynemb.serving.embedding_server import EmbeddingServer

    layer = DynamicEmbedding(4, vocabulary=["cafe"], num_oov_buckets=2, strip_accents=True,
                             **SMALL)
    layer.build()
    server = EmbeddingServer(layer.vocabulary_model, layer.embeddings.numpy(),
                             strip_accents=True)
    # A lone mark is no word (as for TextEmbedding and learn-vocab), not a zero in the mean.
    got = server.embed_sentences(tf.constant(["Café \u0301", "cafe"]))["embedding"].numpy()
    np.testing.assert_allclose(got[0], got[1], rtol=1e-6)
    np.testing.assert_allclose(got[1], layer.embeddings.numpy()[0], rtol=1e-6)
