"""Writes the fuzzer's seed corpus: valid models made by build_model, each with
words that reach every kind (see core_fuzzer.cc for the input layout).

Usage: python ops/fuzz/make_seeds.py OUTPUT_DIR
"""

import os
import struct
import sys

import tf_dynemb
from tf_dynemb.vocabulary import default_vocabulary


def encode_words(words):
    out = b""
    for w in words:
        if len(w) < 255:
            out += bytes([len(w)]) + w
        else:
            out += b"\xff" + struct.pack("<H", min(len(w), 65535)) + w[:65535]
    return out


def seed(model, words, flags=0):
    model = bytes(model.numpy())
    return bytes([flags]) + struct.pack("<I", len(model)) + model + encode_words(words)


def models():
    words, pieces = default_vocabulary()
    yield "empty", tf_dynemb.build_model(), [b"a", b""]
    yield "words", tf_dynemb.build_model(["the", "cat", "a\x00b"], num_oov_buckets=3), [
        b"the", b"cat", b"dog", b"a\x00b", b""]
    yield "pieces", tf_dynemb.build_model(
        ["the"], ["un", "##aff", "##able", "[UNK]", "#", "##", "##a"], 0,
        unknown_token="[UNK]", max_bytes_per_word=12), [
        b"unaffable", b"un", b"##a", b"#", b"##", b"unaffableunaffable", b"\xff", b"the"]
    yield "suffix", tf_dynemb.build_model(
        [], ["a", "@@b", b"\xc3", b"@@\xa9", "東", "@@京"], 2, suffix_indicator="@@",
        max_bytes_per_word=255), ["ab".encode(), "é".encode(), "東京".encode(), b"@@b",
                                  b"a" * 255, b"a" * 256]
    yield "default", tf_dynemb.build_model(words[:60], pieces[:120], 50), [
        w.encode() for w in words[:20]] + [b"tokenization", b"unfathomable", b"qzxv"]
    ngram_words = [b"the", b"unaffable", b"\xc3\xa9t\xc3\xa9", b"\x80\xbf", b"a", b"x" * 12,
                   b"x" * 13, b""]
    yield "ngrams", tf_dynemb.build_model(
        ["the"], ["un", "##aff", "##able"], 2, max_bytes_per_word=12, num_ngram_buckets=7,
        min_n=1, max_n=4), ngram_words
    yield "composed", tf_dynemb.build_model(
        ["the", "unaffable"], ["un", "##aff"], 0, max_bytes_per_word=255, num_ngram_buckets=50,
        min_n=3, max_n=16, compose_words=True), ngram_words + [b"q" * 255, b"q" * 256]


def main(output_dir):
    os.makedirs(output_dir, exist_ok=True)
    for name, model, words in models():
        for flags in (0, 1):
            path = os.path.join(output_dir, f"{name}-{flags}")
            with open(path, "wb") as f:
                f.write(seed(model, words, flags))
    print(f"wrote {len(os.listdir(output_dir))} seeds to {output_dir}")


if __name__ == "__main__":
    main(sys.argv[1])
