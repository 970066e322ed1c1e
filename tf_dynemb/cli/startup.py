"""What `tf-dynemb` does before it imports TensorFlow: the table of commands,
the overview (`tf-dynemb --help`, read from the commands' docstrings without
importing them) and quiet logging.

This module imports nothing of tf_dynemb: the `tf_dynemb_cli` entry point
loads it by its path, since importing the package imports TensorFlow.
"""

import ast
import contextlib
import logging
import os
import sys
import tempfile
import warnings

PROGRAM = "tf-dynemb"
# Command name -> module under tf_dynemb.cli.
COMMANDS = {
    "learn-vocab": "learn_vocab",
    "coverage": "coverage",
    "inspect": "inspect_model",
    "nearest": "nearest",
    "export": "export",
    "query": "query",
}
HELP_FLAGS = ("-h", "--help", "-help", "--helpfull", "-?")
VERBOSE_FLAG = "--verbose"


def wants_overview(argv):
    return len(argv) < 2 or argv[1] in HELP_FLAGS + ("help",)


def without_verbose(argv):
    """(whether --verbose was given, `argv` without it). Arguments after `--`
    (Beam's pipeline options) are left as they are."""
    end = argv.index("--") if "--" in argv else len(argv)
    kept = argv[:2] + [arg for arg in argv[2:end] if arg != VERBOSE_FLAG] + argv[end:]
    return len(kept) < len(argv), kept


def summary(name):
    """The first line of the command's module docstring."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), COMMANDS[name] + ".py")
    with open(path, encoding="utf-8") as f:
        doc = ast.get_docstring(ast.parse(f.read(), path)) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def overview():
    lines = [f"usage: {PROGRAM} COMMAND [flags] [{VERBOSE_FLAG}]   "
             f"({PROGRAM} COMMAND --help for its flags)", "", "commands:"]
    lines += [f"  {name:<12} {summary(name)}" for name in COMMANDS]
    lines += ["", f"{VERBOSE_FLAG} (with any command) shows TensorFlow's, absl's and Beam's "
              "log lines, which are hidden otherwise."]
    return "\n".join(lines)


def quiet_logging():
    """Hides log lines of TensorFlow's C++ runtime, Python's `logging` (absl,
    TensorFlow, Beam) and Python warnings. Call before importing TensorFlow.
    Error log lines go too (Beam logs a failed step's traceback): the
    command reports its failure itself, in one line."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.disable(logging.ERROR)
    warnings.simplefilter("ignore")


@contextlib.contextmanager
def stderr_held_back():
    """Holds back what is written to file descriptor 2 (TensorFlow's import
    banners ignore TF_CPP_MIN_LOG_LEVEL); shows it only if the block fails."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        except BaseException:
            sys.stderr.flush()
            os.dup2(saved, 2)
            held.seek(0)
            sys.stderr.write(held.read().decode("utf-8", "replace"))
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
