#include "ops/kernels/sparse_apply_inputs.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "tensorflow/core/framework/tensor_shape.h"

namespace tf_dynemb {

using ::absl::InvalidArgumentError;
using ::absl::StrCat;
using ::tensorflow::Tensor;

// TensorFlow's variable mutex is its own (deprecated) type.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
struct UpdatableVariables::Locks {
  std::vector<std::unique_ptr<::tensorflow::mutex_lock>> held;
};
#pragma GCC diagnostic pop

UpdatableVariables::UpdatableVariables() : locks_(new Locks) {}

UpdatableVariables::~UpdatableVariables() {
  // Release the locks before the references to the variables.
  locks_.reset();
}

absl::Status UpdatableVariables::Acquire(::tensorflow::OpKernelContext* ctx,
                                         const std::vector<int>& inputs,
                                         const CopyBuffer& copy) {
  for (int input : inputs) {
    ::tensorflow::core::RefCountPtr<::tensorflow::Var> var;
    TF_RETURN_IF_ERROR(
        ::tensorflow::LookupResource(ctx, ::tensorflow::HandleFromInput(ctx, input), &var));
    for (const auto& other : variables_) {
      if (other.get() == var.get()) {
        return InvalidArgumentError(StrCat(
            "The variable and its optimizer slots must be distinct variables; input ",
            input, " repeats one."));
      }
    }
    variables_.push_back(std::move(var));
  }
  std::vector<::tensorflow::Var*> order;
  for (const auto& var : variables_) order.push_back(var.get());
  std::sort(order.begin(), order.end(),
            [](::tensorflow::Var* a, ::tensorflow::Var* b) { return a->mu() < b->mu(); });
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  for (::tensorflow::Var* var : order) {
    locks_->held.push_back(std::make_unique<::tensorflow::mutex_lock>(*var->mu()));
  }
#pragma GCC diagnostic pop
  for (size_t i = 0; i < variables_.size(); ++i) {
    Tensor* t = variables_[i]->tensor();
    if (!t->IsInitialized()) {
      return absl::FailedPreconditionError(
          StrCat("Input ", inputs[i], ": the variable is not initialized."));
    }
    if (t->dtype() != ::tensorflow::DT_FLOAT) {
      return InvalidArgumentError(StrCat("Input ", inputs[i], ": the variable holds ",
                                         ::tensorflow::DataTypeString(t->dtype()),
                                         "; the sparse-apply kernels update float32."));
    }
    if (!t->RefCountIsOne()) {
      Tensor fresh;
      ::tensorflow::AllocatorAttributes attr;
      attr.set_gpu_compatible(true);
      TF_RETURN_IF_ERROR(ctx->allocate_temp(t->dtype(), t->shape(), &fresh, attr));
      TF_RETURN_IF_ERROR(copy(*t, &fresh));
      *t = fresh;
    }
    variables_[i]->copy_on_read_mode.store(true);
  }
  return absl::OkStatus();
}

absl::Status CheckRowGradients(::tensorflow::OpKernelContext* ctx, int first,
                               const Tensor& variable, RowGradients* out) {
  const Tensor& rows = ctx->input(first);
  const Tensor& positions = ctx->input(first + 1);
  const Tensor& values = ctx->input(first + 2);
  if (variable.dims() < 1) {
    return InvalidArgumentError(StrCat("The variable must have rank >= 1. Received shape ",
                                       variable.shape().DebugString()));
  }
  if (rows.dims() != 1 || positions.dims() != 1) {
    return InvalidArgumentError(StrCat("`rows` and `positions` must be 1-D. Received shapes ",
                                       rows.shape().DebugString(), " and ",
                                       positions.shape().DebugString()));
  }
  const int64_t var_rows = variable.dim_size(0);
  int64_t width = 1;
  for (int d = 1; d < variable.dims(); ++d) width *= variable.dim_size(d);
  const int64_t n = positions.dim_size(0);
  if (values.dims() < 1 || values.dim_size(0) != n || values.NumElements() != n * width) {
    return InvalidArgumentError(StrCat(
        "`values` must hold one row of the variable (", width, " elements) per position (", n,
        "). Received shape ", values.shape().DebugString(), " for a variable of shape ",
        variable.shape().DebugString()));
  }
  out->rows = rows.flat<int64_t>().data();
  out->num_rows = rows.dim_size(0);
  out->positions = positions.flat<int32_t>().data();
  out->values = values.flat<float>().data();
  out->num_values = n;
  out->width = width;
  for (int64_t i = 0; i < n; ++i) {
    if (out->positions[i] < 0 || out->positions[i] >= out->num_rows) {
      return InvalidArgumentError(StrCat("positions[", i, "] = ", out->positions[i],
                                         " is not in [0, ", out->num_rows, ")"));
    }
  }
  std::vector<int64_t> sorted(out->rows, out->rows + out->num_rows);
  std::sort(sorted.begin(), sorted.end());
  if (!sorted.empty() && (sorted.front() < 0 || sorted.back() >= var_rows)) {
    const int64_t bad = sorted.front() < 0 ? sorted.front() : sorted.back();
    return InvalidArgumentError(
        StrCat("Row ", bad, " is out of range for a variable of ", var_rows, " rows"));
  }
  const auto repeat = std::adjacent_find(sorted.begin(), sorted.end());
  if (repeat != sorted.end()) {
    return InvalidArgumentError(
        StrCat("`rows` must be unique (as tf.unique gives them); row ", *repeat, " repeats"));
  }
  return absl::OkStatus();
}

absl::Status CheckSlot(const Tensor& slot, const ::tensorflow::TensorShape& shape,
                       const char* name) {
  if (slot.shape() != shape) {
    return InvalidArgumentError(StrCat("`", name, "` must have shape ", shape.DebugString(),
                                       ". Received shape ", slot.shape().DebugString()));
  }
  return absl::OkStatus();
}

absl::Status ScalarInput(::tensorflow::OpKernelContext* ctx, int input, float* value) {
  const Tensor& t = ctx->input(input);
  if (t.dims() != 0) {
    return InvalidArgumentError(StrCat("Input ", input, " must be a scalar. Received shape ",
                                       t.shape().DebugString()));
  }
  *value = t.scalar<float>()();
  return absl::OkStatus();
}

absl::Status AcquireInputs(::tensorflow::OpKernelContext* ctx, const CopyBuffer& copy,
                           SparseApplyInputs<LazyAdamStep>* in) {
  TF_RETURN_IF_ERROR(in->variables.Acquire(ctx, {0, 1, 2}, copy));
  const Tensor& var = *in->variables.tensor(0);
  TF_RETURN_IF_ERROR(CheckSlot(*in->variables.tensor(1), var.shape(), "m"));
  TF_RETURN_IF_ERROR(CheckSlot(*in->variables.tensor(2), var.shape(), "v"));
  in->gradients_input = 3;
  TF_RETURN_IF_ERROR(CheckRowGradients(ctx, in->gradients_input, var, &in->gradients));
  LazyAdamStep* step = &in->step;
  TF_RETURN_IF_ERROR(ScalarInput(ctx, 6, &step->alpha));
  TF_RETURN_IF_ERROR(ScalarInput(ctx, 7, &step->one_minus_beta_1));
  TF_RETURN_IF_ERROR(ScalarInput(ctx, 8, &step->one_minus_beta_2));
  TF_RETURN_IF_ERROR(ScalarInput(ctx, 9, &step->epsilon));
  TF_RETURN_IF_ERROR(ScalarInput(ctx, 10, &step->learning_rate));
  return ScalarInput(ctx, 11, &step->weight_decay);
}

absl::Status AcquireInputs(::tensorflow::OpKernelContext* ctx, const CopyBuffer& copy,
                           SparseApplyInputs<RowwiseAdagradStep>* in) {
  TF_RETURN_IF_ERROR(in->variables.Acquire(ctx, {0, 1}, copy));
  const Tensor& var = *in->variables.tensor(0);
  in->gradients_input = 2;
  TF_RETURN_IF_ERROR(CheckRowGradients(ctx, in->gradients_input, var, &in->gradients));
  TF_RETURN_IF_ERROR(CheckSlot(*in->variables.tensor(1),
                               ::tensorflow::TensorShape({var.dim_size(0)}), "accumulator"));
  RowwiseAdagradStep* step = &in->step;
  TF_RETURN_IF_ERROR(ScalarInput(ctx, 5, &step->learning_rate));
  TF_RETURN_IF_ERROR(ScalarInput(ctx, 6, &step->epsilon));
  return ScalarInput(ctx, 7, &step->weight_decay);
}

}  // namespace tf_dynemb
