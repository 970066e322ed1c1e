"""Nearest neighbours of words by cosine similarity in a saved table.

usage: tf-dynemb nearest --model=PATH [--k=10] [--candidates=FILE] WORD...

PATH is a .keras model (its DynamicEmbedding layer) or an exported SavedModel
(its `embed_words` signature). Every WORD goes through the lookup, so an
out-of-vocabulary word gets its pooled pieces or its bucket, and its kind is
shown. Neighbours are drawn from --candidates (one word per line), by default
the model's whole-word vocabulary.
"""

import numpy as np
from absl import flags

from tf_dynemb import contract
from tf_dynemb.cli import model_files
from tf_dynemb.cli.errors import CommandError, UsageError, require_files
from tf_dynemb.cli.progress import bar

BATCH = 4096


def define_flags(fv):
    flags.DEFINE_string("model", None, "A .keras model or a SavedModel directory.",
                        flag_values=fv)
    flags.DEFINE_integer("k", 10, "Neighbours per word.", lower_bound=1, flag_values=fv)
    flags.DEFINE_string("candidates", None, "Words to rank, one per line. Defaults to the "
                        "model's whole-word vocabulary.", flag_values=fv)
    flags.DEFINE_string("layer", None, "The DynamicEmbedding layer of a .keras model that "
                        "holds more than one.", flag_values=fv)
    flags.mark_flag_as_required("model", flag_values=fv)


def _keras_embedder(path, layer_name):
    import tensorflow as tf

    from tf_dynemb.layers import dynamic_embeddings

    layers = dynamic_embeddings(model_files.load_keras(path))
    if layer_name is not None:
        layers = [layer for layer in layers if layer.name == layer_name]
    if len(layers) != 1:
        raise CommandError(f"{path} has {len(layers)} DynamicEmbedding layers"
                           f"{f' named {layer_name!r}' if layer_name else ''}; name one "
                           f"with --layer.")
    layer = layers[0]

    def embed(words):
        vectors, kind = layer.lookup(tf.constant(words, tf.string), return_kind=True)
        return vectors.numpy(), kind.numpy()

    return embed, layer.get_vocabulary()


def _saved_model_embedder(path):
    import tensorflow as tf

    graph = model_files.read_saved_model(path)
    buffers = model_files.model_buffers(graph)
    vocabulary = ([w.decode("utf-8", "replace") for w in
                   model_files.decode_buffer(buffers[0], path).words]
                  if len(buffers) == 1 else None)
    loaded = model_files.load_saved_model(path)
    if "embed_words" not in loaded.signatures:
        raise CommandError(f"{path} has no embed_words signature; its signatures are "
                           f"{sorted(loaded.signatures)}.")
    signature = loaded.signatures["embed_words"]

    def embed(words):
        out = signature(words=tf.constant(words, tf.string))
        return out["embeddings"].numpy(), out["kind"].numpy()

    return embed, vocabulary


def kind_name(kind):
    """"word", "pieces", ... for a `kind` output of the lookup."""
    return contract.KIND_NAMES[int(kind)].lower()


def _unit(vectors):
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1)


def neighbours(embed, words, candidates, k):
    """[(word, kind name, [(candidate, cosine)])] for each word."""
    rows = []
    with bar(total=len(candidates), desc="embedding candidates", unit="word") as progress:
        for start in range(0, len(candidates), BATCH):
            rows.append(embed(candidates[start:start + BATCH])[0])
            progress.update(len(candidates[start:start + BATCH]))
    table = _unit(np.concatenate(rows).astype(np.float32))
    vectors, kind = embed(words)
    sims = _unit(vectors.astype(np.float32)) @ table.T
    out = []
    for i, word in enumerate(words):
        order = [j for j in np.argsort(-sims[i], kind="stable") if candidates[j] != word][:k]
        out.append((word, kind_name(kind[i]),
                    [(candidates[j], float(sims[i, j])) for j in order]))
    return out


def run(fv, args):
    words = list(args)
    if not words:
        raise UsageError("give the words to look up after the flags.")
    kind = model_files.kind_of(fv.model)
    if kind == "keras":
        embed, vocabulary = _keras_embedder(fv.model, fv.layer)
    elif kind == "saved_model":
        if fv.layer is not None:
            raise UsageError("--layer applies to .keras models only.")
        embed, vocabulary = _saved_model_embedder(fv.model)
    else:
        raise CommandError(f"{fv.model} is a model buffer: it holds no table. Pass a .keras "
                           f"model or a SavedModel.")
    if fv.candidates is not None:
        from tf_dynemb.vocabulary import load_vocabulary

        require_files([fv.candidates], "candidates")
        vocabulary = load_vocabulary(fv.candidates)
    if not vocabulary:
        raise CommandError(f"{fv.model} names no whole words to rank; pass --candidates=FILE.")
    for word, kind_name, found in neighbours(embed, words, vocabulary, fv.k):
        print(f"{word!r} ({kind_name})")
        if kind_name in ("pad", "unknown") and all(s == 0 for _, s in found):
            print("  a zero vector: no neighbours")
            continue
        for candidate, similarity in found:
            print(f"  {similarity:+.3f}  {candidate}")
    return 0
