"""Requests built from strings decode back to the same strings."""

import json
import os
import sys

import tensorflow as tf

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "export", "tf_serving"))
import client  # noqa: E402

TEXTS = ["the cat", "Zürich 東京", "", "\U0001f642 emoji", 'quote " and \\ backslash']


def test_rest_body_round_trip():
    body = json.loads(client.rest_request_body(TEXTS, "embed_words", "words"))
    assert body == {"signature_name": "embed_words", "inputs": {"words": TEXTS}}
    body = json.loads(client.rest_request_body(TEXTS, input_name="sentence"))
    assert body == {"signature_name": "serving_default", "inputs": {"sentence": TEXTS}}
    body = json.loads(client.rest_request_body(TEXTS))
    assert body["inputs"]["sentences"] == TEXTS


def test_grpc_request_round_trip():
    request = client.grpc_request(TEXTS, "embeddings", "serving_default")
    decoded = type(request).FromString(request.SerializeToString())
    assert decoded.model_spec.name == "embeddings"
    assert decoded.model_spec.signature_name == "serving_default"
    proto = decoded.inputs["sentences"]
    assert proto.dtype == tf.string.as_datatype_enum
    assert [s.decode("utf-8") for s in tf.make_ndarray(proto)] == TEXTS
