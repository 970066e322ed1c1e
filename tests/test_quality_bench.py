"""bench/quality_bench.py --smoke runs end to end and reports every model."""

import os
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]


def test_quality_bench_smoke(tmp_path):
    output = tmp_path / "table.md"
    env = dict(os.environ, PYTHONPATH=str(REPO), TF_CPP_MIN_LOG_LEVEL="3")
    subprocess.run([sys.executable, str(REPO / "bench" / "quality_bench.py"), "--smoke",
                    f"--output={output}"], check=True, env=env, cwd=tmp_path, timeout=600)
    rows = [line.split(" | ") for line in output.read_text().splitlines()
            if line.startswith("| ") and "---" not in line]
    models = [row[0].lstrip("| ") for row in rows if len(row) == 6 and row[0] != "| model"]
    for expected in ("fastText supervised", "StringLookup + Embedding", "WordPiece + Embedding",
                     "DynamicEmbedding today", "compose 3-6", "dropout 0.5 3-6"):
        assert any(name.startswith(expected) for name in models), (expected, models)
    for row in rows:
        if len(row) == 6 and row[0] != "| model":
            assert 0.0 <= float(row[1]) <= 1.0 and 0.0 <= float(row[2]) <= 1.0, row
