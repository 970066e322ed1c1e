// TfDynembLookup on the CPU: the shared set-up, then EmbedWords per shard.
#include <algorithm>

#include "ops/core/pooling.h"
#include "ops/kernels/lookup_setup.h"
#include "tensorflow/core/framework/bfloat16.h"
#include "tensorflow/core/util/work_sharder.h"

namespace tf_dynemb {

// TfDynembLookup (table a tensor) and, with kFromVariable,
// TfDynembResourceLookup (table read in place from a resource variable).
template <typename T, bool kFromVariable>
class LookupCpuOp : public LookupKernel<T, kFromVariable, ValidatedModel> {
 public:
  using LookupKernel<T, kFromVariable, ValidatedModel>::LookupKernel;

 private:
  void Embed(::tensorflow::OpKernelContext* ctx, const LookupInputs& in) override {
    const WordBytes word(*in.words);
    const T* table = in.table->flat<T>().data();
    T* out = in.embeddings->flat<T>().data();
    int32_t* kinds = in.kind->flat<int32_t>().data();
    const int64_t n = word.size();
    const int64_t cycles_per_word = EmbedCyclesPerWord(in.dim * sizeof(T));
    if (n * cycles_per_word < kMinParallelEmbedCycles) {
      EmbedWords(in.model, 0, n, word, in.combiner, table, in.dim, out, kinds);
      return;
    }
    const auto& workers = *ctx->device()->tensorflow_cpu_worker_threads();
    const int64_t unit = EmbedWordsPerUnit(n, workers.num_threads);
    // A shard's units are contiguous words: one EmbedWords run covers them.
    auto embed_units = [&](int64_t first, int64_t last) {
      EmbedWords(in.model, first * unit, std::min(n, last * unit), word, in.combiner, table,
                 in.dim, out, kinds);
    };
    ::tensorflow::Shard(workers.num_threads, workers.workers, (n + unit - 1) / unit,
                        unit * cycles_per_word, embed_units);
  }
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
