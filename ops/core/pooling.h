// CPU pooling of one word's rows into its embedding.
#ifndef TF_DYNEMB_OPS_CORE_POOLING_H_
#define TF_DYNEMB_OPS_CORE_POOLING_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

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

// Hints the cache to fetch the `bytes` of a table row that will be read soon.
inline void PrefetchRow(const void* row, size_t bytes) {
#if defined(__GNUC__)
  const char* p = static_cast<const char*>(row);
  for (size_t at = 0; at < bytes; at += 64) __builtin_prefetch(p + at);
#endif
}

// out[0, dim) = the rows[0, m) of `table` pooled with `weight`, summed in
// float (one row: copied, as every combiner's weight is then 1).
template <typename T>
inline void PoolRows(const uint32_t* rows, uint32_t m, float weight,
                     const T* table, int64_t dim, float* __restrict acc,
                     T* __restrict out, bool stream_output) {
  if (m == 0) {
    std::fill(out, out + dim, T(0.0f));
    return;
  }
  if (m == 1) {
    CopyRow(out, table + static_cast<int64_t>(rows[0]) * dim, sizeof(T) * dim,
            stream_output);
    return;
  }
  const T* __restrict first = table + static_cast<int64_t>(rows[0]) * dim;
  for (int64_t d = 0; d < dim; ++d) acc[d] = static_cast<float>(first[d]);
  for (uint32_t r = 1; r < m; ++r) {
    const T* __restrict src = table + static_cast<int64_t>(rows[r]) * dim;
    for (int64_t d = 0; d < dim; ++d) acc[d] += static_cast<float>(src[d]);
  }
  for (int64_t d = 0; d < dim; ++d) out[d] = static_cast<T>(acc[d] * weight);
}

// Embeds words [begin, end) on one thread: word(i) gives word i's bytes and
// length; out[i * dim, (i + 1) * dim) gets its pooled vector and kinds[i] its
// kind. Words go in windows: the window's words are classified first (one walk
// each, rows gathered) while their rows are prefetched, then copied, so row
// reads overlap the next words' classification instead of stalling it.
template <typename T, typename WordAt>
void EmbedWords(const ModelView& m, int64_t begin, int64_t end, WordAt&& word,
                int32_t combiner, const T* table, int64_t dim, T* out,
                int32_t* kinds, bool stream_output) {
  constexpr int kWindow = 8;
  const size_t row_bytes = sizeof(T) * static_cast<size_t>(dim);
  std::vector<uint32_t> rows;
  std::vector<float> acc(dim);
  uint32_t first_row[kWindow + 1];
  for (int64_t w0 = begin; w0 < end; w0 += kWindow) {
    const int n = static_cast<int>(std::min<int64_t>(kWindow, end - w0));
    rows.clear();
    for (int k = 0; k < n; ++k) {
      const auto bytes_len = word(w0 + k);
      first_row[k] = static_cast<uint32_t>(rows.size());
      const WordRows info =
          ClassifyWord(m, bytes_len.first, bytes_len.second,
                       [&](uint32_t row) { rows.push_back(row); });
      if (info.kind != kPieces) {
        rows.resize(first_row[k]);
        if (info.num_rows == 1) rows.push_back(info.row);
      }
      kinds[w0 + k] = info.kind;
      for (size_t r = first_row[k]; r < rows.size(); ++r) {
        PrefetchRow(table + static_cast<int64_t>(rows[r]) * dim, row_bytes);
      }
    }
    first_row[n] = static_cast<uint32_t>(rows.size());
    for (int k = 0; k < n; ++k) {
      const uint32_t count = first_row[k + 1] - first_row[k];
      PoolRows(rows.data() + first_row[k], count, CombinerWeight(combiner, count),
               table, dim, acc.data(), out + (w0 + k) * dim, stream_output);
    }
  }
}

// Writes the pooled vector of w into out[0, dim) and returns w's kind.
// `table` has model.num_rows() rows of `dim` values; `acc` is float scratch of
// `dim` values. Sums are accumulated in float, then scaled once.
template <typename T>
int32_t EmbedWord(const ModelView& m, const uint8_t* w, uint64_t len,
                  int32_t combiner, const T* table, int64_t dim, float* acc,
                  T* out, bool stream_output = false) {
  std::vector<uint32_t> rows;
  const WordRows info =
      ClassifyWord(m, w, len, [&](uint32_t row) { rows.push_back(row); });
  if (info.kind != kPieces) {
    rows.clear();
    if (info.num_rows == 1) rows.push_back(info.row);
  }
  const uint32_t count = static_cast<uint32_t>(rows.size());
  PoolRows(rows.data(), count, CombinerWeight(combiner, count), table, dim, acc,
           out, stream_output);
  return info.kind;
}

}  // namespace tf_dynemb

#endif  // TF_DYNEMB_OPS_CORE_POOLING_H_
