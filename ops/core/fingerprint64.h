// FarmHash Fingerprint64 (the "na" variant of farmhash's Hash64), the hash
// behind tf.strings.to_hash_bucket_fast. Written from the published algorithm;
// host and device code share it so buckets agree bit for bit everywhere.
#ifndef TF_DYNEMB_OPS_CORE_FINGERPRINT64_H_
#define TF_DYNEMB_OPS_CORE_FINGERPRINT64_H_

#include <cstddef>
#include <cstdint>

#include "ops/core/portable.h"

namespace tf_dynemb {
namespace fp64 {

constexpr uint64_t kK0 = 0xc3a5c85c97cb3127ULL;
constexpr uint64_t kK1 = 0xb492b66fbe98f273ULL;
constexpr uint64_t kK2 = 0x9ae16a3b2f90404fULL;

// Unaligned little-endian loads, byte by byte: valid on any alignment and any
// device, and compilers fuse them into single loads on the CPU.
TFDYNEMB_HD TFDYNEMB_INLINE uint64_t Load64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
TFDYNEMB_HD TFDYNEMB_INLINE uint32_t Load32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}
TFDYNEMB_HD TFDYNEMB_INLINE uint64_t Rotate(uint64_t v, int shift) {
  return shift == 0 ? v : ((v >> shift) | (v << (64 - shift)));
}
TFDYNEMB_HD TFDYNEMB_INLINE uint64_t ShiftMix(uint64_t v) {
  return v ^ (v >> 47);
}
TFDYNEMB_HD TFDYNEMB_INLINE uint64_t HashLen16(uint64_t u, uint64_t v,
                                               uint64_t mul) {
  uint64_t a = (u ^ v) * mul;
  a ^= (a >> 47);
  uint64_t b = (v ^ a) * mul;
  b ^= (b >> 47);
  return b * mul;
}

TFDYNEMB_HD TFDYNEMB_INLINE uint64_t HashLen0to16(const uint8_t* s,
                                                  size_t len) {
  if (len >= 8) {
    const uint64_t mul = kK2 + len * 2;
    const uint64_t a = Load64(s) + kK2;
    const uint64_t b = Load64(s + len - 8);
    const uint64_t c = Rotate(b, 37) * mul + a;
    const uint64_t d = (Rotate(a, 25) + b) * mul;
    return HashLen16(c, d, mul);
  }
  if (len >= 4) {
    const uint64_t mul = kK2 + len * 2;
    const uint64_t a = Load32(s);
    return HashLen16(len + (a << 3), Load32(s + len - 4), mul);
  }
  if (len > 0) {
    const uint32_t y = static_cast<uint32_t>(s[0]) +
                       (static_cast<uint32_t>(s[len >> 1]) << 8);
    const uint32_t z = static_cast<uint32_t>(len) +
                       (static_cast<uint32_t>(s[len - 1]) << 2);
    return ShiftMix(y * kK2 ^ z * kK0) * kK2;
  }
  return kK2;
}

// What HashLen17to32 and HashLen33to64 compute alike from the first and last
// 16 bytes: the first word times `first_mul`, and the two inputs of the
// HashLen16 that ends HashLen17to32.
struct Ends16 {
  uint64_t a;
  uint64_t u;
  uint64_t v;
};

TFDYNEMB_HD TFDYNEMB_INLINE Ends16 MixEnds16(const uint8_t* s, size_t len,
                                             uint64_t first_mul, uint64_t mul) {
  const uint64_t a = Load64(s) * first_mul;
  const uint64_t b = Load64(s + 8);
  const uint64_t c = Load64(s + len - 8) * mul;
  const uint64_t d = Load64(s + len - 16) * kK2;
  return Ends16{a, Rotate(a + b, 43) + Rotate(c, 30) + d,
                a + Rotate(b + kK2, 18) + c};
}

TFDYNEMB_HD TFDYNEMB_INLINE uint64_t HashLen17to32(const uint8_t* s,
                                                   size_t len) {
  const uint64_t mul = kK2 + len * 2;
  const Ends16 ends = MixEnds16(s, len, kK1, mul);
  return HashLen16(ends.u, ends.v, mul);
}

TFDYNEMB_HD TFDYNEMB_INLINE uint64_t HashLen33to64(const uint8_t* s,
                                                   size_t len) {
  const uint64_t mul = kK2 + len * 2;
  const Ends16 ends = MixEnds16(s, len, kK2, mul);
  const uint64_t z = HashLen16(ends.u, ends.v, mul);
  const uint64_t e = Load64(s + 16) * mul;
  const uint64_t f = Load64(s + 24);
  const uint64_t g = (ends.u + Load64(s + len - 32)) * mul;
  const uint64_t h = (z + Load64(s + len - 24)) * mul;
  return HashLen16(Rotate(e + f, 43) + Rotate(g, 30) + h,
                   e + Rotate(f + ends.a, 18) + g, mul);
}

struct Pair {
  uint64_t first;
  uint64_t second;
};

TFDYNEMB_HD TFDYNEMB_INLINE Pair WeakHashLen32WithSeeds(const uint8_t* s,
                                                        uint64_t a,
                                                        uint64_t b) {
  const uint64_t w = Load64(s), x = Load64(s + 8), y = Load64(s + 16),
                 z = Load64(s + 24);
  a += w;
  b = Rotate(b + a + z, 21);
  const uint64_t c = a;
  a += x;
  a += y;
  b += Rotate(a, 44);
  return Pair{a + z, b + c};
}

// One round of the loop over 64-byte blocks: the loop's rounds multiply by
// kK1 with weight 1; the last round by its own `mul` with weight 9.
TFDYNEMB_HD TFDYNEMB_INLINE void Round64(const uint8_t* s, uint64_t mul,
                                         uint64_t weight, uint64_t& x,
                                         uint64_t& y, uint64_t& z, Pair& v,
                                         Pair& w) {
  x = Rotate(x + y + v.first + Load64(s + 8), 37) * mul;
  y = Rotate(y + v.second + Load64(s + 48), 42) * mul;
  x ^= w.second * weight;
  y += v.first * weight + Load64(s + 40);
  z = Rotate(z + w.first, 33) * mul;
  v = WeakHashLen32WithSeeds(s, v.second * mul, x + w.first);
  w = WeakHashLen32WithSeeds(s + 32, z + w.second, y + Load64(s + 16));
  const uint64_t t = z;
  z = x;
  x = t;
}

}  // namespace fp64

// Fingerprint64 of `len` bytes at `s`; equals TensorFlow's Fingerprint64.
TFDYNEMB_HD TFDYNEMB_INLINE uint64_t Fingerprint64(const uint8_t* s,
                                                   size_t len) {
  using namespace fp64;  // NOLINT: local helpers only.
  if (len <= 16) return HashLen0to16(s, len);
  if (len <= 32) return HashLen17to32(s, len);
  if (len <= 64) return HashLen33to64(s, len);

  const uint64_t seed = 81;
  uint64_t x = seed;
  uint64_t y = seed * kK1 + 113;
  uint64_t z = ShiftMix(y * kK2 + 113) * kK2;
  Pair v{0, 0}, w{0, 0};
  x = x * kK2 + Load64(s);
  const uint8_t* end = s + ((len - 1) / 64) * 64;
  const uint8_t* last64 = end + ((len - 1) & 63) - 63;
  do {
    Round64(s, kK1, 1, x, y, z, v, w);
    s += 64;
  } while (s != end);
  const uint64_t mul = kK1 + ((z & 0xff) << 1);
  s = last64;
  w.first += ((len - 1) & 63);
  v.first += w.first;
  w.first += v.first;
  Round64(s, mul, 9, x, y, z, v, w);
  return HashLen16(HashLen16(v.first, w.first, mul) + ShiftMix(y) * kK0 + z,
                   HashLen16(v.second, w.second, mul) + x, mul);
}

}  // namespace tf_dynemb

#endif  // TF_DYNEMB_OPS_CORE_FINGERPRINT64_H_
