// Host-side preparation shared by the GPU kernels: the words packed and
// copied to the device, and the model validated once per device buffer.
#ifndef TF_DYNEMB_OPS_KERNELS_GPU_INPUTS_H_
#define TF_DYNEMB_OPS_KERNELS_GPU_INPUTS_H_

#if GOOGLE_CUDA

#include <cuda_runtime.h>

#include "absl/status/status.h"

#include "ops/core/gpu/embed_gpu.h"
#include "ops/core/model_format.h"
#include "ops/kernels/validated_model.h"
#include "tensorflow/core/framework/bfloat16.h"
#include "tensorflow/core/framework/op_kernel.h"

namespace tf_dynemb {

// The core's name for a kernel's table element type.
template <typename T>
constexpr gpu::TableType kTableType = gpu::TableType::kFloat32;
template <>
constexpr gpu::TableType kTableType<Eigen::half> = gpu::TableType::kFloat16;
template <>
constexpr gpu::TableType kTableType<::tensorflow::bfloat16> =
    gpu::TableType::kBFloat16;

// The CUDA stream TensorFlow runs this kernel on.
cudaStream_t TfCudaStream(::tensorflow::OpKernelContext* ctx);

// Words on the device: one copy per call of [offsets | slot offsets | bytes]
// from a pinned host buffer, freed by a stream callback once copied.
struct DeviceWords {
  gpu::PackedWords words;
  const int64_t* slot_offsets = nullptr;  // RowSlots() bounds, prefix-summed
  int64_t num_slots = 0;
  ::tensorflow::Tensor device_buffer;  // keeps the device copy alive
};

// Row slots are sized by gpu::RowSlots() for `model`.
absl::Status CopyWordsToDevice(::tensorflow::OpKernelContext* ctx,
                               const ::tensorflow::Tensor& words, const ModelView& model,
                               cudaStream_t stream, DeviceWords* out);

// Validates a device model tensor on the host the first time a buffer is
// seen (one copy to the host and one stream sync), then serves the view
// rebased onto the device buffer.
class DeviceModel {
 public:
  absl::Status Get(::tensorflow::OpKernelContext* ctx, const ::tensorflow::Tensor& model,
                   ModelView* device_view);

 private:
  ModelCache cache_;
};

absl::Status CudaStatus(cudaError_t err, const char* what);

}  // namespace tf_dynemb

#endif  // GOOGLE_CUDA
#endif  // TF_DYNEMB_OPS_KERNELS_GPU_INPUTS_H_
