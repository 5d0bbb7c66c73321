// ExecuTorch's log sink, replaced: the runtime's default prints every INFO line (the thread
// pool's CPU probing, for one) to stderr. Runners show errors only, unless EXECUTORCH_LOG=all.
// The runtime library defines this symbol weakly; the runner binary exports its own.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <executorch/runtime/platform/platform.h>

extern "C" void et_pal_emit_log_message(et_timestamp_t timestamp, et_pal_log_level_t level, const char* filename,
                                        const char* function, size_t line, const char* message, size_t length) {
  static const bool all = [] {
    const char* env = std::getenv("EXECUTORCH_LOG");
    return env && std::strcmp(env, "all") == 0;
  }();
  if (!all && level != kError && level != kFatal) return;
  std::fprintf(stderr, "executorch %c %s:%zu] %.*s\n", static_cast<char>(level), filename ? filename : "", line,
               static_cast<int>(length), message);
}
