// The set-up every lookup kernel shares, CPU and GPU, table a tensor or a
// resource variable: the combiner attribute, the model validated (once per
// buffer), the table checked against it, the outputs embeddings and kind
// allocated. A kernel derives from LookupKernel and writes Embed().
#ifndef TF_DYNEMB_OPS_KERNELS_LOOKUP_SETUP_H_
#define TF_DYNEMB_OPS_KERNELS_LOOKUP_SETUP_H_

#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "ops/core/model_format.h"
#include "ops/core/segmenter.h"
#include "ops/kernels/validated_model.h"
#include "ops/kernels/variable_table.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/tensor.h"

namespace tf_dynemb {

// A lookup's checked inputs and allocated outputs.
struct LookupInputs {
  const ::tensorflow::Tensor* words = nullptr;  // any shape, string
  const ::tensorflow::Tensor* table = nullptr;  // [V, D]
  ModelView model;  // host or device memory, as the kernel's `Models` gives it
  int64_t dim = 0;
  int32_t combiner = kMean;
  ::tensorflow::Tensor* embeddings = nullptr;  // words.shape + [D]
  ::tensorflow::Tensor* kind = nullptr;        // words.shape
};

// Word i of a string tensor as (bytes, length): the core's word accessor.
class WordBytes {
 public:
  explicit WordBytes(const ::tensorflow::Tensor& words)
      : flat_(words.flat<::tensorflow::tstring>()) {}
  std::pair<const uint8_t*, uint64_t> operator()(int64_t i) const {
    const auto& w = flat_(i);
    return {reinterpret_cast<const uint8_t*>(w.data()), static_cast<uint64_t>(w.size())};
  }
  int64_t size() const { return flat_.size(); }

 private:
  ::tensorflow::TTypes<::tensorflow::tstring>::ConstFlat flat_;
};

// TfDynemb[Resource]Lookup[WithRows] kernels: inputs words (0), table (1),
// model (2). `Models` validates the model input: ValidatedModel on the host,
// DeviceModel (gpu_inputs.h) on the GPU.
template <typename T, bool kFromVariable, typename Models>
class LookupKernel : public ::tensorflow::OpKernel {
 public:
  explicit LookupKernel(::tensorflow::OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, GetCombinerAttr(ctx, &combiner_));
  }

  void Compute(::tensorflow::OpKernelContext* ctx) final {
    WithLookupTable<T, kFromVariable>(ctx, [&](const ::tensorflow::Tensor& table) {
      LookupInputs in;
      OP_REQUIRES_OK(ctx, SetUp(ctx, table, &in));
      Embed(ctx, in);
    });
  }

 protected:
  // Runs once the inputs are checked and embeddings and kind allocated.
  virtual void Embed(::tensorflow::OpKernelContext* ctx, const LookupInputs& in) = 0;

 private:
  absl::Status SetUp(::tensorflow::OpKernelContext* ctx, const ::tensorflow::Tensor& table,
                     LookupInputs* in) {
    in->words = &ctx->input(0);
    in->table = &table;
    TF_RETURN_IF_ERROR(models_.Get(ctx, ctx->input(2), &in->model));
    TF_RETURN_IF_ERROR(CheckTable(table, in->model));
    in->dim = table.dim_size(1);
    in->combiner = combiner_;
    return AllocateLookupOutputs(ctx, *in->words, in->dim, &in->embeddings, &in->kind);
  }

  int32_t combiner_ = kMean;
  Models models_;
};

}  // namespace tf_dynemb

#endif  // TF_DYNEMB_OPS_KERNELS_LOOKUP_SETUP_H_
