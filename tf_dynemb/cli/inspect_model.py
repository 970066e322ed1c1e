"""Describe a .keras model, an exported SavedModel or a model buffer file.

usage: tf-dynemb inspect PATH [--format=text|json]

Shows the vocabulary sizes (words, pieces, buckets), the suffix indicator,
max_bytes_per_word and unknown token; for a .keras model each DynamicEmbedding
layer's table shape, bytes and combiner; for a SavedModel its flavor (fused:
the custom op; portable: stock TF + TF Text ops), signatures and variables.
"""

import json
import os

import numpy as np
from absl import flags

from tf_dynemb.cli import model_files
from tf_dynemb.cli.errors import UsageError, quoted


def define_flags(fv):
    flags.DEFINE_enum("format", "text", ["text", "json"], "Output format.", flag_values=fv)


def _vocabulary(config, size_bytes=None):
    out = {"words": len(config.words), "pieces": len(config.pieces),
           "buckets": config.num_oov_buckets, "rows": config.num_rows,
           "suffix_indicator": config.suffix_indicator,
           "max_bytes_per_word": config.max_bytes_per_word,
           "unknown_token": None if config.unknown_token is None
           else config.unknown_token.decode("utf-8", "replace")}
    if size_bytes is not None:
        out["model_bytes"] = size_bytes
    return out


def _table(shape, dtype):
    itemsize = np.dtype(dtype if dtype != "bfloat16" else "float16").itemsize
    return {"shape": list(shape), "dtype": dtype, "bytes": int(np.prod(shape)) * itemsize}


def describe_keras(path):
    from tf_dynemb.layers import dynamic_embeddings

    model = model_files.load_keras(path)
    layers = []
    for layer in dynamic_embeddings(model):
        table = layer.embeddings
        layers.append({"name": layer.name, "combiner": layer.combiner,
                       "vocabulary": _vocabulary(layer.vocabulary_config),
                       "table": _table(table.shape, table.dtype)})
    return {"path": path, "kind": ".keras model", "model": model.name,
            "parameters": int(model.count_params()), "dynamic_embeddings": layers}


def describe_saved_model(path):
    graph = model_files.read_saved_model(path)
    buffers = model_files.model_buffers(graph)
    pb_path = os.path.join(path, "saved_model.pb")
    return {
        "path": path, "kind": "SavedModel", "flavor": model_files.flavor(graph, path),
        "export_info": model_files.export_info(path),
        "signatures": {name: {"inputs": ins, "outputs": outs}
                       for name, (ins, outs) in model_files.signatures(graph).items()},
        "variables": [dict(name=n, copies=copies, **_table(shape, dtype))
                      for n, dtype, shape, copies in model_files.variables(graph)],
        "vocabularies": [_vocabulary(model_files.decode_buffer(b, pb_path), len(b))
                         for b in buffers],
    }


def describe_buffer(path):
    data = model_files.read_buffer(path)
    return {"path": path, "kind": "model buffer",
            "vocabulary": _vocabulary(model_files.decode_buffer(data, path), len(data))}


def _vocabulary_line(v):
    unknown = v["unknown_token"] if v["unknown_token"] is not None else "none"
    line = (f"{v['words']} words, {v['pieces']} pieces, {v['buckets']} buckets = {v['rows']} "
            f"rows; suffix {v['suffix_indicator']!r}, max_bytes_per_word "
            f"{v['max_bytes_per_word']}, unknown token {unknown}")
    return line + (f" ({v['model_bytes']} bytes)" if "model_bytes" in v else "")


def _table_line(t):
    return f"[{', '.join(map(str, t['shape']))}] {t['dtype']}, {t['bytes']} bytes"


def format_text(report):
    lines = [f"{report['path']}: {report['kind']}"]
    if "vocabulary" in report:
        lines.append("vocabulary: " + _vocabulary_line(report["vocabulary"]))
    if "dynamic_embeddings" in report:
        lines.append(f"model {report['model']!r}, {report['parameters']} parameters")
        for layer in report["dynamic_embeddings"]:
            lines += [f"DynamicEmbedding {layer['name']!r} (combiner {layer['combiner']})",
                      "  vocabulary: " + _vocabulary_line(layer["vocabulary"]),
                      "  table: " + _table_line(layer["table"])]
        if not report["dynamic_embeddings"]:
            lines.append("no DynamicEmbedding layer")
    if "signatures" in report:
        lines.append(f"flavor: {report['flavor']}")
        if report["export_info"]:
            info = ", ".join(f"{k} {v}" for k, v in sorted(report["export_info"].items()))
            lines.append(f"export info: {info}")
        for name, sig in report["signatures"].items():
            show = lambda ts: ", ".join(f"{n} {d} {s}" for n, d, s in ts)  # noqa: E731
            lines.append(f"signature {name}: {show(sig['inputs'])} -> {show(sig['outputs'])}")
        for var in report["variables"]:
            copies = f" (saved {var['copies']} times)" if var["copies"] > 1 else ""
            lines.append(f"variable {var['name'] or '(unnamed)'}: {_table_line(var)}{copies}")
        for vocabulary in report["vocabularies"]:
            lines.append("vocabulary: " + _vocabulary_line(vocabulary))
        if not report["vocabularies"]:
            lines.append("vocabulary: no tf_dynemb model buffer in this SavedModel (the "
                         "portable flavor carries TF Text's tokenizer model instead)")
    return "\n".join(lines)


def run(fv, args):
    if len(args) != 1:
        raise UsageError(f"give exactly one PATH. Received: {quoted(args)}")
    path = args[0]
    kind = model_files.kind_of(path)
    describe = {"keras": describe_keras, "saved_model": describe_saved_model,
                "model_buffer": describe_buffer}[kind]
    report = describe(path)
    print(json.dumps(report, indent=1) if fv.format == "json" else format_text(report))
    return 0
