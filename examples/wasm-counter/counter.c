// A counter actor in C, with no C library: `inc` (sent or called) adds one, `get` answers the
// count as decimal text. Each actor (Counter/<name>) is its own instance with its own count.
//
//   mar run examples/wasm-counter
//   curl -d inc localhost:8080/actors/Counter/a   ->  1
//   curl -d get localhost:8080/actors/Counter/a   ->  1
#include "mar.h"

static uint64_t count;

// Payloads land here: the node calls mar_alloc right before mar_dispatch and dispatches never
// nest, so one buffer serves every message (larger ones are refused).
static uint8_t inbox[4096];
MAR_EXPORT(mar_alloc) void* mar_alloc(int32_t len) { return len <= (int32_t)sizeof inbox ? inbox : 0; }

static int equals(const uint8_t* data, int32_t len, const char* word) {
  int32_t i = 0;
  for (; i < len && word[i]; ++i) if (data[i] != (uint8_t)word[i]) return 0;
  return i == len && word[i] == 0;
}

MAR_EXPORT(mar_dispatch) int32_t mar_dispatch(int32_t kind, int32_t id, int32_t code, uint8_t* data, int32_t len) {
  (void)code;
  if (kind != MAR_SEND && kind != MAR_CALL) return 0;
  if (equals(data, len, "inc")) {
    ++count;
  } else if (!equals(data, len, "get")) {
    if (kind == MAR_CALL) {
      static const char usage[] = "expected \"inc\" or \"get\"";
      mar_fail(id, usage, sizeof usage - 1);
    }
    return 0;
  }
  if (kind == MAR_CALL) {
    char text[20];
    int32_t n = 0;
    uint64_t value = count;
    do text[sizeof text - 1 - n++] = (char)('0' + value % 10); while ((value /= 10) != 0);
    mar_reply(id, text + sizeof text - n, n);
  }
  return 0;
}
