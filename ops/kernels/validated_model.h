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

// Validates a host model tensor fully (checksum included) once per distinct
// buffer. It keeps a reference to the last buffer it validated, so that
// buffer's memory cannot be freed and reused for other bytes while cached.
class ValidatedModel {
 public:
  absl::Status Get(::tensorflow::OpKernelContext* ctx, const ::tensorflow::Tensor& model,
                   ModelView* view);

 private:
  absl::Mutex mu_;
  ::tensorflow::Tensor last_ ABSL_GUARDED_BY(mu_);
  ModelView last_view_ ABSL_GUARDED_BY(mu_);
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
