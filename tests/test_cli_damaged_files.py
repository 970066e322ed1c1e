"""Every subcommand that reads a model answers a damaged or unreadable file
with one line naming the file and the damage, exit status 1: a damaged
`.keras` archive, `saved_model.pb`, export info or variables checkpoint, and
a full disk while exporting. The damaged files are made here from small
models."""

import errno
import io
import os
import shutil
import zipfile

import keras
import pytest

from cli_helper import one_line_error, run_cli, run_on_small_disk, small_disk_available
from tf_dynemb.layers import DynamicEmbedding


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """(a small .keras model, its whole-model portable export's version dir)."""
    from tf_dynemb.cli.main import main

    base = tmp_path_factory.mktemp("models")
    layer = DynamicEmbedding(4, vocabulary=["cat", "dog"], wordpiece_vocabulary=["un", "##s"],
                             num_oov_buckets=3, num_ngram_buckets=0, compose_words=False)
    inputs = keras.Input(shape=(), dtype="string")
    model = keras.Model(inputs, keras.layers.Dense(1)(layer(inputs)))
    model.save(str(base / "m.keras"))
    assert main(["tf-dynemb", "export", f"--keras_model={base / 'm.keras'}",
                 f"--output_dir={base / 'served'}"]) == 0
    return base / "m.keras", base / "served" / "1"


def _keras_with_bad_crc(raw):
    info = zipfile.ZipFile(io.BytesIO(raw)).getinfo("config.json")
    at = info.header_offset + 30 + len(info.filename) + 5  # in config.json's stored bytes
    return raw[:at] + bytes([raw[at] ^ 1]) + raw[at + 1:]


def _keras_with_half_weights(raw):
    source, out = zipfile.ZipFile(io.BytesIO(raw)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in source.namelist():
            data = source.read(name)
            archive.writestr(name, data[:len(data) // 2] if name.endswith(".h5") else data)
    return out.getvalue()


KERAS_DAMAGE = {
    "bad CRC": (_keras_with_bad_crc,
                "not a valid zip archive (Bad CRC-32 for file 'config.json')"),
    "truncated": (lambda raw: raw[:len(raw) // 2], "not a valid zip archive (no zip directory"),
    "empty": (lambda raw: b"", "not a valid zip archive (no zip directory"),
    "truncated weights": (_keras_with_half_weights, "its weights are damaged (Unable to"),
    "no config": (lambda raw: _zip({"metadata.json": b"{}"}), "it holds no config.json"),
}


def _zip(members):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize("damage", list(KERAS_DAMAGE))
def test_damaged_keras_file(capsys, models, tmp_path, damage):
    make, reason = KERAS_DAMAGE[damage]
    path = tmp_path / "damaged.keras"
    path.write_bytes(make(models[0].read_bytes()))
    for args in (["inspect", path], ["nearest", f"--model={path}", "cat"],
                 ["export", f"--keras_model={path}", f"--output_dir={tmp_path / 'out'}"],
                 ["export", f"--keras_model={path}", "--embedding_only",
                  f"--output_dir={tmp_path / 'out'}"]):
        status, _, err = run_cli(capsys, *args)
        assert status == 1, (args, err)
        line = one_line_error(err)
        assert line.startswith(f"tf-dynemb {args[0]}: error: cannot read {path}: "), line
        assert reason in line, line
    assert not (tmp_path / "out").exists()


def _write(relative, data):
    def damage(version_dir):
        (version_dir / relative).write_bytes(data(version_dir / relative)
                                             if callable(data) else data)
    return damage


EXPORT_INFO = os.path.join("assets.extra", "tf_dynemb_export.json")
INDEX = os.path.join("variables", "variables.index")
DATA = os.path.join("variables", "variables.data-00000-of-00001")

# damage, the file the line names, the reason, whether `inspect` reads that file
SAVED_MODEL_DAMAGE = {
    "garbage graph": (_write("saved_model.pb", b"\x07garbage" * 10), "saved_model.pb",
                      "not a SavedModel protocol buffer (Error parsing message", True),
    "empty graph": (_write("saved_model.pb", b""), "saved_model.pb",
                    "it holds no MetaGraph (0 bytes)", True),
    "export info {}": (_write(EXPORT_INFO, b"{}"), EXPORT_INFO,
                       "`flavor` must be one of ('portable', 'fused'). Received: flavor=None",
                       True),
    "export info list": (_write(EXPORT_INFO, b"[1]"), EXPORT_INFO,
                         "expected a JSON object. Received: a JSON list", True),
    "export info not JSON": (_write(EXPORT_INFO, b"{"), EXPORT_INFO, "not valid JSON", True),
    "export info of no contents": (_write(EXPORT_INFO, b'{"flavor": "portable"}'), EXPORT_INFO,
                                   "`contents` must be one of", True),
    "short index": (_write(INDEX, lambda p: p.read_bytes()[:10]), INDEX,
                    "file is too short to be an sstable", False),
    "short data": (_write(DATA, lambda p: p.read_bytes()[:20]), "",
                   "TensorFlow cannot load it (Read less bytes than requested)", False),
}


@pytest.mark.parametrize("damage", list(SAVED_MODEL_DAMAGE))
def test_damaged_saved_model(capsys, models, tmp_path, damage):
    make, relative, reason, inspect_reads_it = SAVED_MODEL_DAMAGE[damage]
    version = tmp_path / "1"
    shutil.copytree(models[1], version)
    make(version)
    named = os.path.join(version, relative) if relative else str(version)
    (tmp_path / "words.txt").write_text("cat\ndog\n")
    commands = [["query", f"--saved_model={version}", "cat"]]
    if "export info" not in damage:  # nearest needs no export info
        commands.append(["nearest", f"--model={version}",
                         f"--candidates={tmp_path / 'words.txt'}", "cat"])
    if inspect_reads_it:
        commands.append(["inspect", version])
    for args in commands:
        status, _, err = run_cli(capsys, *args)
        assert status == 1, (args, err)
        line = one_line_error(err)
        assert line.startswith(f"tf-dynemb {args[0]}: error: cannot read {named}: "), line
        assert reason in line, line


def test_a_write_error_during_export_is_one_line(capsys, models, tmp_path, monkeypatch):
    from tf_dynemb.serving import model_export

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(model_export, "write_export_info", no_space)
    status, _, err = run_cli(capsys, "export", f"--keras_model={models[0]}",
                             f"--output_dir={tmp_path / 'out'}")
    assert status == 1
    assert one_line_error(err) == (f"tf-dynemb export: error: cannot write {tmp_path / 'out'}: "
                                   "No space left on device")
    assert os.listdir(tmp_path / "out") == []  # the staging directory is gone


@pytest.mark.skipif(not small_disk_available(), reason="needs root and unshare for a tmpfs")
def test_a_full_disk_during_export_is_one_line(models, tmp_path):
    """On a real full disk (a tmpfs with room for one version): one line,
    exit 1, version 1 untouched, no version 2 and no staging left."""
    disk = tmp_path / "disk"
    size = sum(f.stat().st_size for f in models[1].rglob("*") if f.is_file())
    status, err, files = run_on_small_disk(
        disk, f"{size // 1024 + 100}k",
        ["export", f"--keras_model={models[0]}", f"--output_dir={disk / 'base'}"],
        copy_from=models[1], copy_to=os.path.join("base", "1"))
    assert status == 1, err
    line = one_line_error(err)
    assert line.startswith(f"tf-dynemb export: error: cannot write {disk / 'base'}: "), line
    assert line.endswith("No space left on device"), line
    want = sorted(["base", os.path.join("base", "1")] +
                  [os.path.join("base", "1", str(p.relative_to(models[1])))
                   for p in models[1].rglob("*")])
    assert files == want


def test_export_info_is_checked_by_the_library(models, tmp_path):
    from tf_dynemb.serving import read_export_info

    info = read_export_info(models[1])
    assert (info["flavor"], info["contents"]) == ("portable", "model")
    version = tmp_path / "1"
    shutil.copytree(models[1], version)
    (version / EXPORT_INFO).write_text('{"flavor": "turbo", "contents": "model"}')
    with pytest.raises(ValueError, match=r"tf_dynemb_export.json: `flavor` must be one of "
                                         r"\('portable', 'fused'\). Received: flavor='turbo'"):
        read_export_info(version)
