// Memory read bandwidth: threads stream over a buffer far larger than the last-level cache and
// sum it, as a decode step streams a model's weights. Each measurement is several passes; the
// best of --repeats is kept. Prints one JSON line:
//   {"buffer_mb": 1024, "read_gb_per_s": {"1": 22.3, "2": 22.2}}
//
// bazel run -c opt //bench:read_bandwidth -- [--buffer_mb 1024] [--threads 1,2] [--repeats 5]

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

// Sum of n words in 8 independent lanes (vectorized by the compiler), so the loads, not the
// additions, set the pace.
uint64_t Sum(const uint64_t* words, size_t n) {
  uint64_t lanes[8] = {0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int l = 0; l < 8; ++l) lanes[l] += words[i + l];
  }
  uint64_t total = 0;
  for (; i < n; ++i) total += words[i];
  for (int l = 0; l < 8; ++l) total += lanes[l];
  return total;
}

// GB/s of `passes` reads of the whole buffer, split evenly across `threads` threads.
double Measure(const std::vector<uint64_t>& buffer, int threads, int passes, uint64_t* checksum) {
  std::vector<uint64_t> sums(threads);
  const size_t n = buffer.size();
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      const size_t lo = n * t / threads, hi = n * (t + 1) / threads;
      for (int p = 0; p < passes; ++p) sums[t] += Sum(buffer.data() + lo, hi - lo);
    });
  }
  for (auto& worker : workers) worker.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (uint64_t s : sums) *checksum += s;
  return static_cast<double>(n) * sizeof(uint64_t) * passes / seconds / 1e9;
}

bool ParsePositive(const char* text, long* out) {
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || value <= 0) return false;
  *out = value;
  return true;
}

int Usage(const std::string& problem) {
  std::fprintf(stderr, "read_bandwidth: %s; usage: read_bandwidth [--buffer_mb N] [--threads 1,2] [--repeats N]\n",
               problem.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  long buffer_mb = 1024, repeats = 5;
  std::vector<long> thread_counts = {1, 2};
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return Usage(flag + " needs a value");
    const char* value = argv[++i];
    if (flag == "--buffer_mb") {
      if (!ParsePositive(value, &buffer_mb)) return Usage("--buffer_mb takes a positive number of MiB");
    } else if (flag == "--repeats") {
      if (!ParsePositive(value, &repeats)) return Usage("--repeats takes a positive count");
    } else if (flag == "--threads") {
      thread_counts.clear();
      std::string list = value;
      for (size_t pos = 0; pos <= list.size();) {
        const size_t comma = std::min(list.find(',', pos), list.size());
        long count = 0;
        if (!ParsePositive(list.substr(pos, comma - pos).c_str(), &count) || count > 256) {
          return Usage("--threads takes a comma-separated list of thread counts (1-256)");
        }
        thread_counts.push_back(count);
        pos = comma + 1;
      }
    } else {
      return Usage("unknown flag " + flag);
    }
  }
  std::vector<uint64_t> buffer(static_cast<size_t>(buffer_mb) * 1024 * 1024 / sizeof(uint64_t));
  for (size_t i = 0; i < buffer.size(); ++i) buffer[i] = i;  // every page touched before timing
  const int passes = 4;
  uint64_t checksum = 0;
  std::printf("{\"buffer_mb\": %ld, \"read_gb_per_s\": {", buffer_mb);
  for (size_t k = 0; k < thread_counts.size(); ++k) {
    double best = 0;
    for (long r = 0; r < repeats; ++r) {
      const double rate = Measure(buffer, static_cast<int>(thread_counts[k]), passes, &checksum);
      if (rate > best) best = rate;
    }
    std::printf("%s\"%ld\": %.2f", k ? ", " : "", thread_counts[k], best);
  }
  std::printf("}, \"checksum\": %llu}\n", static_cast<unsigned long long>(checksum % 1000));
  return 0;
}
