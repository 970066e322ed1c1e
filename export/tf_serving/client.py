"""Queries a tf_dynemb model on TensorFlow Serving over REST or gRPC.

  python export/tf_serving/client.py --server=localhost:8501 --model=classifier \\
      --input=sentence "Encode the object as JSON."
  python export/tf_serving/client.py --protocol=grpc --server=localhost:8500 \\
      --model=embeddings --signature=embed_words --input=words the tokenization Zürich

`--input` names the signature's input: a whole-model export takes the
model's input names (`saved_model_cli show --all` lists them); an
embedding-only export takes `sentences` (serving_default) or `words`
(embed_words).

Only the request building and response reading need tensorflow-serving-api;
the gRPC call also needs grpcio.
"""

import json
import urllib.request

from absl import app, flags

FLAGS = flags.FLAGS
flags.DEFINE_enum("protocol", "rest", ["rest", "grpc"], "How to reach the server.")
flags.DEFINE_string("server", "localhost:8501", "host:port (REST 8501, gRPC 8500 by default).")
flags.DEFINE_string("model", "embeddings", "Model name in the server's models.config.")
flags.DEFINE_string("signature", "serving_default", "The signature to call.")
flags.DEFINE_string("input", "sentences", "The signature's string input the texts go to.")
flags.DEFINE_float("timeout", 10.0, "Seconds to wait for an answer.")


def rest_request_body(texts, signature="serving_default", input_name="sentences"):
    """JSON body of `POST /v1/models/NAME:predict` (columnar `inputs` format)."""
    return json.dumps({"signature_name": signature, "inputs": {input_name: list(texts)}})


def grpc_request(texts, model, signature="serving_default", input_name="sentences"):
    """A `PredictRequest` for the gRPC PredictionService."""
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2

    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    request.model_spec.signature_name = signature
    request.inputs[input_name].CopyFrom(
        tf.make_tensor_proto(list(texts), dtype=tf.string))
    return request


def rest_predict(server, model, texts, signature, input_name, timeout):
    request = urllib.request.Request(
        f"http://{server}/v1/models/{model}:predict",
        data=rest_request_body(texts, signature, input_name).encode("utf-8"),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())["outputs"]


def grpc_predict(server, model, texts, signature, input_name, timeout):
    import grpc
    import tensorflow as tf
    from tensorflow_serving.apis import prediction_service_pb2_grpc

    with grpc.insecure_channel(server) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        response = stub.Predict(grpc_request(texts, model, signature, input_name), timeout)
    return {name: tf.make_ndarray(proto).tolist() for name, proto in response.outputs.items()}


def main(argv):
    texts = argv[1:]
    if not texts:
        raise app.UsageError("Give the sentences or words to embed as arguments.")
    predict = rest_predict if FLAGS.protocol == "rest" else grpc_predict
    outputs = predict(FLAGS.server, FLAGS.model, texts, FLAGS.signature, FLAGS.input,
                      FLAGS.timeout)
    print(json.dumps(outputs, ensure_ascii=False)[:2000])


if __name__ == "__main__":
    app.run(main)
