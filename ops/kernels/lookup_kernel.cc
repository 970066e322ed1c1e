// TfDynembLookup on the CPU: validate, allocate, then EmbedWords per shard.
#include <utility>

#include "ops/core/pooling.h"
#include "ops/kernels/validated_model.h"
#include "ops/kernels/variable_table.h"
#include "tensorflow/core/framework/bfloat16.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/util/work_sharder.h"

namespace tf_dynemb {

using ::tensorflow::OpKernel;
using ::tensorflow::OpKernelConstruction;
using ::tensorflow::OpKernelContext;
using ::tensorflow::Tensor;

// TfDynembLookup (table a tensor) and, with kFromVariable,
// TfDynembResourceLookup (table read in place from a resource variable).
template <typename T, bool kFromVariable>
class LookupCpuOp : public OpKernel {
 public:
  explicit LookupCpuOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, GetCombinerAttr(ctx, &combiner_));
  }

  void Compute(OpKernelContext* ctx) override {
    WithLookupTable<T, kFromVariable>(ctx, [&](const Tensor& t) { Embed(ctx, t); });
  }

 private:
  void Embed(OpKernelContext* ctx, const Tensor& table) {
    const Tensor& words = ctx->input(0);
    ModelView model;
    OP_REQUIRES_OK(ctx, validated_model_.Get(ctx->input(2), &model));
    OP_REQUIRES_OK(ctx, CheckTable(table, model));

    const int64_t dim = table.dim_size(1);
    Tensor *embeddings = nullptr, *kind = nullptr;
    OP_REQUIRES_OK(ctx, AllocateLookupOutputs(ctx, words, dim, &embeddings, &kind));

    const auto flat_words = words.flat<::tensorflow::tstring>();
    const T* table_data = table.flat<T>().data();
    T* out = embeddings->flat<T>().data();
    int32_t* kinds = kind->flat<int32_t>().data();
    const int32_t combiner = combiner_;
    auto word = [&](int64_t i) {
      const auto& w = flat_words(i);
      return std::make_pair(reinterpret_cast<const uint8_t*>(w.data()),
                            static_cast<uint64_t>(w.size()));
    };
    const auto& workers = *ctx->device()->tensorflow_cpu_worker_threads();
    const int64_t n = flat_words.size();
    const int64_t cycles_per_word = EmbedCyclesPerWord(dim * sizeof(T));
    if (n * cycles_per_word < kMinParallelEmbedCycles) {
      EmbedWords(model, 0, n, word, combiner, table_data, dim, out, kinds);
      return;
    }
    const int64_t unit = EmbedWordsPerUnit(n, workers.num_threads);
    // A shard's units are contiguous words: one EmbedWords run covers them.
    auto embed_units = [&](int64_t first, int64_t last) {
      EmbedWords(model, first * unit, std::min(n, last * unit), word, combiner,
                 table_data, dim, out, kinds);
    };
    ::tensorflow::Shard(workers.num_threads, workers.workers, (n + unit - 1) / unit,
                        unit * cycles_per_word, embed_units);
  }

  int32_t combiner_ = kMean;
  ValidatedModel validated_model_;
};

#define TF_DYNEMB_REGISTER_CPU(T)                                      \
  REGISTER_KERNEL_BUILDER(Name("TfDynembLookup")                       \
                              .Device(::tensorflow::DEVICE_CPU)        \
                              .TypeConstraint<T>("T"),                 \
                          LookupCpuOp<T, false>);                      \
  REGISTER_KERNEL_BUILDER(Name("TfDynembResourceLookup")               \
                              .Device(::tensorflow::DEVICE_CPU)        \
                              .TypeConstraint<T>("dtype"),             \
                          LookupCpuOp<T, true>);
TF_DYNEMB_REGISTER_CPU(float);
TF_DYNEMB_REGISTER_CPU(Eigen::half);
TF_DYNEMB_REGISTER_CPU(::tensorflow::bfloat16);
#undef TF_DYNEMB_REGISTER_CPU

}  // namespace tf_dynemb
