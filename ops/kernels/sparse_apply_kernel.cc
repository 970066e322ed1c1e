// TfDynembSparseApplyLazyAdam and TfDynembSparseApplyRowwiseAdagrad on the
// CPU: one step of tf_dynemb's sparse optimizers on the rows a gradient
// touches, in place. Gradient rows are summed per row first; then the rows,
// spread over threads, follow the rules of ops/core/row_update_rules.h.
// Built with -fno-math-errno (see ops/BUILD) so that sqrtf vectorizes.
#include <algorithm>
#include <cstring>
#include <vector>

#include "ops/core/row_update_rules.h"
#include "ops/kernels/sparse_apply_inputs.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/util/work_sharder.h"

namespace tf_dynemb {

using ::tensorflow::OpKernel;
using ::tensorflow::OpKernelContext;
using ::tensorflow::Tensor;

namespace {

absl::Status CopyOnHost(const Tensor& from, Tensor* to) {
  std::memcpy(const_cast<char*>(to->tensor_data().data()), from.tensor_data().data(),
              from.TotalBytes());
  return absl::OkStatus();
}

// Rows a thread prefetches ahead: touched rows are scattered over the table,
// so each update waits on memory unless its rows were asked for earlier.
constexpr int64_t kPrefetchAhead = 4;

inline void PrefetchRow(const float* row, int64_t width) {
  for (int64_t d = 0; d < width; d += 16) __builtin_prefetch(row + d, 1);
}

// Runs update(u, g) for every touched row u with g its summed gradient
// (width floats), rows spread over the CPU worker threads; prefetch(u) is
// called a few rows ahead of update(u, ...).
template <typename Prefetch, typename Update>
void ForEachTouchedRow(OpKernelContext* ctx, const RowGradients& g, Prefetch&& prefetch,
                       Update&& update) {
  std::vector<int64_t> starts;
  std::vector<int32_t> order;
  GroupByRow(g.positions, g.num_values, g.num_rows, &starts, &order);
  const auto& workers = *ctx->device()->tensorflow_cpu_worker_threads();
  ::tensorflow::Shard(workers.num_threads, workers.workers, g.num_rows, 20 * g.width,
                      [&](int64_t begin, int64_t end) {
                        std::vector<float> sum(g.width);
                        for (int64_t u = begin; u < std::min(end, begin + kPrefetchAhead); ++u) {
                          prefetch(u);
                        }
                        for (int64_t u = begin; u < end; ++u) {
                          if (u + kPrefetchAhead < end) prefetch(u + kPrefetchAhead);
                          SumGroup(g.values, g.width, order.data(), starts[u], starts[u + 1],
                                   sum.data());
                          update(u, sum.data());
                        }
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
    RowGradients g;
    LazyAdamStep step;
    OP_REQUIRES_OK(ctx, LazyAdamInputs(ctx, &vars, &g, &step));

    float* w = var->flat<float>().data();
    float* m = vars.tensor(1)->flat<float>().data();
    float* v = vars.tensor(2)->flat<float>().data();
    auto prefetch = [&](int64_t u) {
      const int64_t at = g.rows[u] * g.width;
      PrefetchRow(w + at, g.width);
      PrefetchRow(m + at, g.width);
      PrefetchRow(v + at, g.width);
    };
    ForEachTouchedRow(ctx, g, prefetch, [&](int64_t u, const float* grad) {
      const int64_t at = g.rows[u] * g.width;
      LazyAdamRow(step, grad, g.width, w + at, m + at, v + at);
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
    RowwiseAdagradStep step;
    OP_REQUIRES_OK(ctx, RowwiseAdagradInputs(ctx, &vars, &g, &step));

    float* w = var->flat<float>().data();
    float* acc = vars.tensor(1)->flat<float>().data();
    auto prefetch = [&](int64_t u) { PrefetchRow(w + g.rows[u] * g.width, g.width); };
    ForEachTouchedRow(ctx, g, prefetch, [&](int64_t u, const float* grad) {
      const int64_t row = g.rows[u];
      acc[row] = RowwiseAdagradRow(step, grad, g.width, acc[row], w + row * g.width);
    });
  }
};

REGISTER_KERNEL_BUILDER(Name("TfDynembSparseApplyLazyAdam").Device(::tensorflow::DEVICE_CPU),
                        SparseApplyLazyAdamCpuOp);
REGISTER_KERNEL_BUILDER(
    Name("TfDynembSparseApplyRowwiseAdagrad").Device(::tensorflow::DEVICE_CPU),
    SparseApplyRowwiseAdagradCpuOp);

}  // namespace tf_dynemb
