// TfDynembSparseApplyLazyAdam and TfDynembSparseApplyRowwiseAdagrad on the
// CPU: one step of tf_dynemb's sparse optimizers on the rows a gradient
// touches, in place. Gradient rows are summed per row first; then the rows,
// spread over threads, follow the rules of ops/core/row_update_rules.h.
#include <cstring>
#include <vector>

#include "ops/core/row_update_rules.h"
#include "ops/kernels/sparse_apply_inputs.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/util/work_sharder.h"

namespace tf_dynemb {

using ::tensorflow::OpKernel;
using ::tensorflow::OpKernelConstruction;
using ::tensorflow::OpKernelContext;
using ::tensorflow::Tensor;

namespace {

absl::Status CopyOnHost(const Tensor& from, Tensor* to) {
  std::memcpy(const_cast<char*>(to->tensor_data().data()), from.tensor_data().data(),
              from.TotalBytes());
  return absl::OkStatus();
}

// The summed gradient of each touched row: [U, width] floats.
std::vector<float> SummedRows(const RowGradients& g) {
  std::vector<float> summed(g.num_rows * g.width, 0.0f);
  SumRowsByPosition(g.positions, g.num_values, g.values, g.width, summed.data());
  return summed;
}

// Runs update(u) for every touched row u, on the CPU worker threads.
template <typename Update>
void ForEachTouchedRow(OpKernelContext* ctx, const RowGradients& g, Update&& update) {
  const auto& workers = *ctx->device()->tensorflow_cpu_worker_threads();
  ::tensorflow::Shard(workers.num_threads, workers.workers, g.num_rows, 20 * g.width,
                      [&](int64_t begin, int64_t end) {
                        for (int64_t u = begin; u < end; ++u) update(u);
                      });
}

}  // namespace

// Inputs: var, m, v (resources); rows, positions, values; alpha,
// one_minus_beta_1, one_minus_beta_2, epsilon, learning_rate, weight_decay.
class SparseApplyLazyAdamCpuOp : public OpKernel {
 public:
  using OpKernel::OpKernel;

  void Compute(OpKernelContext* ctx) override {
    UpdatableVariables vars;
    OP_REQUIRES_OK(ctx, vars.Acquire(ctx, {0, 1, 2}, CopyOnHost));
    Tensor* var = vars.tensor(0);
    OP_REQUIRES_OK(ctx, CheckSlot(*vars.tensor(1), var->shape(), "m"));
    OP_REQUIRES_OK(ctx, CheckSlot(*vars.tensor(2), var->shape(), "v"));
    RowGradients g;
    OP_REQUIRES_OK(ctx, CheckRowGradients(ctx, 3, *var, &g));
    LazyAdamStep step;
    OP_REQUIRES_OK(ctx, ScalarInput(ctx, 6, &step.alpha));
    OP_REQUIRES_OK(ctx, ScalarInput(ctx, 7, &step.one_minus_beta_1));
    OP_REQUIRES_OK(ctx, ScalarInput(ctx, 8, &step.one_minus_beta_2));
    OP_REQUIRES_OK(ctx, ScalarInput(ctx, 9, &step.epsilon));
    OP_REQUIRES_OK(ctx, ScalarInput(ctx, 10, &step.learning_rate));
    OP_REQUIRES_OK(ctx, ScalarInput(ctx, 11, &step.weight_decay));

    const std::vector<float> summed = SummedRows(g);
    float* w = var->flat<float>().data();
    float* m = vars.tensor(1)->flat<float>().data();
    float* v = vars.tensor(2)->flat<float>().data();
    ForEachTouchedRow(ctx, g, [&](int64_t u) {
      const int64_t at = g.rows[u] * g.width;
      const float* grad = summed.data() + u * g.width;
      for (int64_t d = 0; d < g.width; ++d) {
        LazyAdamElement(step, grad[d], w + at + d, m + at + d, v + at + d);
      }
    });
  }
};

// Inputs: var, accumulator (resources); rows, positions, values;
// learning_rate, epsilon, weight_decay.
class SparseApplyRowwiseAdagradCpuOp : public OpKernel {
 public:
  using OpKernel::OpKernel;

  void Compute(OpKernelContext* ctx) override {
    UpdatableVariables vars;
    OP_REQUIRES_OK(ctx, vars.Acquire(ctx, {0, 1}, CopyOnHost));
    Tensor* var = vars.tensor(0);
    RowGradients g;
    OP_REQUIRES_OK(ctx, CheckRowGradients(ctx, 2, *var, &g));
    OP_REQUIRES_OK(ctx, CheckSlot(*vars.tensor(1), ::tensorflow::TensorShape({var->dim_size(0)}),
                                  "accumulator"));
    RowwiseAdagradStep step;
    OP_REQUIRES_OK(ctx, ScalarInput(ctx, 5, &step.learning_rate));
    OP_REQUIRES_OK(ctx, ScalarInput(ctx, 6, &step.epsilon));
    OP_REQUIRES_OK(ctx, ScalarInput(ctx, 7, &step.weight_decay));

    const std::vector<float> summed = SummedRows(g);
    float* w = var->flat<float>().data();
    float* acc = vars.tensor(1)->flat<float>().data();
    ForEachTouchedRow(ctx, g, [&](int64_t u) {
      const int64_t row = g.rows[u];
      const float* grad = summed.data() + u * g.width;
      float sum_of_squares = 0.0f;
      for (int64_t d = 0; d < g.width; ++d) sum_of_squares += grad[d] * grad[d];
      acc[row] = RowwiseAdagradAccumulator(acc[row], sum_of_squares, g.width);
      const float multiplier = RowwiseAdagradMultiplier(step, acc[row]);
      float* dst = w + row * g.width;
      for (int64_t d = 0; d < g.width; ++d) {
        RowwiseAdagradElement(step, multiplier, grad[d], dst + d);
      }
    });
  }
};

REGISTER_KERNEL_BUILDER(Name("TfDynembSparseApplyLazyAdam").Device(::tensorflow::DEVICE_CPU),
                        SparseApplyLazyAdamCpuOp);
REGISTER_KERNEL_BUILDER(
    Name("TfDynembSparseApplyRowwiseAdagrad").Device(::tensorflow::DEVICE_CPU),
    SparseApplyRowwiseAdagradCpuOp);

}  // namespace tf_dynemb
