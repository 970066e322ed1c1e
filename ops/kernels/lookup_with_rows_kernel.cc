// TfDynembLookupWithRows / TfDynembResourceLookupWithRows on the CPU: the
// lookup of a training step, which also returns the (row, weight, word)
// triples it pooled, so that the gradient does not segment the words again.
#include <algorithm>
#include <vector>

#include "ops/core/listed_rows.h"
#include "ops/kernels/lookup_setup.h"
#include "tensorflow/core/util/work_sharder.h"

namespace tf_dynemb {

struct CpuLookupWithRows {
  using Models = ValidatedModel;

  // Words go in blocks: each block embeds its words and lists their rows
  // (one walk a word); once every count is known, the lists are copied out.
  static constexpr int64_t kBlock = 256;

  template <typename T>
  static void Embed(::tensorflow::OpKernelContext* ctx, const LookupInputs& in) {
    const WordBytes word(*in.words);
    const int64_t n = word.size();
    const int64_t blocks = (n + kBlock - 1) / kBlock;
    std::vector<std::vector<uint32_t>> block_rows(blocks);
    std::vector<uint32_t> counts(n);
    const T* table = in.table->flat<T>().data();
    T* out = in.embeddings->flat<T>().data();
    int32_t* kinds = in.kind->flat<int32_t>().data();
    const auto& workers = *ctx->device()->tensorflow_cpu_worker_threads();
    const int64_t cycles_per_block = kBlock * EmbedCyclesPerWord(in.dim * sizeof(T), in.model);
    ::tensorflow::Shard(
        workers.num_threads, workers.workers, blocks, cycles_per_block,
        [&](int64_t first, int64_t last) {
          for (int64_t b = first; b < last; ++b) {
            EmbedWordsListingRows(in.model, b * kBlock, std::min(n, (b + 1) * kBlock), word,
                                  in.combiner, table, in.dim, out, kinds, &block_rows[b],
                                  counts.data());
          }
        });

    std::vector<int64_t> block_start(blocks + 1, 0);
    for (int64_t b = 0; b < blocks; ++b) {
      block_start[b + 1] = block_start[b] + static_cast<int64_t>(block_rows[b].size());
    }
    ::tensorflow::Tensor *ids = nullptr, *weights = nullptr, *row_word = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(2, {block_start[blocks]}, &ids));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(3, {block_start[blocks]}, &weights));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(4, {block_start[blocks]}, &row_word));
    int64_t* id_out = ids->flat<int64_t>().data();
    float* weight_out = weights->flat<float>().data();
    int64_t* word_out = row_word->flat<int64_t>().data();
    ::tensorflow::Shard(
        workers.num_threads, workers.workers, blocks, kBlock * 8,
        [&](int64_t first, int64_t last) {
          for (int64_t b = first; b < last; ++b) {
            int64_t r = block_start[b];
            const uint32_t* listed = block_rows[b].data();
            for (int64_t i = b * kBlock; i < std::min(n, (b + 1) * kBlock); ++i) {
              const float weight = CombinerWeight(in.combiner, counts[i]);
              for (uint32_t k = 0; k < counts[i]; ++k, ++r) {
                id_out[r] = *listed++;
                weight_out[r] = weight;
                word_out[r] = i;
              }
            }
          }
        });
  }
};

TF_DYNEMB_REGISTER_LOOKUP("TfDynembLookupWithRows", "TfDynembResourceLookupWithRows",
                          ::tensorflow::DEVICE_CPU, CpuLookupWithRows);

}  // namespace tf_dynemb
