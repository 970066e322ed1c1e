#include "export/cc/serving_bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <random>
#include <thread>

#include "export/cc/tensor_json.h"

namespace tf_dynemb {
namespace {

using Clock = std::chrono::steady_clock;

// Batches cycled through in a cell, so caches see more than one request.
constexpr int kBatchesPerCell = 8;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// The q-th percentile with linear interpolation (numpy's default).
double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0.0;
  const double rank = q / 100.0 * (sorted.size() - 1);
  const size_t low = static_cast<size_t>(rank);
  const size_t high = std::min(low + 1, sorted.size() - 1);
  return sorted[low] + (rank - low) * (sorted[high] - sorted[low]);
}

absl::Status MakeBatches(
    const SignatureRunner& runner,
    const std::map<std::string, std::vector<std::string>>& pools, int batch,
    std::mt19937* rng, std::vector<Feeds>* batches) {
  batches->assign(kBatchesPerCell, Feeds());
  for (Feeds& feeds : *batches) {
    std::map<std::string, std::vector<std::string>> drawn;
    for (const std::string& key : runner.input_keys()) {
      const auto pool = pools.find(key);
      if (pool == pools.end() || pool->second.empty()) {
        return absl::InvalidArgumentError("no strings to draw input '" + key +
                                          "' of signature '" + runner.name() +
                                          "' from");
      }
      std::uniform_int_distribution<size_t> pick(0, pool->second.size() - 1);
      std::vector<std::string>& strings = drawn[key];
      for (int i = 0; i < batch; ++i)
        strings.push_back(pool->second[pick(*rng)]);
    }
    absl::Status status = runner.MakeFeeds(drawn, &feeds);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

// Runs `threads` clients for `seconds`; fills latencies (seconds) and wall
// time.
absl::Status RunClients(const SignatureRunner& runner,
                        const std::vector<Feeds>& batches, int threads,
                        double seconds, std::vector<double>* latencies,
                        double* wall) {
  std::mutex mutex;
  absl::Status first_error;
  latencies->clear();
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline =
      start + std::chrono::duration_cast<Clock::duration>(
                  std::chrono::duration<double>(seconds));
  std::vector<std::thread> clients;
  for (int t = 0; t < threads; ++t) {
    clients.emplace_back([&, t] {
      std::vector<double> mine;
      std::vector<tensorflow::Tensor> outputs;
      absl::Status status;
      for (size_t i = t; Clock::now() < deadline && status.ok(); ++i) {
        const Clock::time_point t0 = Clock::now();
        status = runner.Run(batches[i % batches.size()], &outputs);
        mine.push_back(Seconds(Clock::now() - t0));
      }
      std::lock_guard<std::mutex> lock(mutex);
      latencies->insert(latencies->end(), mine.begin(), mine.end());
      if (!status.ok() && first_error.ok()) first_error = status;
    });
  }
  for (std::thread& client : clients) client.join();
  *wall = Seconds(Clock::now() - start);
  return first_error;
}

}  // namespace

absl::Status RunBench(
    const SignatureRunner& runner,
    const std::map<std::string, std::vector<std::string>>& pools,
    const BenchOptions& options, std::ostream& out) {
  std::mt19937 rng(options.seed);
  for (const int batch : options.batch_sizes) {
    std::vector<Feeds> batches;
    absl::Status status = MakeBatches(runner, pools, batch, &rng, &batches);
    if (!status.ok()) return status;
    std::vector<tensorflow::Tensor> outputs;
    for (const Feeds& feeds : batches) {  // warm up: first runs build kernels
      status = runner.Run(feeds, &outputs);
      if (!status.ok()) return status;
    }
    for (const int threads : options.threads) {
      std::vector<double> latencies;
      double wall = 0;
      status = RunClients(runner, batches, threads, options.seconds, &latencies,
                          &wall);
      if (!status.ok()) return status;
      std::sort(latencies.begin(), latencies.end());
      char numbers[256];
      std::snprintf(
          numbers, sizeof(numbers),
          "\"threads\": %d, \"batch\": %d, \"requests\": %zu, \"seconds\": "
          "%.3f, "
          "\"p50_ms\": %.4f, \"p99_ms\": %.4f, \"requests_per_s\": %.1f}",
          threads, batch, latencies.size(), wall,
          Percentile(latencies, 50) * 1e3, Percentile(latencies, 99) * 1e3,
          latencies.size() / wall);
      out << "{\"signature\": " << JsonString(runner.name()) << ", " << numbers
          << std::endl;
    }
  }
  return absl::OkStatus();
}

}  // namespace tf_dynemb
