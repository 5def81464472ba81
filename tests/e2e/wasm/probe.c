// The Wasm actor the end-to-end tests drive (tests/e2e/test_wasm.py). A call's payload is a
// command; the reply says what happened. No C library: a fixed 128 KiB memory.
#include "mar.h"

static uint8_t inbox[8192];
MAR_EXPORT(mar_alloc) void* mar_alloc(int32_t len) { return len <= (int32_t)sizeof inbox ? inbox : 0; }

static int32_t count;      // messages seen by this instance (sends and calls)
static char log_line[256];
static int32_t log_len;    // the sends received, in order, as one line ("a,b,c")
static int32_t pending_request, pending_call, pending_timer;

static int starts(const uint8_t* data, int32_t len, const char* prefix) {
  int32_t i = 0;
  for (; prefix[i]; ++i) if (i >= len || data[i] != (uint8_t)prefix[i]) return 0;
  return 1;
}
static int32_t length(const char* text) {
  int32_t n = 0;
  while (text[n]) ++n;
  return n;
}
static void reply_text(int32_t id, const char* text) { mar_reply(id, text, length(text)); }
static void reply_number(int32_t id, int64_t value) {
  char text[24];
  int32_t n = 0, negative = value < 0;
  uint64_t magnitude = negative ? (uint64_t)-value : (uint64_t)value;
  do text[sizeof text - 1 - n++] = (char)('0' + magnitude % 10); while ((magnitude /= 10) != 0);
  if (negative) text[sizeof text - 1 - n++] = '-';
  mar_reply(id, text + sizeof text - n, n);
}

static volatile int32_t zero = 0;
static int32_t recurse(int32_t depth) { return depth < 0 ? 0 : recurse(depth + 1) + zero; }

MAR_EXPORT(mar_on_start) void mar_on_start(void) { mar_log_str(MAR_INFO, "probe started"); }
MAR_EXPORT(mar_on_stop) void mar_on_stop(void) { mar_log_str(MAR_INFO, "probe stopping"); }

MAR_EXPORT(mar_dispatch) int32_t mar_dispatch(int32_t kind, int32_t id, int32_t code, uint8_t* data, int32_t len) {
  if (kind == MAR_SEND) {
    ++count;
    if (log_len > 0 && log_len < (int32_t)sizeof log_line) log_line[log_len++] = ',';
    for (int32_t i = 0; i < len && log_len < (int32_t)sizeof log_line; ++i) log_line[log_len++] = (char)data[i];
    return 0;
  }
  if (kind == MAR_REPLY || kind == MAR_FAILED) {
    if (id != pending_call || pending_request == 0) return 0;
    int32_t request = pending_request;
    pending_request = 0;
    if (kind == MAR_REPLY) {
      static char text[sizeof inbox + 8] = "reply:";
      int32_t n = 6;
      for (int32_t i = 0; i < len && n < (int32_t)sizeof text; ++i) text[n++] = (char)data[i];
      mar_reply(request, text, n);
    } else {
      static const char* names[] = {"ok", "handler_error", "not_found", "denied", "timeout", "mailbox_full",
                                    "crashed", "unavailable", "invalid_argument", "decode_failure", "internal"};
      static char text[64] = "failed:";
      int32_t n = 7;
      const char* name = code >= 0 && code <= 10 ? names[code] : "?";
      for (int32_t i = 0; name[i]; ++i) text[n++] = name[i];
      mar_reply(request, text, n);
    }
    return 0;
  }
  if (kind == MAR_TIMER) {
    if (id == pending_timer && pending_request != 0) {
      reply_text(pending_request, "timer fired");
      pending_request = 0;
    }
    return 0;
  }
  if (kind != MAR_CALL) return 0;
  ++count;
  if (starts(data, len, "echo:")) {
    mar_reply(id, data + 5, len - 5);
  } else if (starts(data, len, "count")) {
    reply_number(id, count);
  } else if (starts(data, len, "log")) {
    mar_reply(id, log_line, log_len);
  } else if (starts(data, len, "self")) {
    char buf[300];
    int32_t n = mar_self(buf, sizeof buf);
    mar_reply(id, buf, n);
  } else if (starts(data, len, "caller")) {
    char buf[300];
    int32_t n = mar_caller(buf, sizeof buf);
    if (n == 0) reply_text(id, "(none)");
    else mar_reply(id, buf, n);
  } else if (starts(data, len, "call:")) {
    // call:<address>|<payload>: calls it and answers with what came back (a later dispatch).
    int32_t bar = 5;
    while (bar < len && data[bar] != '|') ++bar;
    int32_t call = mar_call((const char*)data + 5, bar - 5, data + bar + 1, bar < len ? len - bar - 1 : 0, 500);
    if (call < 0) {
      reply_number(id, call);
    } else {
      pending_call = call;
      pending_request = id;
    }
  } else if (starts(data, len, "send:")) {
    int32_t bar = 5;
    while (bar < len && data[bar] != '|') ++bar;
    reply_number(id, mar_send((const char*)data + 5, bar - 5, data + bar + 1, bar < len ? len - bar - 1 : 0));
  } else if (starts(data, len, "timer")) {
    pending_timer = mar_timer(20);
    pending_request = id;
  } else if (starts(data, len, "fail")) {
    static const char message[] = "the probe refuses";
    mar_fail(id, message, sizeof message - 1);
  } else if (starts(data, len, "status")) {
    return 7;
  } else if (starts(data, len, "silent")) {
    // answers nothing now and never later: the caller's timeout decides
  } else if (starts(data, len, "bad-pointer")) {
    reply_number(id, mar_reply(id, (const void*)0x7ffffff0, 64));
  } else if (starts(data, len, "stop")) {
    reply_text(id, "stopping");
    mar_stop();
  } else if (starts(data, len, "trap:unreachable")) {
    __builtin_trap();
  } else if (starts(data, len, "trap:oob")) {
    reply_number(id, *(volatile int32_t*)0x7ffffff0);
  } else if (starts(data, len, "trap:div")) {
    reply_number(id, (count + 100) / zero);
  } else if (starts(data, len, "trap:stack")) {
    reply_number(id, recurse(0));
  } else if (starts(data, len, "loop")) {
    for (;;) zero = zero;
  } else {
    reply_text(id, "unknown command");
  }
  return 0;
}
