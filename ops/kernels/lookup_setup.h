// The set-up every lookup kernel shares, CPU and GPU, table a tensor or a
// resource variable: the combiner attribute, the model validated (once per
// buffer), the table checked against it, the outputs embeddings and kind
// allocated. A lookup gives LookupKernel its Embed() and registers it with
// TF_DYNEMB_REGISTER_LOOKUP.
#ifndef TF_DYNEMB_OPS_KERNELS_LOOKUP_SETUP_H_
#define TF_DYNEMB_OPS_KERNELS_LOOKUP_SETUP_H_

#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "ops/core/model_format.h"
#include "ops/core/segmenter.h"
#include "ops/kernels/validated_model.h"
#include "ops/kernels/variable_table.h"
#include "tensorflow/core/framework/bfloat16.h"
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

// The TfDynemb[Resource]Lookup[WithRows] kernels: inputs words (0), table
// (1), model (2). `Lookup` says how the checked inputs are embedded:
//   struct Lookup {
//     using Models = ...;  // validates the model input: ValidatedModel on the
//                          // host, DeviceModel (gpu_inputs.h) on the GPU
//     template <typename T>
//     static void Embed(OpKernelContext* ctx, const LookupInputs& in);
//   };
template <typename T, bool kFromVariable, typename Lookup>
class LookupKernel : public ::tensorflow::OpKernel {
 public:
  explicit LookupKernel(::tensorflow::OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, GetCombinerAttr(ctx, &combiner_));
  }

  void Compute(::tensorflow::OpKernelContext* ctx) override {
    WithLookupTable<T, kFromVariable>(ctx, [&](const ::tensorflow::Tensor& table) {
      LookupInputs in;
      OP_REQUIRES_OK(ctx, SetUp(ctx, table, &in));
      Lookup::template Embed<T>(ctx, in);
    });
  }

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
  typename Lookup::Models models_;
};

// Registers the LookupKernel of `Lookup` as op `name` (the table a tensor)
// and `resource_name` (a resource variable), for every table type, on
// `device`. Words stay in host memory (on a GPU they are packed there).
#define TF_DYNEMB_REGISTER_LOOKUP_TYPE(name, resource_name, device, Lookup, T)             \
  REGISTER_KERNEL_BUILDER(Name(name).Device(device).HostMemory("words").TypeConstraint<T>("T"), \
                          LookupKernel<T, false, Lookup>);                                \
  REGISTER_KERNEL_BUILDER(                                                                 \
      Name(resource_name).Device(device).HostMemory("words").TypeConstraint<T>("dtype"),     \
      LookupKernel<T, true, Lookup>)
#define TF_DYNEMB_REGISTER_LOOKUP(name, resource_name, device, Lookup)                      \
  TF_DYNEMB_REGISTER_LOOKUP_TYPE(name, resource_name, device, Lookup, float);              \
  TF_DYNEMB_REGISTER_LOOKUP_TYPE(name, resource_name, device, Lookup, Eigen::half);        \
  TF_DYNEMB_REGISTER_LOOKUP_TYPE(name, resource_name, device, Lookup, ::tensorflow::bfloat16)

}  // namespace tf_dynemb

#endif  // TF_DYNEMB_OPS_KERNELS_LOOKUP_SETUP_H_
