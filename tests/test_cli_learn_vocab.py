"""`tf-dynemb learn-vocab`: counting with Beam's DirectRunner and in-process
agree, the outputs add up, and bad input gets one line."""

import collections
import re
import unicodedata

import pytest

from cli_helper import TRAIN_MODULES, one_line_error, run_cli, write_corpus
from tf_dynemb.cli import corpus as corpus_lib
from tf_dynemb.vocabulary import load_vocabulary


# Latin text beside the (ASCII) docstrings: capitals to lowercase, accents,
# Unicode punctuation (dashes, guillemets, curly quotes) and ASCII symbols.
LATIN_LINES = ["Ça déjà vu \u2014 \u00abNAÏVE\u00bb café, l'été! Über-naïve Œuvre.",
               "\u201cSí\u201d, señor: 50% (más) #1 año\u2026 Ångström_Øre"]


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory):
    path = write_corpus(tmp_path_factory.mktemp("text") / "docs.txt", TRAIN_MODULES)
    with open(path, "a", encoding="utf-8") as f:
        f.write("\n".join(LATIN_LINES) + "\n")
    return path


def documented_words(line):
    """The tokenization docs/cli.md states (TextEmbedding's), written here for
    ASCII and Latin text without the library: lowercase; every punctuation
    mark (Unicode category P) and ASCII symbol is a word of its own; the rest
    splits at whitespace."""
    words = []
    for chunk in line.lower().split():
        word = ""
        for c in chunk:
            if (c.isascii() and not c.isalnum()) or unicodedata.category(c).startswith("P"):
                words += [word, c] if word else [c]
                word = ""
            else:
                word += c
        words += [word] if word else []
    return words


def test_the_oracle_itself():
    assert documented_words(LATIN_LINES[0]) == [
        "ça", "déjà", "vu", "\u2014", "\u00ab", "naïve", "\u00bb", "café", ",", "l", "'", "été",
        "!", "über", "-", "naïve", "œuvre", "."]
    assert documented_words(LATIN_LINES[1])[-4:] == ["\u2026", "ångström", "_", "øre"]


def _learn(capsys, corpus, out, *extra):
    return run_cli(capsys, "learn-vocab", f"--corpus={corpus}", "--vocab_size=1500",
                   "--words=400", f"--output_dir={out}", *extra)


def test_in_process_counts_add_up(capsys, corpus_file, tmp_path):
    status, out, err = _learn(capsys, corpus_file, tmp_path, "--counter=local")
    assert status == 0, err
    counts = corpus_lib.read_counts(tmp_path / "word_counts.tsv")
    text = corpus_file.read_text(encoding="utf-8")
    assert all(c.isascii() or unicodedata.name(c).startswith("LATIN") or
               unicodedata.category(c).startswith("P") for c in text)  # what the oracle covers
    want = collections.Counter(w for line in text.splitlines() for w in documented_words(line))
    assert want["naïve"] == 2 and want["\u00ab"] == 1  # the Latin lines are counted
    assert counts == want
    assert f"Counted {sum(want.values())} words, {len(want)} distinct." in out
    words = load_vocabulary(tmp_path / "vocabulary.txt")
    assert len(words) == 400
    assert [w for w, _ in corpus_lib.most_frequent(want, 400)] == words
    assert min(want[w] for w in words) >= 2
    covered = sum(want[w] for w in words) / sum(want.values())
    assert f"400 whole words, {covered:.1%} of the words in the corpus" in out
    pieces = load_vocabulary(tmp_path / "wordpiece_vocabulary.txt")
    assert pieces[0] == "[UNK]" and 1500 * 0.5 < len(pieces) <= 1500
    assert any(p.startswith("##") for p in pieces)


def test_beam_direct_runner_gives_the_same_vocabularies(capsys, corpus_file, tmp_path):
    local, beam = tmp_path / "local", tmp_path / "beam"
    assert _learn(capsys, corpus_file, local, "--counter=local")[0] == 0
    status, _, err = _learn(capsys, corpus_file, beam, "--counter=beam")
    assert status == 0, err
    assert "Counting words with Apache Beam (DirectRunner)" in err
    for name in ("vocabulary.txt", "wordpiece_vocabulary.txt"):
        assert (local / name).read_text() == (beam / name).read_text()
    assert corpus_lib.read_counts(local / "word_counts.tsv") == \
        corpus_lib.read_counts(beam / "word_counts.tsv")


@pytest.mark.parametrize("counter", ["local", "beam"])
def test_empty_corpus(capsys, tmp_path, counter):
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n\n")
    status, _, err = _learn(capsys, empty, tmp_path / "out", f"--counter={counter}")
    assert status == 1
    assert one_line_error(err) == f"tf-dynemb learn-vocab: error: the corpus has no words: {empty}."


@pytest.mark.parametrize("counter, message", [
    ("local", r"bad.txt:2: not valid UTF-8 \(invalid start byte at byte 5 of the line\)"),
    ("beam", r"1 lines of the corpus are not valid UTF-8: .*bad.txt \(1\)"),
])
def test_invalid_utf8(capsys, tmp_path, counter, message):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"good words here\nsome \xff bytes\n")
    status, _, err = _learn(capsys, bad, tmp_path / "out", f"--counter={counter}")
    assert status == 1


    assert re.search(message, one_line_error(err)), err
    assert not (tmp_path / "out" / "word_counts.tsv").exists()


@pytest.mark.parametrize("args, status, message", [
    (["--corpus=/nonexistent/x.txt", "--vocab_size=10", "--output_dir=o", "--counter=local"], 1,
     "--corpus=/nonexistent/x.txt is missing; expected a file."),
    (["--corpus=/nonexistent/x.txt", "--vocab_size=10", "--output_dir=o", "--counter=beam"], 1,
     "--corpus=/nonexistent/x.txt matches no file."),
    (["--corpus=/nonexistent/*.txt", "--vocab_size=10", "--output_dir=o", "--counter=local"], 1,
     "--corpus=/nonexistent/*.txt matches no file."),
    (["--corpus=c", "--output_dir=o"], 2, "Flag --vocab_size must have a value other than None."),
    (["--corpus=c", "--vocab_size=0", "--output_dir=o"], 2,
     "flag --vocab_size=0: 0 is not a positive integer"),
    (["--corpus=c", "--vocab_size=5", "--output_dir=o", "--no_such_flag"], 2,
     "Unknown command line flag 'no_such_flag'"),
    (["--corpus=c", "--vocab_size=5", "--output_dir=o", "--counter=local", "--",
      "--runner_option"], 2, "Beam pipeline options were given (--runner_option)"),
])
def test_bad_arguments(capsys, tmp_path, monkeypatch, args, status, message):
    monkeypatch.chdir(tmp_path)
    got, _, err = run_cli(capsys, "learn-vocab", *args)
    assert got == status
    assert message in one_line_error(err)


def test_vocab_size_below_the_alphabet(capsys, corpus_file, tmp_path):
    status, _, err = run_cli(capsys, "learn-vocab", f"--corpus={corpus_file}", "--vocab_size=5",
                             f"--output_dir={tmp_path}", "--counter=local")
    assert status == 1
    assert "--vocab_size=5 is too small" in one_line_error(err)


@pytest.mark.parametrize("count", ["\u00b2", "\u0663", "-1", "1.5", ""])
def test_a_count_that_is_not_an_ascii_decimal_names_the_file_and_line(tmp_path, count):
    from tf_dynemb.cli.errors import CommandError

    path = tmp_path / "word_counts.tsv"
    path.write_text(f"{corpus_lib.COUNTS_HEADER}\nthe\t3\ncat\t{count}\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"word_counts\.tsv:3: expected `word<TAB>count`"):
        corpus_lib.read_counts(path)
    path.write_text("the\t3\ncat\t12\n", encoding="utf-8")
    assert corpus_lib.read_counts(path) == {"the": 3, "cat": 12}
