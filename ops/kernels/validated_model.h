// Input checks shared by the kernels: the model buffer and the table.
#ifndef TF_DYNEMB_OPS_KERNELS_VALIDATED_MODEL_H_
#define TF_DYNEMB_OPS_KERNELS_VALIDATED_MODEL_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

#include "ops/core/model_format.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/tensor.h"

namespace tf_dynemb {

// `model` must be 1-D (a uint8 buffer made by build_model).
absl::Status CheckModelShape(const ::tensorflow::Tensor& model);

// The last model buffer a kernel validated, and its view: each distinct
// buffer is validated once. It keeps a reference to that buffer, so the
// buffer's memory cannot be freed and reused for other bytes while cached.
class ModelCache {
 public:
  // The view of `model`: the cached one when `model` is the buffer last
  // validated, else validate(&view) decides (and a success is cached).
  template <typename Validate>
  absl::Status Get(const ::tensorflow::Tensor& model, Validate&& validate, ModelView* view) {
    TF_RETURN_IF_ERROR(CheckModelShape(model));
    const auto bytes = model.tensor_data();
    absl::MutexLock lock(&mu_);
    if (last_.IsInitialized() && last_.tensor_data().data() == bytes.data() &&
        last_.tensor_data().size() == bytes.size()) {
      *view = last_view_;
      return absl::OkStatus();
    }
    TF_RETURN_IF_ERROR(validate(view));
    last_ = model;
    last_view_ = *view;
    return absl::OkStatus();
  }

 private:
  absl::Mutex mu_;
  ::tensorflow::Tensor last_ ABSL_GUARDED_BY(mu_);
  ModelView last_view_ ABSL_GUARDED_BY(mu_);
};

// Validates a host model tensor fully (checksum included), once per buffer.
class ValidatedModel {
 public:
  absl::Status Get(::tensorflow::OpKernelContext* ctx, const ::tensorflow::Tensor& model,
                   ModelView* view);

 private:
  ModelCache cache_;
};

// `table` must be [V, D] with V the model's row count.
absl::Status CheckTable(const ::tensorflow::Tensor& table,
                        const ModelView& model);

// Reads and parses the op's `combiner` attribute.
absl::Status GetCombinerAttr(::tensorflow::OpKernelConstruction* ctx,
                             int32_t* combiner);

// Allocates a lookup's outputs: embeddings words.shape + [dim], kind words.shape.
absl::Status AllocateLookupOutputs(::tensorflow::OpKernelContext* ctx,
                                   const ::tensorflow::Tensor& words,
                                   int64_t dim, ::tensorflow::Tensor** embeddings,
                                   ::tensorflow::Tensor** kind);

}  // namespace tf_dynemb

#endif  // TF_DYNEMB_OPS_KERNELS_VALIDATED_MODEL_H_
