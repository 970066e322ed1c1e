// The update rules of tf_dynemb's sparse optimizers for one table row, free
// of TensorFlow. The CPU kernels and the CUDA kernels run these same
// functions, so the CPU tests exercise the arithmetic the GPU runs.
#ifndef TF_DYNEMB_OPS_CORE_ROW_UPDATE_RULES_H_
#define TF_DYNEMB_OPS_CORE_ROW_UPDATE_RULES_H_

#include <cmath>
#include <cstdint>
#include <vector>

#include "ops/core/portable.h"

namespace tf_dynemb {

// LazyAdam on one element of a touched row, with Keras Adam's arithmetic:
//   m += (g - m) * (1 - beta_1);  v += (g^2 - v) * (1 - beta_2)
//   w -= w * weight_decay * lr;  w -= m * alpha / (sqrt(v) + epsilon)
// where alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) is computed once a
// step (weight_decay 0: no decay).
struct LazyAdamStep {
  float alpha;
  float one_minus_beta_1;
  float one_minus_beta_2;
  float epsilon;
  float learning_rate;
  float weight_decay;
};

// Keras's decoupled weight decay of one element.
TFDYNEMB_HD TFDYNEMB_INLINE float Decayed(float w, float weight_decay,
                                          float learning_rate) {
  return w - w * weight_decay * learning_rate;
}

TFDYNEMB_HD TFDYNEMB_INLINE void LazyAdamElement(const LazyAdamStep& s, float g,
                                                 float* w, float* m, float* v) {
  const float m_new = *m + (g - *m) * s.one_minus_beta_1;
  const float v_new = *v + (g * g - *v) * s.one_minus_beta_2;
  *m = m_new;
  *v = v_new;
  *w = Decayed(*w, s.weight_decay, s.learning_rate) -
       (m_new * s.alpha) / (sqrtf(v_new) + s.epsilon);
}

// Row-wise Adagrad (FBGEMM's rule) on a touched row of `width` elements:
//   acc += mean(g^2);  w -= w * weight_decay * lr;
//   w -= g * lr / (sqrt(acc) + epsilon)
struct RowwiseAdagradStep {
  float learning_rate;
  float epsilon;
  float weight_decay;
};

// The row's new accumulator, given the sum of its squared gradients.
TFDYNEMB_HD TFDYNEMB_INLINE float RowwiseAdagradAccumulator(float acc,
                                                            float sum_of_squares,
                                                            int64_t width) {
  return acc + sum_of_squares / static_cast<float>(width);
}

// lr / (sqrt(acc) + epsilon): what multiplies each gradient element of a row.
TFDYNEMB_HD TFDYNEMB_INLINE float RowwiseAdagradMultiplier(
    const RowwiseAdagradStep& s, float acc) {
  return s.learning_rate / (sqrtf(acc) + s.epsilon);
}

TFDYNEMB_HD TFDYNEMB_INLINE void RowwiseAdagradElement(
    const RowwiseAdagradStep& s, float multiplier, float g, float* w) {
  *w = Decayed(*w, s.weight_decay, s.learning_rate) - g * multiplier;
}

// The row gradients of one step, in host or device memory: `rows` [U]
// unique rows of the variable, `positions` [N] in [0, U) and `values`
// [N, width] whose row i belongs to rows[positions[i]] (tf.unique's outputs
// and the IndexedSlices' values).
struct RowGradients {
  const int64_t* rows = nullptr;
  int64_t num_rows = 0;
  const int32_t* positions = nullptr;
  const float* values = nullptr;
  int64_t num_values = 0;
  int64_t width = 0;  // elements a row
};

// Groups gradient rows by destination on the host (a counting sort):
// gradient rows order[starts[u] .. starts[u + 1]) belong to touched row u.
inline void GroupByRow(const int32_t* positions, int64_t n, int64_t num_rows,
                       std::vector<int64_t>* starts, std::vector<int32_t>* order) {
  starts->assign(num_rows + 1, 0);
  for (int64_t i = 0; i < n; ++i) ++(*starts)[positions[i] + 1];
  for (int64_t u = 0; u < num_rows; ++u) (*starts)[u + 1] += (*starts)[u];
  std::vector<int64_t> next(starts->begin(), starts->end() - 1);
  order->resize(n);
  for (int64_t i = 0; i < n; ++i) (*order)[next[positions[i]]++] = static_cast<int32_t>(i);
}

// sum[0, width) = the sum of gradient rows order[begin, end) of `values`.
inline void SumGroup(const float* values, int64_t width, const int32_t* order,
                     int64_t begin, int64_t end, float* __restrict sum) {
  for (int64_t d = 0; d < width; ++d) sum[d] = 0.0f;
  for (int64_t k = begin; k < end; ++k) {
    const float* __restrict src = values + static_cast<int64_t>(order[k]) * width;
    for (int64_t d = 0; d < width; ++d) sum[d] += src[d];
  }
}

// The sum of g[0, width)^2 (host), in 8 interleaved partial sums: a single
// running sum is one long chain of dependent adds and does not vectorize.
inline float SumOfSquares(const float* __restrict g, int64_t width) {
  float partial[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t d = 0;
  for (; d + 8 <= width; d += 8) {
    for (int k = 0; k < 8; ++k) partial[k] += g[d + k] * g[d + k];
  }
  for (; d < width; ++d) partial[0] += g[d] * g[d];
  return ((partial[0] + partial[1]) + (partial[2] + partial[3])) +
         ((partial[4] + partial[5]) + (partial[6] + partial[7]));
}

// Row-wise Adagrad on one touched row (host); returns the new accumulator.
inline float RowwiseAdagradRow(const RowwiseAdagradStep& s, const float* __restrict g,
                               int64_t width, float acc, float* __restrict w) {
  const float new_acc = RowwiseAdagradAccumulator(acc, SumOfSquares(g, width), width);
  const float multiplier = RowwiseAdagradMultiplier(s, new_acc);
  for (int64_t d = 0; d < width; ++d) RowwiseAdagradElement(s, multiplier, g[d], w + d);
  return new_acc;
}

// LazyAdam on one row of `width` elements (host).
inline void LazyAdamRow(const LazyAdamStep& s, const float* __restrict g, int64_t width,
                        float* __restrict w, float* __restrict m, float* __restrict v) {
  for (int64_t d = 0; d < width; ++d) LazyAdamElement(s, g[d], w + d, m + d, v + d);
}

}  // namespace tf_dynemb

#endif  // TF_DYNEMB_OPS_CORE_ROW_UPDATE_RULES_H_
