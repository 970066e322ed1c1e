"""Python side of the C++ SavedModel runner (export/cc): writes its strings
files, runs it, reads its outputs back exactly.

    from cc_loader import run_cc_loader
    outputs = run_cc_loader(version_dir, "embed_words", {"words": [b"the", b""]})
    outputs["embeddings"]  # numpy float32 [2, D], bit for bit what C++ computed

The runners are built by `make cc-loader` (part of `make test`). The flavor,
and so the runner, is read from the export unless given.
"""

import json
import os
import subprocess
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# fused: //ops:ops_lib linked in; portable: the stock server's op set.
RUNNERS = {
    flavor: os.path.join(ROOT, "bazel-bin", "export", "cc", f"saved_model_runner_{flavor}")
    for flavor in ("fused", "portable")
}


class CcLoaderError(RuntimeError):
    """The runner exited with an error; `returncode` and `stderr` say why."""

    def __init__(self, message, returncode, stderr):
        super().__init__(message)
        self.returncode = returncode
        self.stderr = stderr


def encode_strings(strings):
    """The strings file's bytes (export/cc/strings_file.h): one string a line,
    with backslash, newline and carriage return escaped. `str` is UTF-8."""
    lines = []
    for s in strings:
        data = s.encode("utf-8") if isinstance(s, str) else bytes(s)
        lines.append(data.replace(b"\\", b"\\\\").replace(b"\n", b"\\n").replace(b"\r", b"\\r"))
    return b"".join(line + b"\n" for line in lines)


def write_strings_file(path, strings):
    with open(path, "wb") as f:
        f.write(encode_strings(strings))


def _unescape(text):
    """The bytes of one printed string (printable ASCII with \\\\ \\n \\r \\xHH)."""
    out, i, data = bytearray(), 0, text.encode("ascii")
    while i < len(data):
        if data[i] != ord("\\"):
            out.append(data[i])
            i += 1
        elif data[i + 1] == ord("x"):
            out.append(int(data[i + 2:i + 4], 16))
            i += 4
        else:
            out += {ord("\\"): b"\\", ord("n"): b"\n", ord("r"): b"\r"}[data[i + 1]]
            i += 2
    return bytes(out)


def _to_array(tensor):
    if tensor["dtype"] == "bytes":
        values = np.empty(len(tensor["values"]), dtype=object)
        values[:] = [_unescape(v) for v in tensor["values"]]
        return values.reshape(tensor["shape"])
    return np.array(tensor["values"], dtype=tensor["dtype"]).reshape(tensor["shape"])


def export_flavor(saved_model_dir):
    """The flavor tf_dynemb recorded in an export."""
    from tf_dynemb.serving import read_export_info

    info = read_export_info(saved_model_dir)
    if not info or "flavor" not in info:
        raise ValueError(f"{saved_model_dir} records no tf_dynemb export flavor; pass `flavor`.")
    return info["flavor"]


def runner_path(flavor):
    if flavor not in RUNNERS:
        raise ValueError(f"`flavor` must be one of {sorted(RUNNERS)}. Received: flavor={flavor!r}")
    path = RUNNERS[flavor]
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"The C++ SavedModel runner {path} is not built; run `make cc-loader`.")
    return path


def run_cc_loader_all(saved_model_dir, inputs, flavor=None, signatures=None, extra_args=(),
                      timeout=600):
    """Runs `signatures` (default: every one) of the SavedModel at
    `saved_model_dir` through the `flavor` runner (default: the flavor the
    export records) and returns {signature: {output: numpy array}}.

    `inputs`: a list of strings (str or bytes) fed to every input, or a dict
    {input key: strings} (a list or an array of any shape, read in row-major
    order; the runner shapes them as the signature declares). Raises
    CcLoaderError if the runner fails.
    """
    flavor = export_flavor(saved_model_dir) if flavor is None else flavor
    with tempfile.TemporaryDirectory(prefix="cc_loader_") as tmp:
        args = [runner_path(flavor), f"--saved_model={saved_model_dir}"]
        if signatures is not None:
            args.append("--signatures=" + ",".join(signatures))
        named = inputs.items() if isinstance(inputs, dict) else [(None, inputs)]
        for i, (key, strings) in enumerate(named):
            path = os.path.join(tmp, f"inputs_{i}.txt")
            write_strings_file(path, np.asarray(strings, dtype=object).ravel())
            args.append(f"--inputs={key}={path}" if key is not None else f"--inputs={path}")
        args += list(extra_args)
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        result = subprocess.run(args, capture_output=True, env=env, timeout=timeout)
    stderr = result.stderr.decode("utf-8", "replace")
    if result.returncode != 0:
        last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
        raise CcLoaderError(f"{os.path.basename(args[0])} exited with {result.returncode}: {last}",
                            result.returncode, stderr)
    printed = json.loads(result.stdout)
    return {name: {key: _to_array(t) for key, t in outputs.items()}
            for name, outputs in printed.items()}


def run_cc_loader(saved_model_dir, signature, inputs, flavor=None, timeout=600):
    """{output: numpy array} of one signature; see run_cc_loader_all."""
    return run_cc_loader_all(saved_model_dir, inputs, flavor, [signature],
                             timeout=timeout)[signature]
