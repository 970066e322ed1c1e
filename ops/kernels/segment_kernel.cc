// TfDynembSegment on the CPU: the flat (row, weight, word) triples behind a
// lookup, for the gradient with respect to the table.
#include <vector>

#include "ops/core/segmenter.h"
#include "ops/kernels/validated_model.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/util/work_sharder.h"

namespace tf_dynemb {

using ::tensorflow::OpKernel;
using ::tensorflow::OpKernelConstruction;
using ::tensorflow::OpKernelContext;
using ::tensorflow::Tensor;

class SegmentCpuOp : public OpKernel {
 public:
  explicit SegmentCpuOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, GetCombinerAttr(ctx, &combiner_));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& words = ctx->input(0);
    ModelView model;
    OP_REQUIRES_OK(ctx, validated_model_.Get(ctx, ctx->input(1), &model));
    const auto flat_words = words.flat<::tensorflow::tstring>();
    const int64_t n = flat_words.size();
    auto bytes = [&](int64_t i) {
      return reinterpret_cast<const uint8_t*>(flat_words(i).data());
    };

    // Pass 1: classify every word; pass 2: write its rows at its offset.
    std::vector<WordRows> rows(n);
    const auto& workers = *ctx->device()->tensorflow_cpu_worker_threads();
    ::tensorflow::Shard(workers.num_threads, workers.workers, n, 300,
                        [&](int64_t begin, int64_t end) {
                          for (int64_t i = begin; i < end; ++i) {
                            rows[i] = ClassifyWord(model, bytes(i),
                                                   flat_words(i).size());
                          }
                        });
    std::vector<int64_t> offsets(n + 1, 0);
    for (int64_t i = 0; i < n; ++i) offsets[i + 1] = offsets[i] + rows[i].num_rows;

    Tensor *ids = nullptr, *weights = nullptr, *word = nullptr, *kind = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, {offsets[n]}, &ids));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, {offsets[n]}, &weights));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(2, {offsets[n]}, &word));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(3, words.shape(), &kind));
    int64_t* id_out = ids->flat<int64_t>().data();
    float* weight_out = weights->flat<float>().data();
    int64_t* word_out = word->flat<int64_t>().data();
    int32_t* kind_out = kind->flat<int32_t>().data();
    const int32_t combiner = combiner_;
    ::tensorflow::Shard(
        workers.num_threads, workers.workers, n, 300,
        [&](int64_t begin, int64_t end) {
          for (int64_t i = begin; i < end; ++i) {
            kind_out[i] = rows[i].kind;
            const float weight = CombinerWeight(combiner, rows[i].num_rows);
            int64_t r = offsets[i];
            ForEachRow(model, bytes(i), flat_words(i).size(), rows[i],
                       [&](uint32_t row) {
                         id_out[r] = row;
                         weight_out[r] = weight;
                         word_out[r] = i;
                         ++r;
                       });
          }
        });
  }

 private:
  int32_t combiner_ = kMean;
  ValidatedModel validated_model_;
};

REGISTER_KERNEL_BUILDER(Name("TfDynembSegment").Device(::tensorflow::DEVICE_CPU),
                        SegmentCpuOp);

}  // namespace tf_dynemb
