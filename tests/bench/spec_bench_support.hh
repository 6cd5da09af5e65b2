// What the benchmarks of declarative specs share: a spec of N jobsets and a way to stop a
// benchmark that cannot go on. Header-only; used by declarative_bench and webhook_bench.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace hydrant::bench {

// Stops the benchmark with "bench failed: <what>" unless `ok`.
inline void must(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "bench failed: %s\n", what.c_str());
    std::exit(1);
  }
}

// The name of jobset `i` in specOfJobsets(): js00000, js00001, …
inline std::string jobsetName(int i) {
  char b[16];
  std::snprintf(b, sizeof b, "js%05d", i);
  return b;
}

// A spec.json of `n` jobsets, each with a git input of its own; jobset `changed` has
// checkinterval `value`, the others 300.
inline std::string specOfJobsets(int n, int changed, int value) {
  std::string s = "{\n";
  for (int i = 0; i < n; ++i) {
    char buf[400];
    std::snprintf(buf, sizeof buf,
                  "  \"%s\": { \"nixexprinput\": \"src\", \"nixexprpath\": \"release.nix\", "
                  "\"checkinterval\": %d, \"inputs\": { \"src\": { \"type\": \"git\", \"value\": "
                  "\"https://example.org/repo%d.git main\" } } }%s\n",
                  jobsetName(i).c_str(), i == changed ? value : 300, i, i + 1 < n ? "," : "");
    s += buf;
  }
  return s + "}\n";
}

}  // namespace hydrant::bench
