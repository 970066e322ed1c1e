// CPU pooling of one word's rows into its embedding.
#ifndef TF_DYNEMB_OPS_CORE_POOLING_H_
#define TF_DYNEMB_OPS_CORE_POOLING_H_

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "ops/core/model_format.h"
#include "ops/core/segmenter.h"

namespace tf_dynemb {

// Writes the pooled vector of w into out[0, dim) and returns w's kind.
// `table` has model.num_rows() rows of `dim` values; `acc` is float scratch of
// `dim` values. Sums are accumulated in float, then scaled once.
template <typename T>
int32_t EmbedWord(const ModelView& m, const uint8_t* w, uint64_t len,
                  int32_t combiner, const T* table, int64_t dim, float* acc,
                  T* out) {
  const WordRows rows = ClassifyWord(m, w, len);
  if (rows.num_rows == 0) {
    std::memset(out, 0, sizeof(T) * dim);
  } else if (rows.kind != kPieces) {
    // One row: every combiner's weight is 1.
    std::memcpy(out, table + static_cast<int64_t>(rows.row) * dim,
                sizeof(T) * dim);
  } else {
    for (int64_t d = 0; d < dim; ++d) acc[d] = 0.0f;
    ForEachRow(m, w, len, rows, [&](uint32_t row) {
      const T* src = table + static_cast<int64_t>(row) * dim;
      for (int64_t d = 0; d < dim; ++d) acc[d] += static_cast<float>(src[d]);
    });
    const float weight = CombinerWeight(combiner, rows.num_rows);
    for (int64_t d = 0; d < dim; ++d) out[d] = static_cast<T>(acc[d] * weight);
  }
  return rows.kind;
}

}  // namespace tf_dynemb

#endif  // TF_DYNEMB_OPS_CORE_POOLING_H_
