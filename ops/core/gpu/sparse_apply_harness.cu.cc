// Drives the CUDA sparse-apply kernels (LazyAdam, row-wise Adagrad) without
// TensorFlow: each step is compared with the CPU rules of
// ops/core/row_update_rules.h on the same seeded inputs, then timed against
// the memory bound.
//
// Usage: sparse_apply_harness [--check-only] [REPORT.md]
//   --check-only skips the timings, for runs under compute-sanitizer.
//
// Tolerance: the GPU sums a row's duplicate gradients with atomics (any
// order) and nvcc contracts multiply-adds into FMAs, so results may differ
// from the CPU's in the last bits: an element counts as off when it differs
// by more than 1e-5 relative (and 1e-6 absolute). Without duplicates and at
// width 1 the arithmetic is the same except for FMA contraction.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "ops/core/gpu/harness_util.h"
#include "ops/core/gpu/sparse_apply_gpu.h"
#include "ops/core/row_update_rules.h"

namespace tf_dynemb {
namespace {

using harness::DeviceArray;
using harness::MeasureCopyBandwidth;
using harness::SecondsPerLaunch;

// One step's inputs, as the TF kernels hand them to the core: unique touched
// rows, and for each gradient row the position of its touched row.
struct Step {
  int64_t table_rows = 0, width = 0;
  std::vector<int64_t> rows;
  std::vector<int32_t> positions;
  std::vector<float> values;
};

Step MakeStep(std::mt19937* rng, int64_t table_rows, int64_t width, int64_t touched,
              int64_t gradient_rows) {
  Step s;
  s.table_rows = table_rows;
  s.width = width;
  std::vector<int64_t> all(table_rows);
  std::iota(all.begin(), all.end(), 0);
  std::shuffle(all.begin(), all.end(), *rng);
  s.rows.assign(all.begin(), all.begin() + touched);
  std::uniform_int_distribution<int32_t> pick(0, static_cast<int32_t>(touched - 1));
  std::normal_distribution<float> normal;
  for (int64_t i = 0; i < gradient_rows; ++i) {
    // The first `touched` gradient rows cover every touched row once; the
    // rest are duplicates.
    s.positions.push_back(i < touched ? static_cast<int32_t>(i) : pick(*rng));
  }
  s.values.resize(gradient_rows * width);
  for (auto& v : s.values) v = 0.1f * normal(*rng);
  return s;
}

std::vector<float> Random(std::mt19937* rng, size_t n, float low, float high) {
  std::uniform_real_distribution<float> uniform(low, high);
  std::vector<float> v(n);
  for (auto& x : v) x = uniform(*rng);
  return v;
}

RowGradients DeviceGradients(const Step& s, const DeviceArray<int64_t>& rows,
                                        const DeviceArray<int32_t>& positions,
                                        const DeviceArray<float>& values) {
  return {rows.ptr, static_cast<int64_t>(s.rows.size()), positions.ptr, values.ptr,
          static_cast<int64_t>(s.positions.size()), s.width};
}

// The CPU step: gradient rows grouped and summed by touched row, then the
// host rules applied row by row (as the CPU kernel does).
template <typename ApplyRow>
void CpuStep(const Step& s, ApplyRow&& apply_row) {
  std::vector<int64_t> starts;
  std::vector<int32_t> order;
  GroupByRow(s.positions.data(), static_cast<int64_t>(s.positions.size()),
             static_cast<int64_t>(s.rows.size()), &starts, &order);
  std::vector<float> sum(s.width);
  for (size_t u = 0; u < s.rows.size(); ++u) {
    SumGroup(s.values.data(), s.width, order.data(), starts[u], starts[u + 1], sum.data());
    apply_row(s.rows[u], sum.data());
  }
}

struct Off {
  int64_t count = 0;
  double worst = 0;
};

void CompareInto(const std::vector<float>& got, const std::vector<float>& want, Off* off) {
  for (size_t i = 0; i < want.size(); ++i) {
    const double diff = std::fabs(static_cast<double>(got[i]) - want[i]);
    off->worst = std::max(off->worst, diff);
    off->count += diff > std::max(1e-6, 1e-5 * std::fabs(want[i]));
  }
}

const LazyAdamStep kAdam{0.0031f, 0.1f, 0.001f, 1e-7f, 0.01f, 0.004f};
const RowwiseAdagradStep kAdagrad{0.05f, 1e-8f, 0.004f};

Off CheckLazyAdam(const Step& s, std::mt19937* rng) {
  const size_t n = s.table_rows * s.width;
  auto var = Random(rng, n, -1, 1), m = Random(rng, n, -0.1f, 0.1f), v = Random(rng, n, 0, 0.01f);
  DeviceArray<float> dvar(var), dm(m), dv(v), dvalues(s.values);
  DeviceArray<int64_t> drows(s.rows);
  DeviceArray<int32_t> dpositions(s.positions);
  DeviceArray<float> scratch{std::vector<float>(s.rows.size() * s.width)};
  CHECK_CUDA(gpu::LaunchSparseLazyAdam(nullptr, kAdam, DeviceGradients(s, drows, dpositions, dvalues),
                                       scratch.ptr, dvar.ptr, dm.ptr, dv.ptr));
  CHECK_CUDA(cudaDeviceSynchronize());
  CpuStep(s, [&](int64_t row, const float* g) {
    const int64_t at = row * s.width;
    LazyAdamRow(kAdam, g, s.width, &var[at], &m[at], &v[at]);
  });
  Off off;
  CompareInto(dvar.Download(), var, &off);
  CompareInto(dm.Download(), m, &off);
  CompareInto(dv.Download(), v, &off);
  return off;
}

Off CheckRowwiseAdagrad(const Step& s, std::mt19937* rng) {
  auto var = Random(rng, s.table_rows * s.width, -1, 1), acc = Random(rng, s.table_rows, 0, 0.1f);
  DeviceArray<float> dvar(var), dacc(acc), dvalues(s.values);
  DeviceArray<int64_t> drows(s.rows);
  DeviceArray<int32_t> dpositions(s.positions);
  DeviceArray<float> scratch{std::vector<float>(s.rows.size() * s.width)};
  CHECK_CUDA(gpu::LaunchSparseRowwiseAdagrad(nullptr, kAdagrad,
                                             DeviceGradients(s, drows, dpositions, dvalues),
                                             scratch.ptr, dvar.ptr, dacc.ptr));
  CHECK_CUDA(cudaDeviceSynchronize());
  CpuStep(s, [&](int64_t row, const float* g) {
    acc[row] = RowwiseAdagradRow(kAdagrad, g, s.width, acc[row], &var[row * s.width]);
  });
  Off off;
  CompareInto(dvar.Download(), var, &off);
  CompareInto(dacc.Download(), acc, &off);
  return off;
}

// Microseconds a step of each rule takes on a V x D table with `touched`
// rows and twice as many gradient rows (the launches alone, inputs resident).
void Time(int64_t table_rows, int64_t width, int64_t touched, double peak, std::mt19937* rng,
          std::string* report) {
  const Step s = MakeStep(rng, table_rows, width, touched, 2 * touched);
  const size_t n = table_rows * width;
  DeviceArray<float> var{std::vector<float>(n, 0.5f)}, m{std::vector<float>(n)},
      v{std::vector<float>(n)}, acc{std::vector<float>(table_rows)}, dvalues{s.values};
  DeviceArray<int64_t> drows(s.rows);
  DeviceArray<int32_t> dpositions(s.positions);
  DeviceArray<float> scratch{std::vector<float>(s.rows.size() * width)};
  const auto g = DeviceGradients(s, drows, dpositions, dvalues);
  for (const char* rule : {"LazyAdam", "RowwiseAdagrad"}) {
    const bool adam = rule[0] == 'L';
    auto launch = [&] {
      CHECK_CUDA(adam ? gpu::LaunchSparseLazyAdam(nullptr, kAdam, g, scratch.ptr, var.ptr, m.ptr,
                                                  v.ptr)
                      : gpu::LaunchSparseRowwiseAdagrad(nullptr, kAdagrad, g, scratch.ptr,
                                                        var.ptr, acc.ptr));
    };
    const double seconds = SecondsPerLaunch(launch);
    // Bytes that must move: gradient rows read; scratch zeroed, summed into
    // and read; touched rows of the table (and Adam's two slots) read and
    // written.
    const double grad = 4.0 * s.values.size();
    const double scratch_bytes = 4.0 * touched * width * 3;
    const double rows = 4.0 * touched * width * 2 * (adam ? 3 : 1) + (adam ? 0 : 8.0 * touched);
    const double bytes = grad + scratch_bytes + rows;
    char line[256];
    std::snprintf(line, sizeof(line), "| %s | %lld | %lld | %lld | %.1f | %.0f | %.0f%% |\n", rule,
                  static_cast<long long>(table_rows), static_cast<long long>(width),
                  static_cast<long long>(touched), seconds * 1e6, bytes / seconds / 1e9,
                  100.0 * bytes / seconds / peak);
    *report += line;
  }
}

int Main(int argc, char** argv) {
  const bool check_only = argc > 1 && std::string(argv[1]) == "--check-only";
  if (check_only) {
    --argc;
    ++argv;
  }
  cudaDeviceProp prop;
  CHECK_CUDA(cudaGetDeviceProperties(&prop, 0));
  std::mt19937 rng(4321);
  std::string report = "GPU: " + std::string(prop.name) + "\n\n" +
                       "| rule | table rows | width | touched rows | gradient rows | elements off | "
                       "max abs diff |\n|---|---|---|---|---|---|---|\n";
  bool ok = true;
  struct Case {
    int64_t table_rows, width, touched, gradient_rows;
  };
  // Widths below, at and above a block (256 threads), odd ones, and a step
  // without duplicates; every rule on every case.
  const Case cases[] = {{1000, 1, 10, 10},     {5000, 64, 500, 500},   {5000, 64, 500, 4000},
                        {20000, 128, 4096, 8192}, {3000, 301, 700, 2100}, {100, 1000, 37, 300}};
  for (const Case& c : cases) {
    const Step s = MakeStep(&rng, c.table_rows, c.width, c.touched, c.gradient_rows);
    for (const char* rule : {"LazyAdam", "RowwiseAdagrad"}) {
      const Off off = rule[0] == 'L' ? CheckLazyAdam(s, &rng) : CheckRowwiseAdagrad(s, &rng);
      ok = ok && off.count == 0;
      char line[256];
      std::snprintf(line, sizeof(line), "| %s | %lld | %lld | %lld | %lld | %lld | %.2e |\n", rule,
                    static_cast<long long>(c.table_rows), static_cast<long long>(c.width),
                    static_cast<long long>(c.touched), static_cast<long long>(c.gradient_rows),
                    static_cast<long long>(off.count), off.worst);
      report += line;
    }
  }
  if (!check_only) {
    const double peak = MeasureCopyBandwidth();
    char line[256];
    std::snprintf(line, sizeof(line),
                  "\nDevice-to-device copy: %.0f GB/s (read + write): the bandwidth bound below.\n\n"
                  "| rule | table rows | width | touched rows | step (us) | achieved GB/s | of bound "
                  "|\n|---|---|---|---|---|---|---|\n",
                  peak / 1e9);
    report += line;
    for (int64_t touched : {int64_t{4096}, int64_t{65536}}) {
      Time(1000000, 128, touched, peak, &rng, &report);
    }
  }
  std::printf("%s\n%s\n", report.c_str(),
              ok ? "PARITY: all GPU sparse-apply steps equal the CPU rules (within 1e-5 relative)"
                 : "PARITY: MISMATCHES FOUND");
  if (argc > 1) std::ofstream(argv[1]) << report;
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace tf_dynemb

int main(int argc, char** argv) { return tf_dynemb::Main(argc, argv); }
