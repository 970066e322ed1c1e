// Pooling IEEE binary16 (float16) rows with the x86 F16C instructions, when
// the CPU has them: the build targets baseline x86-64, where each half <->
// float conversion is otherwise a dozen scalar integer operations.
#ifndef TF_DYNEMB_OPS_CORE_HALF_ROWS_H_
#define TF_DYNEMB_OPS_CORE_HALF_ROWS_H_

#include <cstdint>
#include <type_traits>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(__CUDACC__)
#include <cpuid.h>
#include <immintrin.h>
#define TFDYNEMB_HAVE_F16C_PATH 1
#endif

namespace tf_dynemb {

// True for a 2-byte table type holding IEEE binary16 bits (the kernels mark
// Eigen::half so); its rows can then be pooled by PoolBinary16Rows.
template <typename T>
struct IsBinary16 : std::false_type {};

#if defined(TFDYNEMB_HAVE_F16C_PATH)

// CPUID leaf 1 names F16C and AVX, and XCR0 says the OS saves the YMM
// registers (clang 14's __builtin_cpu_supports knows no "f16c").
inline bool CpuHasF16c() {
  static const bool has = [] {
    unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
    constexpr unsigned int kOsxsave = 1u << 27, kAvx = 1u << 28, kF16c = 1u << 29;
    if ((ecx & (kOsxsave | kAvx | kF16c)) != (kOsxsave | kAvx | kF16c)) return false;
    unsigned int xcr0 = 0, xcr0_high = 0;
    __asm__("xgetbv" : "=a"(xcr0), "=d"(xcr0_high) : "c"(0));
    return (xcr0 & 6u) == 6u;  // XMM and YMM state
  }();
  return has;
}

// out = weight x (sum of rows[0, m), m >= 2), summed in float in row order,
// rounded to nearest even: the same arithmetic as the scalar PoolRows.
__attribute__((target("f16c,avx"))) inline void PoolBinary16Rows(
    const uint32_t* rows, uint32_t m, float weight, const uint16_t* table,
    int64_t dim, uint16_t* out) {
  int64_t d = 0;
  const __m256 w8 = _mm256_set1_ps(weight);
  for (; d + 8 <= dim; d += 8) {
    __m256 sum = _mm256_cvtph_ps(_mm_loadu_si128(
        reinterpret_cast<const __m128i*>(table + static_cast<int64_t>(rows[0]) * dim + d)));
    for (uint32_t r = 1; r < m; ++r) {
      sum = _mm256_add_ps(sum, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(
                                   table + static_cast<int64_t>(rows[r]) * dim + d))));
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + d),
                     _mm256_cvtps_ph(_mm256_mul_ps(sum, w8), _MM_FROUND_TO_NEAREST_INT));
  }
  for (; d < dim; ++d) {
    float sum = _cvtsh_ss(table[static_cast<int64_t>(rows[0]) * dim + d]);
    for (uint32_t r = 1; r < m; ++r) {
      sum += _cvtsh_ss(table[static_cast<int64_t>(rows[r]) * dim + d]);
    }
    out[d] = _cvtss_sh(sum * weight, _MM_FROUND_TO_NEAREST_INT);
  }
}

#else

inline bool CpuHasF16c() { return false; }
inline void PoolBinary16Rows(const uint32_t*, uint32_t, float, const uint16_t*, int64_t,
                             uint16_t*) {}

#endif

}  // namespace tf_dynemb

#endif  // TF_DYNEMB_OPS_CORE_HALF_ROWS_H_
