// What the standalone GPU harnesses share: CUDA error checks, device
// buffers, and the device-to-device copy bandwidth they compare against.
#ifndef TF_DYNEMB_OPS_CORE_GPU_HARNESS_UTIL_H_
#define TF_DYNEMB_OPS_CORE_GPU_HARNESS_UTIL_H_

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#define CHECK_CUDA(expr)                                                 \
  do {                                                                   \
    const cudaError_t err_ = (expr);                                     \
    if (err_ != cudaSuccess) {                                           \
      std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #expr, \
                   cudaGetErrorString(err_));                            \
      std::exit(2);                                                      \
    }                                                                    \
  } while (0)

namespace tf_dynemb {
namespace harness {

// A device buffer of `size` elements, freed on scope exit.
template <typename T>
struct DeviceArray {
  T* ptr = nullptr;
  size_t size = 0;
  explicit DeviceArray(size_t n) : size(n) {
    CHECK_CUDA(cudaMalloc(&ptr, std::max<size_t>(n, 1) * sizeof(T)));
  }
  explicit DeviceArray(const std::vector<T>& host) : DeviceArray(host.size()) {
    Upload(host.data(), host.size());
  }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  ~DeviceArray() { cudaFree(ptr); }
  void Upload(const T* src, size_t n) {
    if (n) CHECK_CUDA(cudaMemcpy(ptr, src, n * sizeof(T), cudaMemcpyHostToDevice));
  }
  void Download(T* dst, size_t n) const {
    if (n) CHECK_CUDA(cudaMemcpy(dst, ptr, n * sizeof(T), cudaMemcpyDeviceToHost));
  }
  std::vector<T> Download() const {
    std::vector<T> host(size);
    Download(host.data(), size);
    return host;
  }
};

// Achievable bandwidth: a device-to-device copy, bytes read plus written.
inline double MeasureCopyBandwidth() {
  const size_t bytes = size_t{1} << 30;
  DeviceArray<uint8_t> a(bytes), b(bytes);
  cudaEvent_t start, stop;
  CHECK_CUDA(cudaEventCreate(&start));
  CHECK_CUDA(cudaEventCreate(&stop));
  CHECK_CUDA(cudaMemcpy(b.ptr, a.ptr, bytes, cudaMemcpyDeviceToDevice));
  CHECK_CUDA(cudaEventRecord(start));
  for (int r = 0; r < 5; ++r) {
    CHECK_CUDA(cudaMemcpy(b.ptr, a.ptr, bytes, cudaMemcpyDeviceToDevice));
  }
  CHECK_CUDA(cudaEventRecord(stop));
  CHECK_CUDA(cudaEventSynchronize(stop));
  float ms = 0;
  CHECK_CUDA(cudaEventElapsedTime(&ms, start, stop));
  return 5.0 * 2 * bytes / (ms * 1e-3);
}

// Seconds one call of `launch` takes on the default stream: one warm-up
// call, then the mean of `reps` calls timed with CUDA events.
template <typename Launch>
double SecondsPerLaunch(Launch&& launch, int reps = 20) {
  cudaEvent_t start, stop;
  CHECK_CUDA(cudaEventCreate(&start));
  CHECK_CUDA(cudaEventCreate(&stop));
  launch();
  CHECK_CUDA(cudaEventRecord(start));
  for (int r = 0; r < reps; ++r) launch();
  CHECK_CUDA(cudaEventRecord(stop));
  CHECK_CUDA(cudaEventSynchronize(stop));
  float ms = 0;
  CHECK_CUDA(cudaEventElapsedTime(&ms, start, stop));
  CHECK_CUDA(cudaEventDestroy(start));
  CHECK_CUDA(cudaEventDestroy(stop));
  return ms * 1e-3 / reps;
}

}  // namespace harness
}  // namespace tf_dynemb

#endif  // TF_DYNEMB_OPS_CORE_GPU_HARNESS_UTIL_H_
