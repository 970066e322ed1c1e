// TfDynembLookupWithRows / TfDynembResourceLookupWithRows on the GPU: the
// lookup kernel and the segment kernel on one device copy of the words. The
// rows come padded to RowSlots() bounds, as TfDynembSegment's do (padding
// slots carry weight 0).
#if GOOGLE_CUDA

#include "ops/core/gpu/embed_gpu.h"
#include "ops/core/segmenter.h"
#include "ops/kernels/gpu_inputs.h"
#include "ops/kernels/validated_model.h"
#include "ops/kernels/variable_table.h"
#include "tensorflow/core/framework/bfloat16.h"
#include "tensorflow/core/framework/op_kernel.h"

namespace tf_dynemb {

using ::tensorflow::OpKernel;
using ::tensorflow::OpKernelConstruction;
using ::tensorflow::OpKernelContext;
using ::tensorflow::Tensor;

template <typename T, bool kFromVariable>
class LookupWithRowsGpuOp : public OpKernel {
 public:
  explicit LookupWithRowsGpuOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, GetCombinerAttr(ctx, &combiner_));
  }

  void Compute(OpKernelContext* ctx) override {
    WithLookupTable<T, kFromVariable>(ctx, [&](const Tensor& t) { Embed(ctx, t); });
  }

 private:
  void Embed(OpKernelContext* ctx, const Tensor& table) {
    const Tensor& words = ctx->input(0);
    const cudaStream_t stream = TfCudaStream(ctx);
    ModelView model;
    OP_REQUIRES_OK(ctx, device_model_.Get(ctx->input(2), stream, &model));
    OP_REQUIRES_OK(ctx, CheckTable(table, model));
    const int64_t dim = table.dim_size(1);
    Tensor *embeddings = nullptr, *kind = nullptr;
    OP_REQUIRES_OK(ctx, AllocateLookupOutputs(ctx, words, dim, &embeddings, &kind));
    DeviceWords device_words;
    OP_REQUIRES_OK(ctx, CopyWordsToDevice(ctx, words, model.max_bytes_per_word,
                                          stream, &device_words));
    const int64_t slots = device_words.num_slots;
    Tensor *ids = nullptr, *weights = nullptr, *word = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(2, {slots}, &ids));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(3, {slots}, &weights));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(4, {slots}, &word));
    if (words.NumElements() == 0) return;
    int32_t* kinds = kind->flat<int32_t>().data();
    OP_REQUIRES_OK(ctx, CudaStatus(gpu::LaunchEmbedWords(
                                       stream, model, device_words.words,
                                       kTableType<T>, table.flat<T>().data(),
                                       dim, combiner_, embeddings->flat<T>().data(),
                                       kinds),
                                   "launching the lookup kernel"));
    OP_REQUIRES_OK(ctx, CudaStatus(gpu::LaunchSegmentWords(
                                       stream, model, device_words.words,
                                       device_words.slot_offsets, combiner_,
                                       ids->flat<int64_t>().data(),
                                       weights->flat<float>().data(),
                                       word->flat<int64_t>().data(), kinds),
                                   "launching the segment kernel"));
  }

  int32_t combiner_ = kMean;
  DeviceModel device_model_;
};

#define TF_DYNEMB_REGISTER_GPU(T)                                  \
  REGISTER_KERNEL_BUILDER(Name("TfDynembLookupWithRows")           \
                              .Device(::tensorflow::DEVICE_GPU)    \
                              .HostMemory("words")                 \
                              .TypeConstraint<T>("T"),             \
                          LookupWithRowsGpuOp<T, false>);          \
  REGISTER_KERNEL_BUILDER(Name("TfDynembResourceLookupWithRows")   \
                              .Device(::tensorflow::DEVICE_GPU)    \
                              .HostMemory("words")                 \
                              .TypeConstraint<T>("dtype"),         \
                          LookupWithRowsGpuOp<T, true>);
TF_DYNEMB_REGISTER_GPU(float);
TF_DYNEMB_REGISTER_GPU(Eigen::half);
TF_DYNEMB_REGISTER_GPU(::tensorflow::bfloat16);
#undef TF_DYNEMB_REGISTER_GPU

}  // namespace tf_dynemb

#endif  // GOOGLE_CUDA
