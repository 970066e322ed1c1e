// Inputs of the sparse-apply kernels (TfDynembSparseApply*): the variables
// they update in place, and the row gradients, checked.
#ifndef TF_DYNEMB_OPS_KERNELS_SPARSE_APPLY_INPUTS_H_
#define TF_DYNEMB_OPS_KERNELS_SPARSE_APPLY_INPUTS_H_

#include <functional>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "ops/core/row_update_rules.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/resource_mgr.h"
#include "tensorflow/core/framework/resource_var.h"

namespace tf_dynemb {

// Copies a variable's buffer into a fresh one on the kernel's device.
using CopyBuffer =
    std::function<absl::Status(const ::tensorflow::Tensor& from, ::tensorflow::Tensor* to)>;

// The resource variables at some inputs, locked exclusively (in address
// order) until destruction, each made safe to write in place: a buffer that
// a reader still shares is copied first, and the variable is put in
// copy-on-read mode (dense reads copy it; sparse updates write in place), as
// TensorFlow's own sparse training ops do.
class UpdatableVariables {
 public:
  UpdatableVariables();
  ~UpdatableVariables();
  absl::Status Acquire(::tensorflow::OpKernelContext* ctx, const std::vector<int>& inputs,
                       const CopyBuffer& copy);
  // The float32 tensor of the i-th variable acquired.
  ::tensorflow::Tensor* tensor(int i) { return variables_[i]->tensor(); }

 private:
  std::vector<::tensorflow::core::RefCountPtr<::tensorflow::Var>> variables_;
  struct Locks;
  std::unique_ptr<Locks> locks_;
};

// Checks rows/positions/values (inputs `first`, +1, +2; rows and positions
// in host memory on every device) against `variable` [V, ...]: shapes, rows
// unique and in [0, V), positions in [0, U). Fills `out`.
absl::Status CheckRowGradients(::tensorflow::OpKernelContext* ctx, int first,
                               const ::tensorflow::Tensor& variable, RowGradients* out);

// `slot` must be float32 with `shape` (for instance the variable's).
absl::Status CheckSlot(const ::tensorflow::Tensor& slot, const ::tensorflow::TensorShape& shape,
                       const char* name);

// The float scalar at `input`.
absl::Status ScalarInput(::tensorflow::OpKernelContext* ctx, int input, float* value);

// One step's inputs (the ops' input order, ops/ops/dynemb_ops.cc), checked:
// the variable and its slots acquired for writing in place, the row
// gradients and the step's scalars.
template <typename Step>
struct SparseApplyInputs {
  UpdatableVariables variables;  // the variable first, then its slots
  RowGradients gradients;
  int gradients_input = 0;  // the input index of `rows`; `positions` follows
  Step step;
  // The float32 buffer of the i-th variable.
  float* variable(int i) { return variables.tensor(i)->flat<float>().data(); }
};

// Acquires the variables (copying shared buffers with `copy`) and checks
// what both devices check: the slots against the variable, the row
// gradients, and the step's scalars. LazyAdam: var, m, v; rows, positions,
// values; alpha, 1 - beta_1, 1 - beta_2, epsilon, learning_rate, weight_decay.
absl::Status AcquireInputs(::tensorflow::OpKernelContext* ctx, const CopyBuffer& copy,
                           SparseApplyInputs<LazyAdamStep>* in);
// RowwiseAdagrad: var, accumulator; rows, positions, values; learning_rate,
// epsilon, weight_decay.
absl::Status AcquireInputs(::tensorflow::OpKernelContext* ctx, const CopyBuffer& copy,
                           SparseApplyInputs<RowwiseAdagradStep>* in);

}  // namespace tf_dynemb

#endif  // TF_DYNEMB_OPS_KERNELS_SPARSE_APPLY_INPUTS_H_
