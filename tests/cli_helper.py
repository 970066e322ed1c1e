"""Runs `tf-dynemb` in this process, and makes corpus files of real text."""

from tf_dynemb import sample_text
from tf_dynemb.cli.main import main

# Two disjoint sets of standard-library modules: one to learn from, one held out.
TRAIN_MODULES = ("json", "csv", "string", "textwrap", "argparse", "logging", "pathlib")
HELD_OUT_MODULES = ("difflib", "heapq", "shlex", "uuid", "fractions")


def run_cli(capsys, *args):
    """(exit status, stdout, stderr) of `tf-dynemb ARGS...`."""
    capsys.readouterr()
    status = main(["tf-dynemb", *map(str, args)])
    out, err = capsys.readouterr()
    return status, out, err


def write_corpus(path, modules):
    path.write_text("\n".join(sample_text.docstrings(modules)) + "\n", encoding="utf-8")
    return path


def one_line_error(err):
    """The error line; asserts it is the only line of the command's own output."""
    lines = [line for line in err.splitlines() if line.startswith("tf-dynemb")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]
