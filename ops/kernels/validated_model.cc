#include "ops/kernels/validated_model.h"

#include "ops/core/model_validator.h"
#include "tensorflow/core/framework/tensor_shape.h"

namespace tf_dynemb {

using ::tensorflow::Status;
using ::tensorflow::errors::InvalidArgument;

Status ValidatedModel::Get(const ::tensorflow::Tensor& model, ModelView* view) {
  if (model.dims() != 1) {
    return InvalidArgument("`model` must be a 1-D uint8 tensor made by "
                           "tf_dynemb.build_model. Received shape ",
                           model.shape().DebugString());
  }
  const auto bytes = model.tensor_data();
  ::tensorflow::mutex_lock lock(mu_);
  if (last_.IsInitialized() && last_.tensor_data().data() == bytes.data() &&
      last_.tensor_data().size() == bytes.size()) {
    *view = last_view_;
    return ::tensorflow::OkStatus();
  }
  const std::string error =
      ValidateModel(reinterpret_cast<const uint8_t*>(bytes.data()),
                    bytes.size(), view);
  if (!error.empty()) return InvalidArgument(error);
  last_ = model;
  last_view_ = *view;
  return ::tensorflow::OkStatus();
}

Status CheckTable(const ::tensorflow::Tensor& table, const ModelView& model) {
  if (table.dims() != 2) {
    return InvalidArgument("`table` must be 2-D [V, D]. Received shape ",
                           table.shape().DebugString());
  }
  if (table.dim_size(0) != model.num_rows()) {
    return InvalidArgument(
        "`table` has ", table.dim_size(0), " rows, but the model needs V = ",
        model.num_words, " words + ", model.num_pieces, " pieces + ",
        model.num_buckets, " buckets = ", model.num_rows(), " rows");
  }
  return ::tensorflow::OkStatus();
}

Status ParseCombiner(const std::string& name, int32_t* combiner) {
  if (name == "mean") {
    *combiner = kMean;
  } else if (name == "sum") {
    *combiner = kSum;
  } else if (name == "sqrtn") {
    *combiner = kSqrtN;
  } else {
    return InvalidArgument("`combiner` must be 'mean', 'sum' or 'sqrtn'. "
                           "Received: combiner='", name, "'");
  }
  return ::tensorflow::OkStatus();
}

}  // namespace tf_dynemb
