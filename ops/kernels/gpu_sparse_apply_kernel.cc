// TfDynembSparseApplyLazyAdam and TfDynembSparseApplyRowwiseAdagrad on the
// GPU. Rows and positions arrive in host memory, are checked there as on the
// CPU, then copied to the device; variables and values are read where they
// are.
#if GOOGLE_CUDA

#include <vector>

#include "ops/core/gpu/sparse_apply_gpu.h"
#include "ops/kernels/gpu_inputs.h"
#include "ops/kernels/sparse_apply_inputs.h"
#include "tensorflow/core/framework/op_kernel.h"

namespace tf_dynemb {

using ::tensorflow::OpKernel;
using ::tensorflow::OpKernelContext;
using ::tensorflow::Tensor;

namespace {

CopyBuffer CopyOnDevice(cudaStream_t stream) {
  return [stream](const Tensor& from, Tensor* to) {
    return CudaStatus(cudaMemcpyAsync(const_cast<char*>(to->tensor_data().data()),
                                      from.tensor_data().data(), from.TotalBytes(),
                                      cudaMemcpyDeviceToDevice, stream),
                      "copying a shared variable buffer");
  };
}

// Keeps host tensors alive until the stream has run past the copies queued
// from them (the copies may be asynchronous).
absl::Status KeepUntilCopied(const std::vector<Tensor>& tensors, cudaStream_t stream) {
  auto* keep = new std::vector<Tensor>(tensors);
  const cudaError_t err = cudaLaunchHostFunc(
      stream, [](void* t) { delete static_cast<std::vector<Tensor>*>(t); }, keep);
  if (err != cudaSuccess) {
    cudaStreamSynchronize(stream);
    delete keep;
  }
  return CudaStatus(err, "queueing the release of the host indices");
}

// The checked host gradients (rows, positions: inputs `first`, +1) on the
// device, and float scratch for their per-row sums.
absl::Status ToDevice(OpKernelContext* ctx, int first, const RowGradients& host,
                      cudaStream_t stream, gpu::DeviceRowGradients* out, Tensor* buffer,
                      Tensor* scratch) {
  const int64_t row_bytes = sizeof(int64_t) * host.num_rows;
  const int64_t position_bytes = sizeof(int32_t) * host.num_values;
  TF_RETURN_IF_ERROR(ctx->allocate_temp(::tensorflow::DT_UINT8,
                                        {row_bytes + position_bytes + 8}, buffer));
  TF_RETURN_IF_ERROR(
      ctx->allocate_temp(::tensorflow::DT_FLOAT, {host.num_rows * host.width + 1}, scratch));
  char* device = const_cast<char*>(buffer->tensor_data().data());
  if (row_bytes > 0) {
    TF_RETURN_IF_ERROR(CudaStatus(
        cudaMemcpyAsync(device, host.rows, row_bytes, cudaMemcpyHostToDevice, stream),
        "copying rows to the GPU"));
  }
  if (position_bytes > 0) {
    TF_RETURN_IF_ERROR(CudaStatus(cudaMemcpyAsync(device + row_bytes, host.positions,
                                                  position_bytes, cudaMemcpyHostToDevice,
                                                  stream),
                                  "copying positions to the GPU"));
  }
  TF_RETURN_IF_ERROR(KeepUntilCopied({ctx->input(first), ctx->input(first + 1)}, stream));
  out->rows = reinterpret_cast<const int64_t*>(device);
  out->num_rows = host.num_rows;
  out->positions = reinterpret_cast<const int32_t*>(device + row_bytes);
  out->values = host.values;
  out->num_values = host.num_values;
  out->width = host.width;
  return absl::OkStatus();
}

}  // namespace

class SparseApplyLazyAdamGpuOp : public OpKernel {
 public:
  using OpKernel::OpKernel;

  void Compute(OpKernelContext* ctx) override {
    const cudaStream_t stream = TfCudaStream(ctx);
    UpdatableVariables vars;
    OP_REQUIRES_OK(ctx, vars.Acquire(ctx, {0, 1, 2}, CopyOnDevice(stream)));
    Tensor* var = vars.tensor(0);
    RowGradients host;
    LazyAdamStep step;
    OP_REQUIRES_OK(ctx, LazyAdamInputs(ctx, &vars, &host, &step));
    gpu::DeviceRowGradients g;
    Tensor buffer, scratch;
    OP_REQUIRES_OK(ctx, ToDevice(ctx, 3, host, stream, &g, &buffer, &scratch));
    OP_REQUIRES_OK(ctx, CudaStatus(gpu::LaunchSparseLazyAdam(
                                       stream, step, g, scratch.flat<float>().data(),
                                       var->flat<float>().data(),
                                       vars.tensor(1)->flat<float>().data(),
                                       vars.tensor(2)->flat<float>().data()),
                                   "launching the LazyAdam kernels"));
  }
};

class SparseApplyRowwiseAdagradGpuOp : public OpKernel {
 public:
  using OpKernel::OpKernel;

  void Compute(OpKernelContext* ctx) override {
    const cudaStream_t stream = TfCudaStream(ctx);
    UpdatableVariables vars;
    OP_REQUIRES_OK(ctx, vars.Acquire(ctx, {0, 1}, CopyOnDevice(stream)));
    Tensor* var = vars.tensor(0);
    RowGradients host;
    RowwiseAdagradStep step;
    OP_REQUIRES_OK(ctx, RowwiseAdagradInputs(ctx, &vars, &host, &step));
    gpu::DeviceRowGradients g;
    Tensor buffer, scratch;
    OP_REQUIRES_OK(ctx, ToDevice(ctx, 2, host, stream, &g, &buffer, &scratch));
    OP_REQUIRES_OK(ctx, CudaStatus(gpu::LaunchSparseRowwiseAdagrad(
                                       stream, step, g, scratch.flat<float>().data(),
                                       var->flat<float>().data(),
                                       vars.tensor(1)->flat<float>().data()),
                                   "launching the row-wise Adagrad kernel"));
  }
};

// Scalars and indices on the host; variables and values on the device.
REGISTER_KERNEL_BUILDER(Name("TfDynembSparseApplyLazyAdam")
                            .Device(::tensorflow::DEVICE_GPU)
                            .HostMemory("rows")
                            .HostMemory("positions")
                            .HostMemory("alpha")
                            .HostMemory("one_minus_beta_1")
                            .HostMemory("one_minus_beta_2")
                            .HostMemory("epsilon")
                            .HostMemory("learning_rate")
                            .HostMemory("weight_decay"),
                        SparseApplyLazyAdamGpuOp);
REGISTER_KERNEL_BUILDER(Name("TfDynembSparseApplyRowwiseAdagrad")
                            .Device(::tensorflow::DEVICE_GPU)
                            .HostMemory("rows")
                            .HostMemory("positions")
                            .HostMemory("learning_rate")
                            .HostMemory("epsilon")
                            .HostMemory("weight_decay"),
                        SparseApplyRowwiseAdagradGpuOp);

}  // namespace tf_dynemb

#endif  // GOOGLE_CUDA
