// TfDynembLookupWithRows / TfDynembResourceLookupWithRows on the CPU: the
// lookup of a training step, which also returns the (row, weight, word)
// triples it pooled, so that the gradient does not segment the words again.
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
  // Pass 1 classifies every word (and so counts its rows); pass 2 lists each
  // word's rows at its offset and pools its vector from that list.
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
    auto bytes = [&](int64_t i) {
      return reinterpret_cast<const uint8_t*>(flat_words(i).data());
    };
    const auto& workers = *ctx->device()->tensorflow_cpu_worker_threads();
    std::vector<WordRows> rows(n);
    // Costs per word in cycles, as the lookup measures them (60 to classify).
    ::tensorflow::Shard(workers.num_threads, workers.workers, n, 60,
                        [&](int64_t begin, int64_t end) {
                          for (int64_t i = begin; i < end; ++i) {
                            rows[i] = ClassifyWord(model, bytes(i), flat_words(i).size());
                          }
                        });
    std::vector<int64_t> offsets(n + 1, 0);
    for (int64_t i = 0; i < n; ++i) offsets[i + 1] = offsets[i] + rows[i].num_rows;

    Tensor *ids = nullptr, *weights = nullptr, *word = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(2, {offsets[n]}, &ids));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(3, {offsets[n]}, &weights));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(4, {offsets[n]}, &word));
    int64_t* id_out = ids->flat<int64_t>().data();
    float* weight_out = weights->flat<float>().data();
    int64_t* word_out = word->flat<int64_t>().data();
    int32_t* kind_out = kind->flat<int32_t>().data();
    const T* table_data = table.flat<T>().data();
    T* out = embeddings->flat<T>().data();
    const int32_t combiner = combiner_;
    ::tensorflow::Shard(
        workers.num_threads, workers.workers, n, 40 + dim / 4,
        [&](int64_t begin, int64_t end) {
          std::vector<float> acc(dim);
          for (int64_t i = begin; i < end; ++i) {
            const int64_t at = offsets[i];
            kind_out[i] = rows[i].kind;
            const float weight =
                ListWordRows(model, bytes(i), flat_words(i).size(), rows[i], combiner, i,
                             {id_out + at, weight_out + at, word_out + at});
            PoolListedRows(table_data, dim, id_out + at, rows[i].num_rows, weight,
                           acc.data(), out + i * dim);
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
