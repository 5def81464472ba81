// Greeter: a Wasm actor between two JS parts. A call carrying a name asks the JS actor
// Upper/main to upper-case it and, when that answer comes back (a later dispatch: the actor
// never blocks), answers "Hello, NAME!".
//
//   mar run examples/wasm-greeter
//   curl 'localhost:8080/?name=ada'   ->  Hello, ADA!
#include "mar.h"

static uint8_t inbox[4096];
MAR_EXPORT(mar_alloc) void* mar_alloc(int32_t len) { return len <= (int32_t)sizeof inbox ? inbox : 0; }

// Calls to Upper in flight: our call id -> the request we answer when it replies.
enum { kSlots = 64 };
static struct { int32_t call, request; } waiting[kSlots];

static void fail(int32_t request, const char* text) {
  int32_t len = 0;
  while (text[len]) ++len;
  mar_fail(request, text, len);
}

MAR_EXPORT(mar_dispatch) int32_t mar_dispatch(int32_t kind, int32_t id, int32_t code, uint8_t* data, int32_t len) {
  (void)code;
  if (kind == MAR_CALL) {
    int slot = 0;
    while (slot < kSlots && waiting[slot].call != 0) ++slot;
    if (slot == kSlots) {
      fail(id, "too many greetings in flight");
      return 0;
    }
    static const char upper[] = "Upper/main";
    int32_t call = mar_call(upper, sizeof upper - 1, data, len, 0);
    if (call < 0) {
      fail(id, "cannot reach Upper/main");
      return 0;
    }
    waiting[slot].call = call;
    waiting[slot].request = id;
    return 0;
  }
  if (kind != MAR_REPLY && kind != MAR_FAILED) return 0;
  for (int slot = 0; slot < kSlots; ++slot) {
    if (waiting[slot].call != id) continue;
    int32_t request = waiting[slot].request;
    waiting[slot].call = 0;
    if (kind == MAR_FAILED) {
      mar_fail(request, (const char*)data, len);
      return 0;
    }
    static char text[sizeof inbox + 16] = "Hello, ";
    int32_t n = 7;
    for (int32_t i = 0; i < len; ++i) text[n++] = (char)data[i];
    text[n++] = '!';
    mar_reply(request, text, n);
    return 0;
  }
  return 0;
}
