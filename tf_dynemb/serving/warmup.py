"""What an export writes beside its SavedModel, under `assets.extra/`: TF
Serving's warmup requests, and what was exported (read by `query`)."""

import json
import os

import tensorflow as tf

from tf_dynemb.flavors import FLAVORS

EXPORT_INFO = "tf_dynemb_export.json"
EXPORT_CONTENTS = ("embedding", "model")


def write_warmup(export_dir, requests):
    """`assets.extra/tf_serving_warmup_requests`: one PredictionLog per
    `(signature_name, {input_name: values})` of `requests`."""
    try:
        from tensorflow_serving.apis import model_pb2, predict_pb2, prediction_log_pb2
    except ImportError as e:
        raise ImportError(
            "Writing TF Serving warmup requests needs tensorflow-serving-api: "
            "pip install 'tf_dynemb[serving]'") from e

    path = os.path.join(export_dir, "assets.extra", "tf_serving_warmup_requests")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tf.io.TFRecordWriter(path) as writer:
        for signature, inputs in requests:
            request = predict_pb2.PredictRequest(
                model_spec=model_pb2.ModelSpec(signature_name=signature))
            for name, values in inputs.items():
                request.inputs[name].CopyFrom(tf.make_tensor_proto(values))
            log = prediction_log_pb2.PredictionLog(
                predict_log=prediction_log_pb2.PredictLog(request=request))
            writer.write(log.SerializeToString())
    return path


def write_export_info(export_dir, **info):
    """`assets.extra/tf_dynemb_export.json`: the flavor and what was exported."""
    path = os.path.join(export_dir, "assets.extra", EXPORT_INFO)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(info, f, indent=1, sort_keys=True)
    return path


def read_export_info(version_dir):
    """What `write_export_info` recorded, or None for another SavedModel;
    ValueError naming the file when it is not such a record."""
    path = os.path.join(version_dir, "assets.extra", EXPORT_INFO)
    if not os.path.isfile(path):
        return None
    with open(path, "rb") as f:
        data = f.read()
    try:
        info = json.loads(data)
    except ValueError as e:  # not JSON, or not UTF-8
        raise ValueError(f"cannot read {path}: not valid JSON ({e})") from None
    if not isinstance(info, dict):
        raise ValueError(f"cannot read {path}: expected a JSON object. Received: a JSON "
                         f"{type(info).__name__}, {data[:80]!r}")
    for key, allowed in (("flavor", FLAVORS), ("contents", EXPORT_CONTENTS)):
        if info.get(key) not in allowed:
            raise ValueError(f"cannot read {path}: `{key}` must be one of {allowed}. "
                             f"Received: {key}={info.get(key)!r:.80}")
    return info
