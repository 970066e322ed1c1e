// TfDynembLookup and TfDynembSegment on the GPU. Words arrive in host memory
// and are copied once per call; the model and table are read where they are.
#if GOOGLE_CUDA

#include "ops/core/gpu/embed_gpu.h"
#include "ops/core/segmenter.h"
#include "ops/kernels/gpu_inputs.h"
#include "ops/kernels/lookup_setup.h"
#include "tensorflow/core/framework/bfloat16.h"

namespace tf_dynemb {

// TfDynembLookup, and with kFromVariable TfDynembResourceLookup.
template <typename T, bool kFromVariable>
class LookupGpuOp : public LookupKernel<T, kFromVariable, DeviceModel> {
 public:
  using LookupKernel<T, kFromVariable, DeviceModel>::LookupKernel;

 private:
  void Embed(::tensorflow::OpKernelContext* ctx, const LookupInputs& in) override {
    if (in.words->NumElements() == 0) return;
    const cudaStream_t stream = TfCudaStream(ctx);
    DeviceWords device_words;
    OP_REQUIRES_OK(ctx, CopyWordsToDevice(ctx, *in.words, in.model, stream, &device_words));
    OP_REQUIRES_OK(ctx, CudaStatus(gpu::LaunchEmbedWords(
                                       stream, in.model, device_words.words, kTableType<T>,
                                       in.table->flat<T>().data(), in.dim, in.combiner,
                                       in.embeddings->flat<T>().data(),
                                       in.kind->flat<int32_t>().data()),
                                   "launching the lookup kernel"));
  }
};

// Outputs one slot per RowSlots() bound, so no count has to come back to the
// host; unused slots carry weight 0 and add nothing to the gradient.
class SegmentGpuOp : public ::tensorflow::OpKernel {
 public:
  explicit SegmentGpuOp(::tensorflow::OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, GetCombinerAttr(ctx, &combiner_));
  }

  void Compute(::tensorflow::OpKernelContext* ctx) override {
    const ::tensorflow::Tensor& words = ctx->input(0);
    const cudaStream_t stream = TfCudaStream(ctx);
    ModelView model;
    OP_REQUIRES_OK(ctx, device_model_.Get(ctx, ctx->input(1), &model));
    DeviceWords device_words;
    OP_REQUIRES_OK(ctx, CopyWordsToDevice(ctx, words, model, stream, &device_words));
    const int64_t slots = device_words.num_slots;
    ::tensorflow::Tensor *ids = nullptr, *weights = nullptr, *word = nullptr, *kind = nullptr;
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
