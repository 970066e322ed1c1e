#if GOOGLE_CUDA

#include "ops/kernels/gpu_inputs.h"

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "ops/core/model_validator.h"
#include "xla/stream_executor/stream.h"

namespace tf_dynemb {

using ::tensorflow::OpKernelContext;
using ::tensorflow::Tensor;

absl::Status CudaStatus(cudaError_t err, const char* what) {
  if (err == cudaSuccess) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat(what, " failed: ", cudaGetErrorString(err)));
}

cudaStream_t TfCudaStream(OpKernelContext* ctx) {
  return static_cast<cudaStream_t>(
      ctx->op_device_context()->stream()->platform_specific_handle().stream);
}

absl::Status CopyWordsToDevice(OpKernelContext* ctx, const Tensor& words,
                               const ModelView& model, cudaStream_t stream,
                               DeviceWords* out) {
  const auto flat = words.flat<::tensorflow::tstring>();
  const int64_t n = flat.size();
  int64_t total = 0;
  for (int64_t i = 0; i < n; ++i) total += flat(i).size();
  const int64_t header = 2 * (n + 1) * sizeof(int64_t);
  const int64_t size = header + total;

  ::tensorflow::AllocatorAttributes pinned;
  pinned.set_on_host(true);
  pinned.set_gpu_compatible(true);
  Tensor host;
  TF_RETURN_IF_ERROR(ctx->allocate_temp(::tensorflow::DT_UINT8, {size}, &host, pinned));
  TF_RETURN_IF_ERROR(ctx->allocate_temp(::tensorflow::DT_UINT8, {size}, &out->device_buffer));
  uint8_t* base = host.flat<uint8_t>().data();
  auto* offsets = reinterpret_cast<int64_t*>(base);
  int64_t* slots = offsets + n + 1;
  uint8_t* bytes = base + header;
  offsets[0] = slots[0] = 0;
  for (int64_t i = 0; i < n; ++i) {
    const auto& w = flat(i);
    std::memcpy(bytes + offsets[i], w.data(), w.size());
    offsets[i + 1] = offsets[i] + static_cast<int64_t>(w.size());
    slots[i + 1] = slots[i] + gpu::RowSlots(reinterpret_cast<const uint8_t*>(w.data()), w.size(), model);
  }
  uint8_t* device = out->device_buffer.flat<uint8_t>().data();
  TF_RETURN_IF_ERROR(CudaStatus(
      cudaMemcpyAsync(device, base, size, cudaMemcpyHostToDevice, stream),
      "copying words to the GPU"));
  // The pinned buffer must live until the copy has run: free it from a
  // callback queued behind the copy on the same stream.
  auto* keep = new Tensor(host);
  const cudaError_t err = cudaLaunchHostFunc(
      stream, [](void* t) { delete static_cast<Tensor*>(t); }, keep);
  if (err != cudaSuccess) {
    cudaStreamSynchronize(stream);
    delete keep;
    return CudaStatus(err, "queueing the release of the word buffer");
  }
  auto* device_offsets = reinterpret_cast<const int64_t*>(device);
  out->words = {device + header, device_offsets, n};
  out->slot_offsets = device_offsets + n + 1;
  out->num_slots = slots[n];
  return absl::OkStatus();
}

absl::Status DeviceModel::Get(OpKernelContext* ctx, const Tensor& model,
                              ModelView* device_view) {
  return cache_.Get(model, [&](ModelView* view) -> absl::Status {
    const auto bytes = model.tensor_data();
    const auto* device = reinterpret_cast<const uint8_t*>(bytes.data());
    if (reinterpret_cast<uintptr_t>(device) % 4 != 0) {
      return absl::InvalidArgumentError(
          "`model` on the GPU must start 4-byte aligned; pass the whole tensor "
          "made by build_model, not a slice of another tensor");
    }
    const cudaStream_t stream = TfCudaStream(ctx);
    std::string host(bytes.size(), '\0');
    TF_RETURN_IF_ERROR(CudaStatus(
        cudaMemcpyAsync(host.data(), device, host.size(), cudaMemcpyDeviceToHost, stream),
        "copying the model to the host"));
    TF_RETURN_IF_ERROR(CudaStatus(cudaStreamSynchronize(stream),
                                  "waiting for the model copy"));
    ModelView host_view;
    const auto* host_base = reinterpret_cast<const uint8_t*>(host.data());
    const std::string error = ValidateModel(host_base, host.size(), &host_view);
    if (!error.empty()) return absl::InvalidArgumentError(error);
    *view = gpu::RebaseModelView(host_view, host_base, device);
    return absl::OkStatus();
  }, device_view);
}

}  // namespace tf_dynemb

#endif  // GOOGLE_CUDA
