// Turns a caught JS exception into text for logs and error messages, with file:line:column.
#pragma once

#include <v8.h>

#include <string>

namespace mar::engine {

struct ExceptionReport {
  std::string summary;   // "index.js:3:9: TypeError: x is not a function"
  std::string stack;     // the JS stack if there is one, else empty
  std::string Full() const { return stack.empty() ? summary : summary + "\n" + stack; }
};

// `message` may be empty (then the location comes from the exception object's stack only).
ExceptionReport DescribeException(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                  v8::Local<v8::Value> exception, v8::Local<v8::Message> message);

inline ExceptionReport DescribeException(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                         const v8::TryCatch& try_catch) {
  return DescribeException(isolate, context, try_catch.Exception(), try_catch.Message());
}

}  // namespace mar::engine
