// TfDynembLookup, TfDynembLookupWithRows (and their resource twins) and
// TfDynembSegment on the GPU. Words arrive in host memory and are copied once
// per call; the model and table are read where they are. The rows of
// TfDynembSegment and TfDynembLookupWithRows come padded to gpu::RowSlots()
// bounds, so no count has to come back to the host: padding slots carry
// weight 0 and add nothing to the gradient.
#if GOOGLE_CUDA

#include "ops/core/gpu/embed_gpu.h"
#include "ops/core/segmenter.h"
#include "ops/kernels/gpu_inputs.h"
#include "ops/kernels/lookup_setup.h"

namespace tf_dynemb {
namespace {

// Copies the words to the device and launches the lookup kernel on them.
template <typename T>
absl::Status EmbedOnDevice(::tensorflow::OpKernelContext* ctx, const LookupInputs& in,
                           cudaStream_t stream, DeviceWords* words) {
  TF_RETURN_IF_ERROR(CopyWordsToDevice(ctx, *in.words, in.model, stream, words));
  if (in.words->NumElements() == 0) return absl::OkStatus();
  return CudaStatus(gpu::LaunchEmbedWords(stream, in.model, words->words, kTableType<T>,
                                          in.table->flat<T>().data(), in.dim, in.combiner,
                                          in.embeddings->flat<T>().data(),
                                          in.kind->flat<int32_t>().data()),
                    "launching the lookup kernel");
}

// Allocates the (row, weight, word) outputs from `first` on, one slot per
// RowSlots() bound, and launches the segment kernel into them.
absl::Status SegmentOnDevice(::tensorflow::OpKernelContext* ctx, int first,
                             const ModelView& model, const DeviceWords& words,
                             int32_t combiner, cudaStream_t stream, int32_t* kinds) {
  const int64_t slots = words.num_slots;
  ::tensorflow::Tensor *ids = nullptr, *weights = nullptr, *word = nullptr;
  TF_RETURN_IF_ERROR(ctx->allocate_output(first, {slots}, &ids));
  TF_RETURN_IF_ERROR(ctx->allocate_output(first + 1, {slots}, &weights));
  TF_RETURN_IF_ERROR(ctx->allocate_output(first + 2, {slots}, &word));
  if (words.words.num_words == 0) return absl::OkStatus();
  return CudaStatus(gpu::LaunchSegmentWords(stream, model, words.words, words.slot_offsets,
                                            combiner, ids->flat<int64_t>().data(),
                                            weights->flat<float>().data(),
                                            word->flat<int64_t>().data(), kinds),
                    "launching the segment kernel");
}

struct GpuLookup {
  using Models = DeviceModel;

  template <typename T>
  static void Embed(::tensorflow::OpKernelContext* ctx, const LookupInputs& in) {
    if (in.words->NumElements() == 0) return;
    DeviceWords words;
    OP_REQUIRES_OK(ctx, EmbedOnDevice<T>(ctx, in, TfCudaStream(ctx), &words));
  }
};

// The lookup kernel, then the segment kernel, on one device copy of the words.
struct GpuLookupWithRows {
  using Models = DeviceModel;

  template <typename T>
  static void Embed(::tensorflow::OpKernelContext* ctx, const LookupInputs& in) {
    const cudaStream_t stream = TfCudaStream(ctx);
    DeviceWords words;
    OP_REQUIRES_OK(ctx, EmbedOnDevice<T>(ctx, in, stream, &words));
    OP_REQUIRES_OK(ctx, SegmentOnDevice(ctx, 2, in.model, words, in.combiner, stream,
                                        in.kind->flat<int32_t>().data()));
  }
};

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
    ::tensorflow::Tensor* kind = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(3, words.shape(), &kind));
    OP_REQUIRES_OK(ctx, SegmentOnDevice(ctx, 0, model, device_words, combiner_, stream,
                                        kind->flat<int32_t>().data()));
  }

 private:
  int32_t combiner_ = kMean;
  DeviceModel device_model_;
};

}  // namespace

TF_DYNEMB_REGISTER_LOOKUP("TfDynembLookup", "TfDynembResourceLookup",
                          ::tensorflow::DEVICE_GPU, GpuLookup);
TF_DYNEMB_REGISTER_LOOKUP("TfDynembLookupWithRows", "TfDynembResourceLookupWithRows",
                          ::tensorflow::DEVICE_GPU, GpuLookupWithRows);
REGISTER_KERNEL_BUILDER(Name("TfDynembSegment")
                            .Device(::tensorflow::DEVICE_GPU)
                            .HostMemory("words"),
                        SegmentGpuOp);

}  // namespace tf_dynemb

#endif  // GOOGLE_CUDA
