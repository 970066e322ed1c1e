// CUDA kernels of the sparse optimizers: gradient rows summed per touched
// row (atomics into scratch), then each touched row updated by the rules of
// ops/core/row_update_rules.h, which the CPU kernels run too.
#include "ops/core/gpu/sparse_apply_gpu.h"

namespace tf_dynemb {
namespace gpu {
namespace {

constexpr int kThreads = 256;

int BlocksFor(int64_t work) {
  const int64_t blocks = (work + kThreads - 1) / kThreads;
  return static_cast<int>(blocks < 4096 ? (blocks > 0 ? blocks : 1) : 4096);
}

__global__ void SumRowsKernel(RowGradients g, float* __restrict__ scratch) {
  const int64_t total = g.num_values * g.width;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < total;
       k += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t i = k / g.width;
    const int64_t d = k - i * g.width;
    atomicAdd(scratch + static_cast<int64_t>(g.positions[i]) * g.width + d, g.values[k]);
  }
}

__global__ void LazyAdamKernel(LazyAdamStep step, RowGradients g,
                               const float* __restrict__ scratch, float* var, float* m,
                               float* v) {
  const int64_t total = g.num_rows * g.width;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < total;
       k += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t u = k / g.width;
    const int64_t at = g.rows[u] * g.width + (k - u * g.width);
    LazyAdamElement(step, scratch[k], var + at, m + at, v + at);
  }
}

// One block a touched row: the block sums the row's squared gradient, then
// every thread updates its elements.
__global__ void RowwiseAdagradKernel(RowwiseAdagradStep step, RowGradients g,
                                     const float* __restrict__ scratch, float* var,
                                     float* accumulator) {
  __shared__ float partial[kThreads];
  __shared__ float multiplier;
  for (int64_t u = blockIdx.x; u < g.num_rows; u += gridDim.x) {
    const float* grad = scratch + u * g.width;
    float sum = 0.0f;
    for (int64_t d = threadIdx.x; d < g.width; d += blockDim.x) sum += grad[d] * grad[d];
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (int half = blockDim.x / 2; half > 0; half /= 2) {
      if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
      __syncthreads();
    }
    const int64_t row = g.rows[u];
    if (threadIdx.x == 0) {
      accumulator[row] = RowwiseAdagradAccumulator(accumulator[row], partial[0], g.width);
      multiplier = RowwiseAdagradMultiplier(step, accumulator[row]);
    }
    __syncthreads();
    for (int64_t d = threadIdx.x; d < g.width; d += blockDim.x) {
      RowwiseAdagradElement(step, multiplier, grad[d], var + row * g.width + d);
    }
    __syncthreads();
  }
}

cudaError_t SumRows(cudaStream_t stream, const RowGradients& g, float* scratch) {
  cudaError_t err = cudaMemsetAsync(scratch, 0, sizeof(float) * g.num_rows * g.width, stream);
  if (err != cudaSuccess || g.num_values == 0) return err;
  SumRowsKernel<<<BlocksFor(g.num_values * g.width), kThreads, 0, stream>>>(g, scratch);
  return cudaGetLastError();
}

}  // namespace

cudaError_t LaunchSparseLazyAdam(cudaStream_t stream, const LazyAdamStep& step,
                                 const RowGradients& g, float* scratch, float* var,
                                 float* m, float* v) {
  if (g.num_rows == 0 || g.width == 0) return cudaSuccess;
  cudaError_t err = SumRows(stream, g, scratch);
  if (err != cudaSuccess) return err;
  LazyAdamKernel<<<BlocksFor(g.num_rows * g.width), kThreads, 0, stream>>>(step, g, scratch,
                                                                           var, m, v);
  return cudaGetLastError();
}

cudaError_t LaunchSparseRowwiseAdagrad(cudaStream_t stream, const RowwiseAdagradStep& step,
                                       const RowGradients& g, float* scratch,
                                       float* var, float* accumulator) {
  if (g.num_rows == 0 || g.width == 0) return cudaSuccess;
  cudaError_t err = SumRows(stream, g, scratch);
  if (err != cudaSuccess) return err;
  const int blocks = static_cast<int>(g.num_rows < 4096 ? g.num_rows : 4096);
  RowwiseAdagradKernel<<<blocks, kThreads, 0, stream>>>(step, g, scratch, var, accumulator);
  return cudaGetLastError();
}

}  // namespace gpu
}  // namespace tf_dynemb
