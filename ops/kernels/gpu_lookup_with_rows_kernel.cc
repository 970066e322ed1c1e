// TfDynembLookupWithRows / TfDynembResourceLookupWithRows on the GPU: the
// lookup kernel and the segment kernel on one device copy of the words. The
// rows come padded to RowSlots() bounds, as TfDynembSegment's do (padding
// slots carry weight 0).
#if GOOGLE_CUDA

#include "ops/core/gpu/embed_gpu.h"
#include "ops/kernels/gpu_inputs.h"
#include "ops/kernels/lookup_setup.h"
#include "tensorflow/core/framework/bfloat16.h"

namespace tf_dynemb {

template <typename T, bool kFromVariable>
class LookupWithRowsGpuOp : public LookupKernel<T, kFromVariable, DeviceModel> {
 public:
  using LookupKernel<T, kFromVariable, DeviceModel>::LookupKernel;

 private:
  void Embed(::tensorflow::OpKernelContext* ctx, const LookupInputs& in) override {
    const cudaStream_t stream = TfCudaStream(ctx);
    DeviceWords device_words;
    OP_REQUIRES_OK(ctx, CopyWordsToDevice(ctx, *in.words, in.model, stream, &device_words));
    const int64_t slots = device_words.num_slots;
    ::tensorflow::Tensor *ids = nullptr, *weights = nullptr, *word = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(2, {slots}, &ids));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(3, {slots}, &weights));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(4, {slots}, &word));
    if (in.words->NumElements() == 0) return;
    int32_t* kinds = in.kind->flat<int32_t>().data();
    OP_REQUIRES_OK(ctx, CudaStatus(gpu::LaunchEmbedWords(
                                       stream, in.model, device_words.words, kTableType<T>,
                                       in.table->flat<T>().data(), in.dim, in.combiner,
                                       in.embeddings->flat<T>().data(), kinds),
                                   "launching the lookup kernel"));
    OP_REQUIRES_OK(ctx, CudaStatus(gpu::LaunchSegmentWords(
                                       stream, in.model, device_words.words,
                                       device_words.slot_offsets, in.combiner,
                                       ids->flat<int64_t>().data(),
                                       weights->flat<float>().data(),
                                       word->flat<int64_t>().data(), kinds),
                                   "launching the segment kernel"));
  }
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
