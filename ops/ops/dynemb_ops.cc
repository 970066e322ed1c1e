// Op registrations and shape functions of tf_dynemb.
#include "absl/status/status.h"
#include "tensorflow/core/framework/common_shape_fns.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/shape_inference.h"

namespace tf_dynemb {

using ::tensorflow::shape_inference::DimensionHandle;
using ::tensorflow::shape_inference::InferenceContext;
using ::tensorflow::shape_inference::ShapeHandle;

// model: [?] uint8.
absl::Status BuildModelShape(InferenceContext* c) {
  ShapeHandle unused;
  TF_RETURN_IF_ERROR(c->WithRank(c->input(0), 1, &unused));
  TF_RETURN_IF_ERROR(c->WithRank(c->input(1), 1, &unused));
  c->set_output(0, c->Vector(c->UnknownDim()));
  return absl::OkStatus();
}

// embeddings: words.shape + [table.dim(1)]; kind: words.shape.
absl::Status LookupShape(InferenceContext* c) {
  ShapeHandle table, model, embeddings;
  TF_RETURN_IF_ERROR(c->WithRank(c->input(1), 2, &table));
  TF_RETURN_IF_ERROR(c->WithRank(c->input(2), 1, &model));
  TF_RETURN_IF_ERROR(
      c->Concatenate(c->input(0), c->Vector(c->Dim(table, 1)), &embeddings));
  c->set_output(0, embeddings);
  c->set_output(1, c->input(0));
  return absl::OkStatus();
}

// As LookupShape, with D read from the variable's handle when it is known.
absl::Status ResourceLookupShape(InferenceContext* c) {
  ShapeHandle model, embeddings;
  TF_RETURN_IF_ERROR(c->WithRank(c->input(2), 1, &model));
  DimensionHandle dim = c->UnknownDim();
  const auto* handle_data = c->input_handle_shapes_and_types(1);
  if (handle_data != nullptr && !handle_data->empty()) {
    ShapeHandle table;
    TF_RETURN_IF_ERROR(c->WithRank((*handle_data)[0].shape, 2, &table));
    dim = c->Dim(table, 1);
  }
  TF_RETURN_IF_ERROR(c->Concatenate(c->input(0), c->Vector(dim), &embeddings));
  c->set_output(0, embeddings);
  c->set_output(1, c->input(0));
  return absl::OkStatus();
}

// row_ids, row_weights, row_word: [R]; kind: words.shape.
absl::Status SegmentShape(InferenceContext* c) {
  ShapeHandle model;
  TF_RETURN_IF_ERROR(c->WithRank(c->input(1), 1, &model));
  const DimensionHandle rows = c->UnknownDim();
  for (int i = 0; i < 3; ++i) c->set_output(i, c->Vector(rows));
  c->set_output(3, c->input(0));
  return absl::OkStatus();
}

// LookupShape or ResourceLookupShape, then row_ids, row_weights, row_word: [R].
template <absl::Status (*kLookupShape)(InferenceContext*)>
absl::Status LookupWithRowsShape(InferenceContext* c) {
  TF_RETURN_IF_ERROR(kLookupShape(c));
  const DimensionHandle rows = c->UnknownDim();
  for (int i = 2; i < 5; ++i) c->set_output(i, c->Vector(rows));
  return absl::OkStatus();
}

// Sparse apply: rows and positions 1-D, the inputs from `first_scalar` on
// scalars; no outputs.
template <int kRows, int kFirstScalar>
absl::Status SparseApplyShape(InferenceContext* c) {
  ShapeHandle unused;
  TF_RETURN_IF_ERROR(c->WithRank(c->input(kRows), 1, &unused));
  TF_RETURN_IF_ERROR(c->WithRank(c->input(kRows + 1), 1, &unused));
  TF_RETURN_IF_ERROR(c->WithRankAtLeast(c->input(kRows + 2), 1, &unused));
  for (int i = kFirstScalar; i < c->num_inputs(); ++i) {
    TF_RETURN_IF_ERROR(c->WithRank(c->input(i), 0, &unused));
  }
  return absl::OkStatus();
}

REGISTER_OP("TfDynembBuildModel")
    .Input("words: string")
    .Input("pieces: string")
    .Output("model: uint8")
    .Attr("num_oov_buckets: int >= 0 = 0")
    .Attr("suffix_indicator: string = '##'")
    .Attr("max_bytes_per_word: int >= 1 = 100")
    .Attr("unknown_token: string = ''")
    .Attr("num_ngram_buckets: int >= 0 = 0")
    .Attr("min_n: int = 3")
    .Attr("max_n: int = 6")
    .Attr("compose_words: bool = false")
    .SetShapeFn(BuildModelShape)
    .Doc(R"doc(
Serializes a vocabulary model: whole words (rows [0, Nw)), WordPiece pieces
(rows [Nw, Nw+Np)), num_oov_buckets hash buckets, then num_ngram_buckets
character n-gram buckets (n-grams of min_n to max_n characters, 1 <= min_n <=
max_n <= 16). unknown_token, when not empty, must be one of pieces.
compose_words: a listed word also pools its pieces' and n-grams' rows.
)doc");

// words, pieces: [?]; the rest scalars.
absl::Status DecodeModelShape(InferenceContext* c) {
  ShapeHandle unused;
  TF_RETURN_IF_ERROR(c->WithRank(c->input(0), 1, &unused));
  c->set_output(0, c->Vector(c->UnknownDim()));
  c->set_output(1, c->Vector(c->UnknownDim()));
  for (int i = 2; i < 10; ++i) c->set_output(i, c->Scalar());
  return absl::OkStatus();
}

REGISTER_OP("TfDynembDecodeModel")
    .Input("model: uint8")
    .Output("words: string")
    .Output("pieces: string")
    .Output("num_oov_buckets: int64")
    .Output("suffix_indicator: string")
    .Output("max_bytes_per_word: int64")
    .Output("unknown_token: string")
    .Output("num_ngram_buckets: int64")
    .Output("min_n: int64")
    .Output("max_n: int64")
    .Output("compose_words: bool")
    .SetShapeFn(DecodeModelShape)
    .Doc(R"doc(
The vocabularies and arguments a model buffer was built from, after validating
every byte of it as the lookup does (checksum, ids, offsets). unknown_token is
'' when the model has none.
)doc");

REGISTER_OP("TfDynembLookup")
    .Input("words: string")
    .Input("table: T")
    .Input("model: uint8")
    .Output("embeddings: T")
    .Output("kind: int32")
    .Attr("T: {float, half, bfloat16}")
    .Attr("combiner: {'mean', 'sum', 'sqrtn'} = 'mean'")
    .SetShapeFn(LookupShape)
    .Doc(R"doc(
Embeds raw words: a vocabulary word takes its row (plus its subword rows when
the model composes words), an out-of-vocabulary word the pooled rows of its
WordPiece pieces and character n-grams, else a hash bucket row. kind holds
PAD=0, WORD=1, PIECES=2, BUCKET=3, UNKNOWN=4, NGRAMS=5 per word.
)doc");

REGISTER_OP("TfDynembResourceLookup")
    .Input("words: string")
    .Input("table: resource")
    .Input("model: uint8")
    .Output("embeddings: dtype")
    .Output("kind: int32")
    .Attr("dtype: {float, half, bfloat16}")
    .Attr("combiner: {'mean', 'sum', 'sqrtn'} = 'mean'")
    .SetShapeFn(ResourceLookupShape)
    .Doc(R"doc(
TfDynembLookup reading the table from a resource variable in place, under the
variable's shared lock: no copy, even once sparse updates have put the
variable in copy-on-read mode.
)doc");

REGISTER_OP("TfDynembSegment")
    .Input("words: string")
    .Input("model: uint8")
    .Output("row_ids: int64")
    .Output("row_weights: float")
    .Output("row_word: int64")
    .Output("kind: int32")
    .Attr("combiner: {'mean', 'sum', 'sqrtn'} = 'mean'")
    .SetShapeFn(SegmentShape)
    .Doc(R"doc(
The rows behind TfDynembLookup, flat: row r of the table enters the embedding of
flattened word row_word[r] with weight row_weights[r]. Drives the gradient.
)doc");

REGISTER_OP("TfDynembLookupWithRows")
    .Input("words: string")
    .Input("table: T")
    .Input("model: uint8")
    .Output("embeddings: T")
    .Output("kind: int32")
    .Output("row_ids: int64")
    .Output("row_weights: float")
    .Output("row_word: int64")
    .Attr("T: {float, half, bfloat16}")
    .Attr("combiner: {'mean', 'sum', 'sqrtn'} = 'mean'")
    .SetShapeFn(LookupWithRowsShape<LookupShape>)
    .Doc(R"doc(
TfDynembLookup for a training step: also returns the rows it pooled, as
TfDynembSegment gives them, so the gradient reads them instead of segmenting
the words again. On a GPU the rows come padded as TfDynembSegment's do.
)doc");

REGISTER_OP("TfDynembResourceLookupWithRows")
    .Input("words: string")
    .Input("table: resource")
    .Input("model: uint8")
    .Output("embeddings: dtype")
    .Output("kind: int32")
    .Output("row_ids: int64")
    .Output("row_weights: float")
    .Output("row_word: int64")
    .Attr("dtype: {float, half, bfloat16}")
    .Attr("combiner: {'mean', 'sum', 'sqrtn'} = 'mean'")
    .SetShapeFn(LookupWithRowsShape<ResourceLookupShape>)
    .Doc(R"doc(
TfDynembLookupWithRows reading the table in place from a resource variable.
)doc");

REGISTER_OP("TfDynembSparseApplyLazyAdam")
    .Input("var: resource")
    .Input("m: resource")
    .Input("v: resource")
    .Input("rows: int64")
    .Input("positions: int32")
    .Input("values: float")
    .Input("alpha: float")
    .Input("one_minus_beta_1: float")
    .Input("one_minus_beta_2: float")
    .Input("epsilon: float")
    .Input("learning_rate: float")
    .Input("weight_decay: float")
    .SetShapeFn(SparseApplyShape<3, 6>)
    .Doc(R"doc(
One LazyAdam step on the rows a sparse gradient touches, in place: values
row i belongs to variable row rows[positions[i]] (rows unique, as tf.unique
gives them); rows are summed, then each touched row of var, m and v follows
Keras Adam's rule with alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) and
decoupled weight decay (w -= w * weight_decay * learning_rate).
)doc");

REGISTER_OP("TfDynembSparseApplyRowwiseAdagrad")
    .Input("var: resource")
    .Input("accumulator: resource")
    .Input("rows: int64")
    .Input("positions: int32")
    .Input("values: float")
    .Input("learning_rate: float")
    .Input("epsilon: float")
    .Input("weight_decay: float")
    .SetShapeFn(SparseApplyShape<2, 5>)
    .Doc(R"doc(
One row-wise Adagrad step (FBGEMM's rule) on the rows a sparse gradient
touches, in place: acc[r] += mean(g[r]^2); w[r] -= w[r] * weight_decay * lr;
w[r] -= lr * g[r] / (sqrt(acc[r]) + epsilon). Inputs as for
TfDynembSparseApplyLazyAdam; accumulator has one value a row.
)doc");

}  // namespace tf_dynemb
