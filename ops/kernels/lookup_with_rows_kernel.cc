// TfDynembLookupWithRows / TfDynembResourceLookupWithRows on the CPU: the
// lookup of a training step, which also returns the (row, weight, word)
// triples it pooled, so that the gradient does not segment the words again.
#include <algorithm>
#include <utility>
#include <vector>

#include "ops/core/listed_rows.h"
#include "ops/core/segmenter.h"
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

template <typename T, bool kFromVariable>
class LookupWithRowsCpuOp : public OpKernel {
 public:
  explicit LookupWithRowsCpuOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, GetCombinerAttr(ctx, &combiner_));
  }

  void Compute(OpKernelContext* ctx) override {
    WithLookupTable<T, kFromVariable>(ctx, [&](const Tensor& t) { Embed(ctx, t); });
  }

 private:
  // Words go in blocks: each block embeds its words and lists their rows
  // (one walk a word); once every count is known, the lists are copied out.
  static constexpr int64_t kBlock = 256;

  void Embed(OpKernelContext* ctx, const Tensor& table) {
    const Tensor& words = ctx->input(0);
    ModelView model;
    OP_REQUIRES_OK(ctx, validated_model_.Get(ctx->input(2), &model));
    OP_REQUIRES_OK(ctx, CheckTable(table, model));
    const int64_t dim = table.dim_size(1);
    Tensor *embeddings = nullptr, *kind = nullptr;
    OP_REQUIRES_OK(ctx, AllocateLookupOutputs(ctx, words, dim, &embeddings, &kind));

    const auto flat_words = words.flat<::tensorflow::tstring>();
    const int64_t n = flat_words.size();
    auto word = [&](int64_t i) {
      const auto& w = flat_words(i);
      return std::make_pair(reinterpret_cast<const uint8_t*>(w.data()),
                            static_cast<uint64_t>(w.size()));
    };
    const int64_t blocks = (n + kBlock - 1) / kBlock;
    std::vector<std::vector<uint32_t>> block_rows(blocks);
    std::vector<uint32_t> counts(n);
    const T* table_data = table.flat<T>().data();
    T* out = embeddings->flat<T>().data();
    int32_t* kinds = kind->flat<int32_t>().data();
    const int32_t combiner = combiner_;
    const auto& workers = *ctx->device()->tensorflow_cpu_worker_threads();
    ::tensorflow::Shard(
        workers.num_threads, workers.workers, blocks,
        kBlock * EmbedCyclesPerWord(dim * sizeof(T)),
        [&](int64_t first, int64_t last) {
          for (int64_t b = first; b < last; ++b) {
            EmbedWordsListingRows(model, b * kBlock, std::min(n, (b + 1) * kBlock),
                                  word, combiner, table_data, dim, out, kinds,
                                  &block_rows[b], counts.data());
          }
        });

    std::vector<int64_t> block_start(blocks + 1, 0);
    for (int64_t b = 0; b < blocks; ++b) {
      block_start[b + 1] = block_start[b] + static_cast<int64_t>(block_rows[b].size());
    }
    Tensor *ids = nullptr, *weights = nullptr, *row_word = nullptr;
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
              const float weight = CombinerWeight(combiner, counts[i]);
              for (uint32_t k = 0; k < counts[i]; ++k, ++r) {
                id_out[r] = *listed++;
                weight_out[r] = weight;
                word_out[r] = i;
              }
            }
          }
        });
  }

  int32_t combiner_ = kMean;
  ValidatedModel validated_model_;
};

#define TF_DYNEMB_REGISTER_CPU(T)                                      \
  REGISTER_KERNEL_BUILDER(Name("TfDynembLookupWithRows")               \
                              .Device(::tensorflow::DEVICE_CPU)        \
                              .TypeConstraint<T>("T"),                 \
                          LookupWithRowsCpuOp<T, false>);              \
  REGISTER_KERNEL_BUILDER(Name("TfDynembResourceLookupWithRows")       \
                              .Device(::tensorflow::DEVICE_CPU)        \
                              .TypeConstraint<T>("dtype"),             \
                          LookupWithRowsCpuOp<T, true>);
TF_DYNEMB_REGISTER_CPU(float);
TF_DYNEMB_REGISTER_CPU(Eigen::half);
TF_DYNEMB_REGISTER_CPU(::tensorflow::bfloat16);
#undef TF_DYNEMB_REGISTER_CPU

}  // namespace tf_dynemb
