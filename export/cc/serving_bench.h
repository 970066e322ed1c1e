// Latency and throughput of one signature under concurrent clients: T threads
// call Session::Run on one bundle, as tensorflow_model_server's request
// threads do, each request a fresh batch drawn from a pool of strings.
#ifndef TF_DYNEMB_EXPORT_CC_SERVING_BENCH_H_
#define TF_DYNEMB_EXPORT_CC_SERVING_BENCH_H_

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "export/cc/signature_runner.h"

namespace tf_dynemb {

struct BenchOptions {
  std::vector<int> threads = {1, 2, 8};
  std::vector<int> batch_sizes = {1, 32, 1024};
  double seconds = 2.0;  // per cell
  uint32_t seed = 0;
};

// For every batch size and thread count, writes one JSON line:
// {"signature", "threads", "batch", "requests", "seconds", "p50_ms",
//  "p99_ms", "requests_per_s"}. `pools[key]` holds the strings that batches
// for input `key` are drawn from (uniformly, with replacement).
absl::Status RunBench(
    const SignatureRunner& runner,
    const std::map<std::string, std::vector<std::string>>& pools,
    const BenchOptions& options, std::ostream& out);

}  // namespace tf_dynemb

#endif  // TF_DYNEMB_EXPORT_CC_SERVING_BENCH_H_
