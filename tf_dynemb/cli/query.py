"""Query an exported SavedModel as a server would: load it and call its signatures.

usage: tf-dynemb query --saved_model=DIR [--sentences=S1,S2] TEXT...

For a whole-model export, each TEXT is one input of `serving_default` (a
model whose one input is a batch of strings, [None] or [None, 1]), and the
outputs are printed. For an embedding export, prints for each TEXT (a word)
the kind of lookup (word, pieces, bucket, unknown, pad), the vector's norm and
first values from `embed_words`, then the norm of each sentence's vector from
`serving_default`. The flavor is read from the export (fused models need the
op library, which this command loads).
"""

import numpy as np
from absl import flags

from tf_dynemb.cli import model_files
from tf_dynemb.cli.errors import CommandError, UsageError
from tf_dynemb.cli.nearest import kind_name
from tf_dynemb.flavors import FLAVORS

DEFAULT_WORDS = ["the", "tokenization", "Zürich", ""]


def define_flags(fv):
    flags.DEFINE_string("saved_model", None, "A version directory written by `export`.",
                        flag_values=fv)
    flags.DEFINE_enum("flavor", None, list(FLAVORS), "The flavor the model must have. "
                      "Defaults to whichever it has.", flag_values=fv)
    flags.DEFINE_list("sentences", ["The tokenizer splits unseen words.", "Zürich 東京"],
                      "Sentences for the serving_default signature.", flag_values=fv)
    flags.mark_flag_as_required("saved_model", flag_values=fv)


def run(fv, args):
    import tensorflow as tf

    if model_files.kind_of(fv.saved_model) != "saved_model":
        raise UsageError(f"--saved_model={fv.saved_model} is not a SavedModel directory.")
    flavor = model_files.flavor(model_files.read_saved_model(fv.saved_model), fv.saved_model)
    if fv.flavor is not None and fv.flavor != flavor:
        raise CommandError(f"{fv.saved_model} is of the {flavor} flavor, not {fv.flavor}.")
    model = model_files.load_saved_model(fv.saved_model)
    info = model_files.export_info(fv.saved_model) or {}
    if info.get("contents") == "model":
        return _query_model(model.signatures["serving_default"], flavor, fv.saved_model, args)
    missing = {"embed_words", "serving_default"} - set(model.signatures)
    if missing:
        raise CommandError(f"{fv.saved_model} lacks the signatures {sorted(missing)}.")
    words = list(args) or DEFAULT_WORDS
    out = model.signatures["embed_words"](words=tf.constant(words, tf.string))
    print(f"{flavor} model at {fv.saved_model}: embed_words")
    print(f"  {'word':>16}  {'kind':<7}  {'norm':>6}  first values")
    for word, kind, vector in zip(words, out["kind"].numpy(), out["embeddings"].numpy()):
        head = " ".join(f"{v:+.3f}" for v in vector[:4])
        print(f"  {word!r:>16}  {kind_name(kind):<7}  {np.linalg.norm(vector):6.3f}  "
              f"{head}")
    sentences = model.signatures["serving_default"](sentences=tf.constant(fv.sentences))
    print("  serving_default:")
    for sentence, vector in zip(fv.sentences, sentences["embedding"].numpy()):
        print(f"  {sentence!r:>40}  norm {np.linalg.norm(vector):.3f}")
    return 0


def _query_model(signature, flavor, path, texts):
    import tensorflow as tf

    specs = signature.structured_input_signature[1]
    (name, spec), = specs.items() if len(specs) == 1 else ((None, None),)
    if spec is None or spec.dtype != tf.string or spec.shape.rank not in (1, 2) or \
            spec.shape.as_list()[1:] not in ([], [1]):
        shown = {n: f"{s.dtype.name}{s.shape.as_list()}" for n, s in specs.items()}
        raise CommandError(f"{path} takes {shown}; query passes TEXT arguments to a model "
                           "whose one input is a batch of strings ([None] or [None, 1]).")
    if not texts:
        raise UsageError("give the input texts as arguments.")
    values = tf.reshape(tf.constant(list(texts), tf.string), [-1] + spec.shape.as_list()[1:])
    outputs = signature(**{name: values})
    print(f"{flavor} model at {path}: serving_default({name})")
    for i, text in enumerate(texts):
        shown = "  ".join(f"{key}=[{', '.join(f'{x:.4f}' for x in np.ravel(value[i]))}]"
                          for key, value in sorted((k, v.numpy()) for k, v in outputs.items()))
        print(f"  {text!r}: {shown}")
    return 0
