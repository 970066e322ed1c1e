"""Files the commands write appear whole or not at all: a command that fails
while writing (a full disk) or after counting leaves no partial or new file,
earlier files of the same names untouched, no temporaries and no Beam
`beam-temp-*` directories, and says so in one line, exit status 1."""

import errno
import json
import logging
import os

import pytest

from cli_helper import (TRAIN_MODULES, one_line_error, run_cli, run_on_small_disk,
                        small_disk_available, write_corpus)
from tf_dynemb.cli import atomic_files
from tf_dynemb.cli.startup import quiet_logging

OUTPUTS = ("word_counts.tsv", "vocabulary.txt", "wordpiece_vocabulary.txt")


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("text") / "docs.txt", TRAIN_MODULES[:3])


class _FullDisk:
    """A file whose writes fail with ENOSPC once `budget` bytes are spent
    (shared by every file the command opens)."""

    def __init__(self, f, disk):
        self._f, self._disk = f, disk

    def write(self, text):
        if self._disk.budget < len(text):
            self._f.write(text[:self._disk.budget])
            self._disk.budget = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._disk.budget -= len(text)
        return self._f.write(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._f.__exit__(*exc)


def fill_disk_after(monkeypatch, budget):
    """Makes the CLI's file writes fail with ENOSPC after `budget` characters."""
    disk = type("Disk", (), {"budget": budget})()
    monkeypatch.setattr(atomic_files, "open",
                        lambda *a, **k: _FullDisk(open(*a, **k), disk), raising=False)


def _learn(capsys, corpus, out, *extra):
    return run_cli(capsys, "learn-vocab", f"--corpus={corpus}", "--vocab_size=400",
                   "--words=100", f"--output_dir={out}", "--counter=local", *extra)


@pytest.fixture(scope="module")
def learned(tmp_path_factory, corpus_file):
    """{file name: text} of a learn-vocab run that succeeds."""
    from tf_dynemb.cli.main import main

    out = tmp_path_factory.mktemp("learned")
    assert main(["tf-dynemb", "learn-vocab", f"--corpus={corpus_file}", "--vocab_size=400",
                 "--words=100", f"--output_dir={out}", "--counter=local"]) == 0
    return {name: (out / name).read_text(encoding="utf-8") for name in OUTPUTS}


@pytest.mark.parametrize("failing", OUTPUTS)
def test_learn_vocab_on_a_full_disk_leaves_the_old_files(capsys, monkeypatch, corpus_file,
                                                         learned, tmp_path, failing):
    out = tmp_path / "out"
    out.mkdir()
    for name in OUTPUTS:
        (out / name).write_text(f"earlier {name}\n")
    # The files are written in OUTPUTS' order: the disk fills midway through `failing`.
    before = sum(len(learned[name]) for name in OUTPUTS[:OUTPUTS.index(failing)])
    fill_disk_after(monkeypatch, before + len(learned[failing]) // 2)
    status, _, err = _learn(capsys, corpus_file, out)
    assert status == 1
    assert one_line_error(err) == (f"tf-dynemb learn-vocab: error: cannot write "
                                   f"{out / failing}: No space left on device")
    assert sorted(os.listdir(out)) == sorted(OUTPUTS)  # no temporaries
    for name in OUTPUTS:
        assert (out / name).read_text() == f"earlier {name}\n"


def test_learn_vocab_failing_after_counting_leaves_no_counts(capsys, corpus_file, tmp_path):
    status, _, err = run_cli(capsys, "learn-vocab", f"--corpus={corpus_file}", "--vocab_size=5",
                             f"--output_dir={tmp_path / 'out'}", "--counter=local")
    assert status == 1
    assert "--vocab_size=5 is too small" in one_line_error(err)
    assert os.listdir(tmp_path / "out") == []


def test_beam_failure_leaves_no_counts_or_beam_temporaries(capsys, monkeypatch, corpus_file,
                                                           tmp_path):
    from tf_dynemb.cli import beam_counting

    def count_then_fail(batch, lowercase, strip_accents):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(beam_counting, "_count_batch", count_then_fail)
    quiet_logging()  # as the command's entry point does: Beam logs the step's traceback
    try:
        status, _, err = _learn(capsys, corpus_file, tmp_path / "out", "--counter=beam")
    finally:
        logging.disable(logging.NOTSET)
    assert status == 1, err
    line = one_line_error(err)
    assert line.startswith(f"tf-dynemb learn-vocab: error: cannot write "
                           f"{tmp_path / 'out' / 'word_counts.tsv'}: "), line
    assert "No space left on device" in line, line
    assert os.listdir(tmp_path / "out") == []


@pytest.mark.skipif(not small_disk_available(), reason="needs root and unshare for a tmpfs")
@pytest.mark.parametrize("counter", ["local", "beam"])
def test_learn_vocab_on_a_real_full_disk(corpus_file, learned, tmp_path, counter):
    """A tmpfs with room for less than the counts: one line, nothing left."""
    disk = tmp_path / "disk"
    size = len(learned["word_counts.tsv"].encode("utf-8")) // 2
    status, err, files = run_on_small_disk(
        disk, f"{max(size // 1024, 4)}k",
        ["learn-vocab", f"--corpus={corpus_file}", "--vocab_size=400", "--words=100",
         f"--output_dir={disk}", f"--counter={counter}"])
    assert status == 1, err
    line = one_line_error(err)
    assert line.startswith(f"tf-dynemb learn-vocab: error: cannot write {disk}"), line
    assert "No space left on device" in line, line
    assert files == []


def test_coverage_outputs_on_a_full_disk(capsys, monkeypatch, corpus_file, tmp_path):
    (tmp_path / "words.txt").write_text("the\nof\n")
    common = [f"--corpus={corpus_file}", f"--vocabulary={tmp_path / 'words.txt'}"]
    (tmp_path / "c.json").write_text("earlier")
    fill_disk_after(monkeypatch, 100)
    status, _, err = run_cli(capsys, "coverage", *common, f"--output_json={tmp_path / 'c.json'}")
    assert status == 1
    assert one_line_error(err) == (f"tf-dynemb coverage: error: cannot write "
                                   f"{tmp_path / 'c.json'}: No space left on device")
    assert (tmp_path / "c.json").read_text() == "earlier"
    monkeypatch.undo()

    import matplotlib.figure

    def savefig_then_fill(figure, path, **kwargs):
        with open(path, "wb") as f:
            f.write(b"\x89PNG partial")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", savefig_then_fill)
    status, _, err = run_cli(capsys, "coverage", *common, f"--plot={tmp_path / 'c.png'}")
    assert status == 1
    assert one_line_error(err) == (f"tf-dynemb coverage: error: cannot write "
                                   f"{tmp_path / 'c.png'}: No space left on device")
    assert sorted(os.listdir(tmp_path)) == ["c.json", "words.txt"]


def test_coverage_outputs_are_whole(capsys, corpus_file, tmp_path):
    (tmp_path / "words.txt").write_text("the\nof\n")
    status, _, err = run_cli(capsys, "coverage", f"--corpus={corpus_file}",
                             f"--vocabulary={tmp_path / 'words.txt'}",
                             f"--output_json={tmp_path / 'c.json'}",
                             f"--plot={tmp_path / 'c'}")  # no extension: still a PNG
    assert status == 0, err
    assert json.loads((tmp_path / "c.json").read_text())["tokens"] > 0
    assert (tmp_path / "c").read_bytes().startswith(b"\x89PNG")
    assert sorted(os.listdir(tmp_path)) == ["c", "c.json", "words.txt"]
