// Dev-only: a minimal V8 shell over the engine's V8 10.2 (Debian's libnode in .deps/libnode) that
// runs one script file with a print() global, drains microtasks once at the end and exits with
// globalThis.__exitCode. run.js --v8 builds and uses it; it is not part of the product build.
#include <libplatform/libplatform.h>
#include <v8.h>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <iostream>
static void Print(const v8::FunctionCallbackInfo<v8::Value>& args) {
  for (int i = 0; i < args.Length(); i++) {
    v8::String::Utf8Value s(args.GetIsolate(), args[i]);
    std::cout << (i ? " " : "") << (*s ? *s : "<?>");
  }
  std::cout << std::endl;
}
int main(int argc, char** argv) {
  v8::V8::InitializeICUDefaultLocation(argv[0]);
  auto platform = v8::platform::NewDefaultPlatform();
  v8::V8::InitializePlatform(platform.get());
  v8::V8::Initialize();
  v8::Isolate::CreateParams p;
  p.array_buffer_allocator = v8::ArrayBuffer::Allocator::NewDefaultAllocator();
  v8::Isolate* iso = v8::Isolate::New(p);
  int rc = 0;
  {
    v8::Isolate::Scope is(iso);
    v8::HandleScope hs(iso);
    auto global = v8::ObjectTemplate::New(iso);
    global->Set(iso, "print", v8::FunctionTemplate::New(iso, Print));
    auto ctx = v8::Context::New(iso, nullptr, global);
    v8::Context::Scope cs(ctx);
    std::ifstream f(argv[1]); std::stringstream ss; ss << f.rdbuf();
    v8::TryCatch tc(iso);
    auto src = v8::String::NewFromUtf8(iso, ss.str().c_str()).ToLocalChecked();
    v8::ScriptOrigin origin(iso, v8::String::NewFromUtf8(iso, argv[1]).ToLocalChecked());
    v8::Local<v8::Script> script;
    if (!v8::Script::Compile(ctx, src, &origin).ToLocal(&script) || script->Run(ctx).IsEmpty()) {
      v8::String::Utf8Value e(iso, tc.Exception()); std::cerr << "error: " << *e << std::endl;
      auto st = tc.StackTrace(ctx); if (!st.IsEmpty()) { v8::String::Utf8Value s(iso, st.ToLocalChecked()); std::cerr << *s << std::endl; }
      rc = 1;
    }
    iso->PerformMicrotaskCheckpoint();
    auto code = ctx->Global()->Get(ctx, v8::String::NewFromUtf8(iso, "__exitCode").ToLocalChecked()).ToLocalChecked();
    if (code->IsNumber()) rc = rc ? rc : (int)code.As<v8::Number>()->Value();
  }
  iso->Dispose();
  return rc;
}
