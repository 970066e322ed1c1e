"""How `tf-dynemb` starts: the overview without TensorFlow, no log lines of
TensorFlow, absl or Beam unless --verbose, and usage lines (in --help and in
docs/cli.md) that show the defaults the flags really have."""

import os
import re
import subprocess
import sys

import keras
import pytest
from absl import flags

from cli_helper import TRAIN_MODULES, run_cli, write_corpus
from tf_dynemb.cli import beam_counting
from tf_dynemb.cli.main import COMMANDS, _module
from tf_dynemb.layers import DynamicEmbedding

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# What TensorFlow, absl and Beam write to stderr when they start.
LOG_MARKERS = ("E0000", "W0000", "I0000", "oneDNN", "cuInit", "cuda", "apitools",
               "absl::InitializeLog", "WARNING")
# `--name=VALUE` in a usage line; a VALUE with a capital first (FILE, N) is a placeholder.
USAGE_FLAG = re.compile(r"--(\w+)=([^\s\]]+)")


def _command(*args, verbose=False):
    """Runs the installed entry point's code in a fresh process; (status, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_CPP_")}
    env["PYTHONPATH"] = ROOT
    argv = ["tf-dynemb", *map(str, args)] + (["--verbose"] if verbose else [])
    code = f"import sys, tf_dynemb_cli; sys.exit(tf_dynemb_cli.main({argv!r}))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=600)
    return result.returncode, result.stdout, result.stderr


@pytest.fixture(scope="module")
def keras_model(tmp_path_factory):
    inputs = keras.Input(shape=(), dtype="string", name="words")
    layer = DynamicEmbedding(4, vocabulary=["cat", "dog"], wordpiece_vocabulary=["ca", "##t"],
                             num_oov_buckets=2, name="words_embedding")
    path = tmp_path_factory.mktemp("startup") / "m.keras"
    keras.Model(inputs, layer(inputs)).save(str(path))
    return path


def test_overview_does_not_import_tensorflow():
    code = ("import sys, tf_dynemb_cli; tf_dynemb_cli.main(['tf-dynemb', '--help']); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('tensorflow', 'keras', 'tf_dynemb')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=ROOT), timeout=120)
    assert result.returncode == 0, result.stderr
    *overview, imported = result.stdout.strip().splitlines()
    assert all(f"  {name} " in "\n".join(overview) for name in COMMANDS), overview
    assert imported == "[]", imported
    assert result.stderr == ""


def test_inspect_prints_no_log_lines_unless_verbose(keras_model):
    status, out, err = _command("inspect", keras_model)
    assert status == 0, err
    assert "DynamicEmbedding 'words_embedding'" in out
    assert err == "", err
    status, out, verbose_err = _command("inspect", keras_model, verbose=True)
    assert status == 0 and "DynamicEmbedding 'words_embedding'" in out
    # TensorFlow does log at start-up: the quiet run above hid it.
    assert any(marker in verbose_err for marker in LOG_MARKERS), verbose_err


def test_failing_command_keeps_its_error_line_when_quiet(tmp_path):
    status, _, err = _command("inspect", tmp_path / "missing.keras")
    assert status == 1
    assert err.strip() == f"tf-dynemb inspect: error: {tmp_path / 'missing.keras'} does not exist."


@pytest.mark.skipif(not beam_counting.available(), reason="needs Apache Beam")
def test_learn_vocab_with_beam_prints_no_log_lines(tmp_path):
    corpus = write_corpus(tmp_path / "corpus.txt", TRAIN_MODULES[:2])
    status, out, err = _command("learn-vocab", f"--corpus={corpus}", "--vocab_size=200",
                                "--words=50", "--counter=beam", f"--output_dir={tmp_path / 'v'}")
    assert status == 0, err
    assert "50 whole words" in out
    assert not [marker for marker in LOG_MARKERS if marker in err], err
    assert err.splitlines()[0].startswith("Counting words with Apache Beam"), err


def _usage(text):
    """The usage block of a help text: from `usage:` to the first blank line."""
    match = re.search(r"usage: (.*?)(\n\s*\n|\Z)", text, re.S)
    assert match, text
    return match.group(1)


def _check_usage_defaults(usage, flag_values, where):
    checked = 0
    for name, value in USAGE_FLAG.findall(usage):
        flag = flag_values[name]  # KeyError: the usage names a flag that does not exist
        shown = value.split("|")
        if value[0].isupper():
            continue  # a placeholder: FILE, N, OUT.png, DirectRunner
        if len(shown) > 1:
            assert set(shown) == set(flag.parser.enum_values), (where, name, shown)
            assert flag.default is None or shown[0] == flag.default, (where, name, value,
                                                                      flag.default)
        else:
            assert value == str(flag.default), (where, name, value, flag.default)
        checked += 1
    return checked


@pytest.mark.parametrize("command", list(COMMANDS))
def test_help_usage_shows_the_true_defaults(capsys, command):
    status, out, _ = run_cli(capsys, command, "--help")
    assert status == 0
    flag_values = flags.FlagValues()
    _module(command).define_flags(flag_values)
    _check_usage_defaults(_usage(out), flag_values, f"{command} --help")
    # absl's own list: every flag with "(default: ...)" as the FlagValues has it.
    for name, flag in flag_values._flags().items():
        if flag.default is not None and len(name) > 1:
            assert f"--{'[no]' if flag.boolean else ''}{name}" in out, name
    assert "--verbose" in out


def test_docs_cli_usage_shows_the_true_defaults():
    with open(os.path.join(ROOT, "docs", "cli.md"), encoding="utf-8") as f:
        blocks = re.findall(r"```\n(tf-dynemb (\S+) .*?)```", f.read(), re.S)
    checked = 0
    for block, command in blocks:
        flag_values = flags.FlagValues()
        _module(command).define_flags(flag_values)
        checked += _check_usage_defaults(block, flag_values, f"docs/cli.md {command}")
    assert {command for _, command in blocks} == set(COMMANDS)
    assert checked >= 10, checked
