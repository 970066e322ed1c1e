#include "ops/kernels/validated_model.h"

#include "absl/strings/str_cat.h"
#include "ops/core/model_validator.h"
#include "ops/core/segmenter.h"
#include "tensorflow/core/framework/tensor_shape.h"

namespace tf_dynemb {

using ::absl::InvalidArgumentError;
using ::absl::StrCat;

absl::Status CheckModelShape(const ::tensorflow::Tensor& model) {
  if (model.dims() == 1) return absl::OkStatus();
  return InvalidArgumentError(
      StrCat("`model` must be a 1-D uint8 tensor made by tf_dynemb.build_model. Received shape ",
             model.shape().DebugString()));
}

absl::Status ValidatedModel::Get(::tensorflow::OpKernelContext* /*ctx*/,
                                 const ::tensorflow::Tensor& model, ModelView* view) {
  return cache_.Get(model, [&](ModelView* v) {
    const auto bytes = model.tensor_data();
    const std::string error =
        ValidateModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), v);
    return error.empty() ? absl::OkStatus() : InvalidArgumentError(error);
  }, view);
}

absl::Status CheckTable(const ::tensorflow::Tensor& table, const ModelView& model) {
  if (table.dims() != 2) {
    return InvalidArgumentError(StrCat(
        "`table` must be 2-D [V, D]. Received shape ", table.shape().DebugString()));
  }
  if (table.dim_size(0) != model.num_rows()) {
    const std::string ngrams =
        model.num_ngram_buckets > 0
            ? StrCat(" + ", model.num_ngram_buckets, " n-gram buckets")
            : std::string();
    return InvalidArgumentError(StrCat(
        "`table` has ", table.dim_size(0), " rows, but the model needs V = ",
        model.num_words, " words + ", model.num_pieces, " pieces + ",
        model.num_buckets, " buckets", ngrams, " = ", model.num_rows(), " rows"));
  }
  return absl::OkStatus();
}

absl::Status GetCombinerAttr(::tensorflow::OpKernelConstruction* ctx,
                             int32_t* combiner) {
  std::string name;
  TF_RETURN_IF_ERROR(ctx->GetAttr("combiner", &name));
  if (name == "mean") {
    *combiner = kMean;
  } else if (name == "sum") {
    *combiner = kSum;
  } else if (name == "sqrtn") {
    *combiner = kSqrtN;
  } else {
    return InvalidArgumentError(StrCat(
        "`combiner` must be 'mean', 'sum' or 'sqrtn'. Received: combiner='", name, "'"));
  }
  return absl::OkStatus();
}

absl::Status AllocateLookupOutputs(::tensorflow::OpKernelContext* ctx,
                                   const ::tensorflow::Tensor& words,
                                   int64_t dim, ::tensorflow::Tensor** embeddings,
                                   ::tensorflow::Tensor** kind) {
  ::tensorflow::TensorShape shape = words.shape();
  TF_RETURN_IF_ERROR(shape.AddDimWithStatus(dim));
  TF_RETURN_IF_ERROR(ctx->allocate_output(0, shape, embeddings));
  return ctx->allocate_output(1, words.shape(), kind);
}

}  // namespace tf_dynemb
