// TfDynembLookup and TfDynembSegment on the GPU. Words arrive in host memory
// and are copied once per call; the model and table are read where they are.
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

// TfDynembLookup, and with kFromVariable TfDynembResourceLookup.
template <typename T, bool kFromVariable>
class LookupGpuOp : public OpKernel {
 public:
  explicit LookupGpuOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
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
    if (words.NumElements() == 0) return;
    DeviceWords device_words;
    OP_REQUIRES_OK(ctx, CopyWordsToDevice(ctx, words, model.max_bytes_per_word,
                                          stream, &device_words));
    OP_REQUIRES_OK(ctx, CudaStatus(gpu::LaunchEmbedWords(
                                       stream, model, device_words.words,
                                       kTableType<T>, table.flat<T>().data(),
                                       dim, combiner_,
                                       embeddings->flat<T>().data(),
                                       kind->flat<int32_t>().data()),
                                   "launching the lookup kernel"));
  }

  int32_t combiner_ = kMean;
  DeviceModel device_model_;
};

class SegmentGpuOp : public OpKernel {
 public:
  explicit SegmentGpuOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, GetCombinerAttr(ctx, &combiner_));
  }

  // Outputs one slot per RowSlots() bound, so no count has to come back to
  // the host; unused slots carry weight 0 and add nothing to the gradient.
  void Compute(OpKernelContext* ctx) override {
    const Tensor& words = ctx->input(0);
    const cudaStream_t stream = TfCudaStream(ctx);
    ModelView model;
    OP_REQUIRES_OK(ctx, device_model_.Get(ctx->input(1), stream, &model));
    DeviceWords device_words;
    OP_REQUIRES_OK(ctx, CopyWordsToDevice(ctx, words, model.max_bytes_per_word,
                                          stream, &device_words));
    const int64_t slots = device_words.num_slots;
    Tensor *ids = nullptr, *weights = nullptr, *word = nullptr, *kind = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, {slots}, &ids));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, {slots}, &weights));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(2, {slots}, &word));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(3, words.shape(), &kind));
    OP_REQUIRES_OK(ctx, CudaStatus(gpu::LaunchSegmentWords(
                                       stream, model, device_words.words,
                                       device_words.slot_offsets, combiner_,
                                       ids->flat<int64_t>().data(),
                                       weights->flat<float>().data(),
                                       word->flat<int64_t>().data(),
                                       kind->flat<int32_t>().data()),
                                   "launching the segment kernel"));
  }

 private:
  int32_t combiner_ = kMean;
  DeviceModel device_model_;
};

#define TF_DYNEMB_REGISTER_GPU(T)                                  \
  REGISTER_KERNEL_BUILDER(Name("TfDynembLookup")                   \
                              .Device(::tensorflow::DEVICE_GPU)    \
                              .HostMemory("words")                 \
                              .TypeConstraint<T>("T"),             \
                          LookupGpuOp<T, false>);                  \
  REGISTER_KERNEL_BUILDER(Name("TfDynembResourceLookup")           \
                              .Device(::tensorflow::DEVICE_GPU)    \
                              .HostMemory("words")                 \
                              .TypeConstraint<T>("dtype"),         \
                          LookupGpuOp<T, true>);
TF_DYNEMB_REGISTER_GPU(float);
TF_DYNEMB_REGISTER_GPU(Eigen::half);
TF_DYNEMB_REGISTER_GPU(::tensorflow::bfloat16);
#undef TF_DYNEMB_REGISTER_GPU

REGISTER_KERNEL_BUILDER(Name("TfDynembSegment")
                            .Device(::tensorflow::DEVICE_GPU)
                            .HostMemory("words"),
                        SegmentGpuOp);

}  // namespace tf_dynemb

#endif  // GOOGLE_CUDA
