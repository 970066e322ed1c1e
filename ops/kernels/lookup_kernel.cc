// TfDynembLookup on the CPU: the shared set-up, then EmbedWords per shard.
#include <algorithm>

#include "ops/core/pooling.h"
#include "ops/kernels/lookup_setup.h"
#include "tensorflow/core/util/work_sharder.h"

namespace tf_dynemb {

// TfDynembLookup (table a tensor) and TfDynembResourceLookup (table read in
// place from a resource variable).
struct CpuLookup {
  using Models = ValidatedModel;

  template <typename T>
  static void Embed(::tensorflow::OpKernelContext* ctx, const LookupInputs& in) {
    const WordBytes word(*in.words);
    const T* table = in.table->flat<T>().data();
    T* out = in.embeddings->flat<T>().data();
    int32_t* kinds = in.kind->flat<int32_t>().data();
    const int64_t n = word.size();
    const int64_t cycles_per_word = EmbedCyclesPerWord(in.dim * sizeof(T), in.model);
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

TF_DYNEMB_REGISTER_LOOKUP("TfDynembLookup", "TfDynembResourceLookup",
                          ::tensorflow::DEVICE_CPU, CpuLookup);

}  // namespace tf_dynemb
