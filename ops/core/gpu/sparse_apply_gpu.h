// CUDA entry points of the sparse optimizers' row updates, free of
// TensorFlow. Every pointer is device memory; `rows` are unique and in
// range and `positions` in [0, num_rows) (the TF kernels check them on the
// host first). `scratch` holds num_rows * width floats.
#ifndef TF_DYNEMB_OPS_CORE_GPU_SPARSE_APPLY_GPU_H_
#define TF_DYNEMB_OPS_CORE_GPU_SPARSE_APPLY_GPU_H_

#include <cuda_runtime.h>

#include <cstdint>

#include "ops/core/row_update_rules.h"

namespace tf_dynemb {
namespace gpu {

cudaError_t LaunchSparseLazyAdam(cudaStream_t stream, const LazyAdamStep& step,
                                 const RowGradients& g, float* scratch,
                                 float* var, float* m, float* v);

cudaError_t LaunchSparseRowwiseAdagrad(cudaStream_t stream,
                                       const RowwiseAdagradStep& step,
                                       const RowGradients& g, float* scratch,
                                       float* var, float* accumulator);

}  // namespace gpu
}  // namespace tf_dynemb

#endif  // TF_DYNEMB_OPS_CORE_GPU_SPARSE_APPLY_GPU_H_
