/* mar.h — the mar WebAssembly actor ABI, version 1, for modules written in C.
 *
 * A Wasm module is an actor class: the node instantiates it once per actor and talks to it
 * through the exports below; the module reaches the world only through the "mar" imports (and
 * WASI preview1) that its bundle's manifest grants. docs/wasm-abi.md is the full contract.
 *
 * Build (Debian: clang, lld, wasi-libc):
 *   clang --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor counter.c -o counter.wasm
 *
 * Memory ownership, in one line each:
 *   - host -> module: the host calls mar_alloc(len), copies the payload there and passes the
 *     pointer to mar_dispatch; from then on the buffer is the module's (free it when done).
 *   - module -> host: the host copies the bytes out during the import call; the module keeps
 *     its buffer and may reuse it as soon as the call returns.
 * Every call is asynchronous: mar_call returns a request id at once, and the answer arrives
 * later as a MAR_REPLY or MAR_FAILED dispatch carrying that id. An actor never blocks its shard.
 */
#ifndef MAR_H
#define MAR_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MAR_ABI_VERSION 1

#define MAR_EXPORT(name) __attribute__((export_name(#name)))
#define MAR_IMPORT(name) __attribute__((import_module("mar"), import_name(#name)))

/* What a dispatch carries (the `kind` argument of mar_dispatch). */
enum {
  MAR_SEND = 0,   /* a message sent with send(); id is 0 */
  MAR_CALL = 1,   /* a request; answer it with mar_reply/mar_fail, now or in a later dispatch */
  MAR_REPLY = 2,  /* the answer to this actor's mar_call `id` */
  MAR_FAILED = 3, /* this actor's mar_call/mar_send `id` failed: `code` says why, the bytes are
                     a UTF-8 message */
  MAR_TIMER = 4   /* the timer `id` (from mar_timer) fired; no bytes */
};

/* The closed set of error codes (DESIGN.md §2). Imports return them negated. */
enum {
  MAR_OK = 0,
  MAR_E_HANDLER_ERROR = 1,
  MAR_E_NOT_FOUND = 2,
  MAR_E_DENIED = 3,
  MAR_E_TIMEOUT = 4,
  MAR_E_MAILBOX_FULL = 5,
  MAR_E_CRASHED = 6,
  MAR_E_UNAVAILABLE = 7,
  MAR_E_INVALID_ARGUMENT = 8,
  MAR_E_DECODE_FAILURE = 9,
  MAR_E_INTERNAL = 10
};

/* Log levels for mar_log. */
enum { MAR_DEBUG = 0, MAR_INFO = 1, MAR_WARN = 2, MAR_ERROR = 3 };

/* ---- imports: what the host provides (module "mar") ---------------------------------------- */

/* A log record tagged with this actor's address. Always available. */
MAR_IMPORT(log) void mar_log(int32_t level, const void* text, int32_t len);

/* Sends `len` bytes to the actor at address `to` ("Class/name" or "bundle/Class/name").
 * Returns a request id > 0, or a negated error code if it was refused at once. If the message is
 * refused later (mailbox_full, crashed), a MAR_FAILED dispatch carries the id; nothing comes on
 * success. Needs capabilities.actors. */
MAR_IMPORT(send) int32_t mar_send(const char* to, int32_t to_len, const void* data, int32_t len);

/* Calls the actor at `to`. Returns a request id > 0 (the reply comes as MAR_REPLY or MAR_FAILED
 * with that id), or a negated error code. timeout_ms 0 means limits.callTimeoutMs.
 * Needs capabilities.actors. */
MAR_IMPORT(call)
int32_t mar_call(const char* to, int32_t to_len, const void* data, int32_t len, int32_t timeout_ms);

/* Answers the request `id` (a MAR_CALL this actor received) with `len` bytes. Returns 0, or
 * -MAR_E_INVALID_ARGUMENT if `id` is not a request waiting for an answer. */
MAR_IMPORT(reply) int32_t mar_reply(int32_t id, const void* data, int32_t len);

/* Answers the request `id` with an error: the caller sees handler_error with this message. */
MAR_IMPORT(fail) int32_t mar_fail(int32_t id, const char* message, int32_t len);

/* Copies this actor's address into buf (at most cap bytes); returns its full length. */
MAR_IMPORT(self) int32_t mar_self(char* buf, int32_t cap);

/* Copies the address of the actor whose message is being dispatched into buf (at most cap
 * bytes); returns its full length, 0 when the sender is not an actor (an HTTP request, the
 * bundle's default handler), -MAR_E_INVALID_ARGUMENT outside a MAR_SEND/MAR_CALL dispatch. */
MAR_IMPORT(caller) int32_t mar_caller(char* buf, int32_t cap);

/* Arms a one-shot timer: a MAR_TIMER dispatch with the returned id (> 0) after delay_ms.
 * Needs capabilities.timers. */
MAR_IMPORT(timer) int32_t mar_timer(int32_t delay_ms);

/* Stops this actor after the current dispatch (the mar_on_stop export runs, then it is gone, or
 * restarted if its class's restart policy is "always"). */
MAR_IMPORT(stop) void mar_stop(void);

/* ---- exports: what the module provides ----------------------------------------------------- */
/* Required: memory (clang exports it) and
 *   MAR_EXPORT(mar_dispatch) int32_t mar_dispatch(int32_t kind, int32_t id, int32_t code,
 *                                                 void* data, int32_t len);
 * returning 0, or anything else to report a handler error (a MAR_CALL not yet answered is then
 * answered handler_error).
 * Required to receive non-empty payloads:
 *   MAR_EXPORT(mar_alloc) void* mar_alloc(int32_t len);   (0 = cannot: the delivery fails)
 * Optional: MAR_EXPORT(mar_on_start) void mar_on_start(void); after instantiation, before any
 *                                                             message (may send and call)
 *           MAR_EXPORT(mar_on_stop) void mar_on_stop(void);   when the actor stops
 * A reactor built with -mexec-model=reactor also exports _initialize, which runs first.
 * A WASI command (exports _start, no mar_dispatch) is an actor too: _start runs when it starts,
 * and the actor stops when main returns or calls exit() (a non-zero status is a crash). */

#ifdef MAR_DEFINE_MALLOC_ALLOC
#include <stdlib.h>
/* mar_alloc on top of the C library's malloc; the module frees payloads with free(). */
MAR_EXPORT(mar_alloc) void* mar_alloc(int32_t len) { return malloc((size_t)len); }
#endif

/* Convenience: log a NUL-terminated string. */
static inline void mar_log_str(int32_t level, const char* text) {
  int32_t len = 0;
  while (text[len]) ++len;
  mar_log(level, text, len);
}

#ifdef __cplusplus
}
#endif

#endif /* MAR_H */
