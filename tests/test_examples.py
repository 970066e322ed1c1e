"""The example runs as its docstring says, on a small problem."""

import os
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]


def test_train_classifier_runs_and_writes_its_table(tmp_path):
    output = tmp_path / "results.md"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(REPO))
    result = subprocess.run(
        [sys.executable, str(REPO / "examples" / "train_classifier.py"), "--epochs=1",
         "--train_size=200", "--test_size=100", f"--output={output}"],
        capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line for line in output.read_text().splitlines() if line.startswith("| ")]
    assert [row.split(" | ")[0] for row in rows[1:]] == [
        "| DynamicEmbedding (words + WordPiece)", "| HybridEmbedding (words + CharCNNEncoder)",
        "| StringLookup + Embedding (baseline)"]
    for row in rows[1:]:
        accuracies = [float(cell) for cell in row.strip("| ").split(" | ")[1:]]
        assert all(0.0 <= a <= 1.0 for a in accuracies)
