// Natives grouped by topic; each adds its functions to the `native` object of a realm.
#pragma once

#include "engine/binding.h"

namespace mar::api {

void AddEncodingNatives(engine::NativeObject& natives);  // natives_encoding.cc
void AddCryptoNatives(engine::NativeObject& natives);    // natives_crypto.cc
void AddUrlNatives(engine::NativeObject& natives);       // natives_url.cc: URL parsing by Ada
void AddRuntimeNatives(engine::NativeObject& natives);   // realm.cc: log, timers, clone, fetch glue
void AddActorNatives(engine::NativeObject& natives);     // natives_actors.cc: actor glue
void AddWasiNatives(engine::NativeObject& natives);      // natives_wasi.cc: WASI files
// The per-context table of WASI instances (`native.wasiTable`): made for each context, never
// part of a snapshot (it holds a C++ pointer).
v8::Local<v8::Object> NewWasiTable(v8::Local<v8::Context> context);
void AddGpuNatives(engine::NativeObject& natives);       // natives_gpu.cc: env.GPU

}  // namespace mar::api
