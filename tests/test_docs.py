"""Every code block of README.md and docs/*.md runs.

Python blocks of one file run in order in one fresh interpreter, sharing their
names as a reader's session would; shell blocks run with bash, in the order
given. Both run in a scratch directory with `tf_dynemb` importable and the
repository at `$REPO`. A block that cannot run on a test machine (a server
build, a GPU, `make test` itself) is preceded by a line
`<!-- not run: REASON -->`, and the reason must be given.
"""

import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md"] + sorted((REPO / "docs").glob("*.md"))
_FENCE = re.compile(
    r"(?P<skip><!-- not run:(?P<reason>[^>]*)-->[ \t]*\n[ \t]*)?```(?P<lang>\w*)\n(?P<code>.*?)```",
    re.S)
_RUN = {"python": "python", "py": "python", "sh": "shell", "bash": "shell", "console": "shell"}


def code_blocks(path):
    """(kind, code, reason) of each fenced block; kind None for text blocks."""
    for match in _FENCE.finditer(path.read_text(encoding="utf-8")):
        reason = match.group("reason")
        if match.group("skip") and not reason.strip():
            raise ValueError(f"{path}: a `not run` marker without a reason")
        yield _RUN.get(match.group("lang")), match.group("code"), reason


def _environment():
    env = dict(os.environ, REPO=str(REPO), TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO),
                                                        os.environ.get("PYTHONPATH")])))
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
    return env


# Runs the blocks in document order: python in one namespace, shell by bash.
_DRIVER = """
import json, subprocess, sys
for i, (kind, code) in enumerate(json.load(open(sys.argv[1]))):
    label = f"{sys.argv[2]}, code block {i + 1}"
    print(f"--- {label} ({kind})", flush=True)
    if kind == "python":
        exec(compile(code, label, "exec"), globals())
    elif subprocess.run(["bash", "-euo", "pipefail", "-c", code]).returncode:
        sys.exit(f"{label} failed")
"""


def runnable_blocks(path):
    return [(kind, code) for kind, code, reason in code_blocks(path)
            if kind is not None and reason is None]


RUNNABLE_DOCS = [path for path in DOCS if runnable_blocks(path)]


@pytest.mark.parametrize("path", RUNNABLE_DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_code_blocks_run(path, tmp_path):
    blocks = runnable_blocks(path)
    (tmp_path / "blocks.json").write_text(json.dumps(blocks))
    result = subprocess.run([sys.executable, "-c", _DRIVER, "blocks.json", path.name],
                            cwd=tmp_path, env=_environment(), capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, (f"{path.name}: a code block failed\n"
                                    f"{result.stdout[-3000:]}\n{result.stderr[-5000:]}")


def test_markers_name_a_reason():
    for path in DOCS:
        for _, _, reason in code_blocks(path):
            assert reason is None or reason.strip()
