"""`tf-dynemb coverage` on held-out real text: the table's numbers add up, the
JSON agrees with the corpus, the PNG is a real picture; bad input gets one line."""

import json
import re

import numpy as np
import pytest

from cli_helper import HELD_OUT_MODULES, TRAIN_MODULES, one_line_error, run_cli, write_corpus
from tf_dynemb.cli import corpus as corpus_lib

# Words the learned alphabet lacks, so that some words fall in buckets.
FOREIGN = "東京 大阪 서울 Москва Київ Αθήνα עברית 🙂 北京 naïve Zürich\n"


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    base = tmp_path_factory.mktemp("coverage")
    train = write_corpus(base / "train.txt", TRAIN_MODULES)
    held_out = write_corpus(base / "held_out.txt", HELD_OUT_MODULES)
    with open(held_out, "a", encoding="utf-8") as f:
        f.write(FOREIGN * 3)
    from tf_dynemb.cli.main import main

    assert main(["tf-dynemb", "learn-vocab", f"--corpus={train}", "--vocab_size=800",
                 "--words=300", f"--output_dir={base / 'vocab'}", "--counter=local"]) == 0
    return base, held_out


def _coverage(capsys, base, corpus, *extra):
    return run_cli(capsys, "coverage", f"--corpus={corpus}",
                   f"--vocabulary={base / 'vocab' / 'vocabulary.txt'}",
                   f"--wordpiece_vocabulary={base / 'vocab' / 'wordpiece_vocabulary.txt'}",
                   "--num_oov_buckets=8", *extra)


def test_numbers_add_up(capsys, setup, tmp_path):
    base, held_out = setup
    status, out, err = _coverage(capsys, base, held_out, f"--output_json={tmp_path / 'c.json'}")
    assert status == 0, err
    cov = json.loads((tmp_path / "c.json").read_text())
    counts = corpus_lib.count_words([str(held_out)])
    assert cov["tokens"] == sum(counts.values()) and cov["distinct"] == len(counts)
    assert sum(cov["tokens_by_kind"].values()) == cov["tokens"]
    assert sum(cov["distinct_by_kind"].values()) == cov["distinct"]
    assert sum(cov["token_shares"].values()) == pytest.approx(1.0)
    assert sum(cov["distinct_shares"].values()) == pytest.approx(1.0)
    for kind in ("word", "pieces", "bucket"):
        assert cov["tokens_by_kind"][kind] > 0, kind
    assert sum(n["distinct"] for n in cov["pieces_per_word"].values()) == \
        cov["distinct_by_kind"]["pieces"]
    assert sum(n["tokens"] for n in cov["pieces_per_word"].values()) == \
        cov["tokens_by_kind"]["pieces"]
    load = {int(k): v for k, v in cov["bucket_load"].items()}
    assert sum(load.values()) == 8
    assert sum(k * v for k, v in load.items()) == cov["distinct_by_kind"]["bucket"]
    sharing = sum(k * v for k, v in load.items() if k > 1)
    in_buckets = cov["distinct_by_kind"]["bucket"]
    assert cov["bucket_collision_rate"] == pytest.approx(sharing / in_buckets)
    top = cov["top_oov"]
    assert [o["count"] for o in top] == sorted((o["count"] for o in top), reverse=True)
    assert all(counts[o["word"]] == o["count"] for o in top)
    split = next(o for o in top if o["kind"] == "pieces")
    assert split["split"].replace(" ##", "") == split["word"]
    # The table prints the same numbers.
    assert f"{cov['tokens']} tokens, {cov['distinct']} distinct words" in out
    row = re.search(r"^word\s+(\d+)\s+([\d.]+)%", out, re.M)
    assert int(row.group(1)) == cov["tokens_by_kind"]["word"]
    assert float(row.group(2)) == pytest.approx(100 * cov["token_shares"]["word"], abs=0.01)
    assert re.search(r"^total\s+%d\s+100.00%%" % cov["tokens"], out, re.M)


def test_plot_is_a_real_picture(capsys, setup, tmp_path):
    import matplotlib.image

    base, held_out = setup
    png = tmp_path / "coverage.png"
    status, out, err = _coverage(capsys, base, held_out, f"--plot={png}")
    assert status == 0, err
    assert png.stat().st_size > 30_000
    pixels = matplotlib.image.imread(png)
    assert pixels.shape[0] >= 800 and pixels.shape[1] >= 1200
    # Four panels of bars in several colours, not a blank canvas.
    colours = np.unique((pixels[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 50
    assert f"wrote {png}" in out


@pytest.mark.parametrize("case, status, message", [
    ("missing_corpus", 1, "--corpus=/nonexistent.txt is missing; expected a file."),
    ("missing_vocabulary", 1, "--vocabulary=/nonexistent/words.txt is missing"),
    ("no_vocabulary", 2, "give --vocabulary, --wordpiece_vocabulary or both."),
    ("empty_corpus", 1, "the corpus has no words"),
    ("invalid_utf8", 1,
     "bad.txt:1: not valid UTF-8 (invalid continuation byte at byte 3 of the line)"),
    ("unknown_flag", 2, "Unknown command line flag 'colour'"),
    ("negative_buckets", 2, "flag --num_oov_buckets=-1: -1 is not a non-negative integer"),
])
def test_bad_input(capsys, setup, tmp_path, case, status, message):
    base, held_out = setup
    words = f"--vocabulary={base / 'vocab' / 'vocabulary.txt'}"
    args = {
        "missing_corpus": ["--corpus=/nonexistent.txt", words],
        "missing_vocabulary": [f"--corpus={held_out}", "--vocabulary=/nonexistent/words.txt"],
        "no_vocabulary": [f"--corpus={held_out}"],
        "empty_corpus": [f"--corpus={tmp_path / 'empty.txt'}", words],
        "invalid_utf8": [f"--corpus={tmp_path / 'bad.txt'}", words],
        "unknown_flag": [f"--corpus={held_out}", words, "--colour=red"],
        "negative_buckets": [f"--corpus={held_out}", words, "--num_oov_buckets=-1"],
    }[case]
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "bad.txt").write_bytes(b"caf\xc3 au lait\n")
    got, _, err = run_cli(capsys, "coverage", *args)
    assert got == status
    assert message in one_line_error(err)
