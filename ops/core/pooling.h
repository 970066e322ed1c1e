// CPU pooling of one word's rows into its embedding.
#ifndef TF_DYNEMB_OPS_CORE_POOLING_H_
#define TF_DYNEMB_OPS_CORE_POOLING_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "ops/core/model_format.h"
#include "ops/core/segmenter.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tf_dynemb {

// Outputs larger than this are written around the cache (see CopyRow).
constexpr int64_t kStreamOutputBytes = int64_t{4} << 20;

// Copies one table row into the output. With `stream` (for outputs too large
// to stay cached), x86 non-temporal stores skip reading each output line
// before overwriting it; call FinishRowCopies() before handing the output on.
inline void CopyRow(void* dst, const void* src, size_t bytes, bool stream) {
#if defined(__SSE2__)
  if (stream && (reinterpret_cast<uintptr_t>(dst) & 15) == 0 && (bytes & 15) == 0) {
    auto* d = static_cast<__m128i*>(dst);
    const auto* s = static_cast<const __m128i*>(src);
    for (size_t i = 0; i < bytes / 16; ++i) {
      _mm_stream_si128(d + i, _mm_loadu_si128(s + i));
    }
    return;
  }
#endif
  std::memcpy(dst, src, bytes);
}

// Orders CopyRow's non-temporal stores before any later store.
inline void FinishRowCopies() {
#if defined(__SSE2__)
  _mm_sfence();
#endif
}

// Writes the pooled vector of w into out[0, dim) and returns w's kind.
// `table` has model.num_rows() rows of `dim` values; `acc` is float scratch of
// `dim` values. Sums are accumulated in float, then scaled once.
template <typename T>
int32_t EmbedWord(const ModelView& m, const uint8_t* w, uint64_t len,
                  int32_t combiner, const T* table, int64_t dim, float* acc,
                  T* out, bool stream_output = false) {
  const WordRows rows = ClassifyWord(m, w, len);
  if (rows.num_rows == 0) {
    std::fill(out, out + dim, T(0.0f));
  } else if (rows.kind != kPieces) {
    // One row: every combiner's weight is 1.
    CopyRow(out, table + static_cast<int64_t>(rows.row) * dim, sizeof(T) * dim,
            stream_output);
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
