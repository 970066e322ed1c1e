// The sparse optimizers' row rules against the formulas written out here.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "ops/core/row_update_rules.h"

namespace tf_dynemb {
namespace {

TEST(RowUpdateRulesTest, LazyAdamFollowsKerasAdam) {
  const LazyAdamStep s{0.05f, 0.1f, 0.001f, 1e-7f, 0.01f, 0.2f};
  const std::vector<float> g = {0.5f, -1.0f, 2.0f};
  std::vector<float> w = {1.0f, 2.0f, -3.0f}, m = {0.1f, 0.0f, -0.2f}, v = {0.3f, 0.0f, 0.1f};
  const std::vector<float> w0 = w, m0 = m, v0 = v;
  LazyAdamRow(s, g.data(), 3, w.data(), m.data(), v.data());
  for (int d = 0; d < 3; ++d) {
    const double m1 = m0[d] + (g[d] - m0[d]) * 0.1;
    const double v1 = v0[d] + (g[d] * g[d] - v0[d]) * 0.001;
    const double w1 = w0[d] - w0[d] * 0.2 * 0.01 - m1 * 0.05 / (std::sqrt(v1) + 1e-7);
    EXPECT_NEAR(m[d], m1, 1e-6);
    EXPECT_NEAR(v[d], v1, 1e-6);
    EXPECT_NEAR(w[d], w1, 1e-5);
  }
}

TEST(RowUpdateRulesTest, RowwiseAdagradUsesTheRowMeanSquare) {
  const RowwiseAdagradStep s{0.1f, 1e-8f, 0.0f};
  std::vector<float> g(21), w(21, 1.0f);
  double sum = 0;
  for (int d = 0; d < 21; ++d) {
    g[d] = 0.1f * d - 1.0f;
    sum += static_cast<double>(g[d]) * g[d];
  }
  EXPECT_NEAR(SumOfSquares(g.data(), 21), sum, 1e-5);
  const float acc = RowwiseAdagradRow(s, g.data(), 21, 0.5f, w.data());
  EXPECT_NEAR(acc, 0.5 + sum / 21, 1e-6);
  for (int d = 0; d < 21; ++d) {
    EXPECT_NEAR(w[d], 1.0 - 0.1 * g[d] / (std::sqrt(0.5 + sum / 21) + 1e-8), 1e-6);
  }
}

TEST(RowUpdateRulesTest, GroupByRowListsEachRowsGradients) {
  const std::vector<int32_t> positions = {2, 0, 2, 1, 2};
  std::vector<int64_t> starts;
  std::vector<int32_t> order;
  GroupByRow(positions.data(), 5, 3, &starts, &order);
  EXPECT_EQ(starts, std::vector<int64_t>({0, 1, 2, 5}));
  EXPECT_EQ(order, std::vector<int32_t>({1, 3, 0, 2, 4}));
  const std::vector<float> values = {1, 10, 100, 1000, 10000};
  float sum = 0;
  SumGroup(values.data(), 1, order.data(), starts[2], starts[3], &sum);
  EXPECT_EQ(sum, 10101.0f);
}

}  // namespace
}  // namespace tf_dynemb
