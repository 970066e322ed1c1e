// The update rules of tf_dynemb's sparse optimizers for one table row, free
// of TensorFlow. The CPU kernels and the CUDA kernels run these same
// functions, so the CPU tests exercise the arithmetic the GPU runs.
#ifndef TF_DYNEMB_OPS_CORE_ROW_UPDATE_RULES_H_
#define TF_DYNEMB_OPS_CORE_ROW_UPDATE_RULES_H_

#include <cmath>
#include <cstdint>

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

// Sums gradient rows by destination on the host: grads[positions[i]] +=
// values[i], each row `width` floats; grads starts zeroed.
inline void SumRowsByPosition(const int32_t* positions, int64_t n,
                              const float* values, int64_t width, float* grads) {
  for (int64_t i = 0; i < n; ++i) {
    float* dst = grads + static_cast<int64_t>(positions[i]) * width;
    const float* src = values + i * width;
    for (int64_t d = 0; d < width; ++d) dst[d] += src[d];
  }
}

}  // namespace tf_dynemb

#endif  // TF_DYNEMB_OPS_CORE_ROW_UPDATE_RULES_H_
