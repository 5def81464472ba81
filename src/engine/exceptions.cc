#include "engine/exceptions.h"

#include "engine/binding.h"

namespace mar::engine {

ExceptionReport DescribeException(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                  v8::Local<v8::Value> exception, v8::Local<v8::Message> message) {
  ExceptionReport report;
  std::string text;
  if (exception.IsEmpty()) {
    text = "unknown error";
  } else if (exception->IsNativeError() || exception->IsObject()) {
    // "Name: message" as Error.prototype.toString gives, without running user getters twice.
    v8::TryCatch inner(isolate);
    v8::Local<v8::Value> string;
    text = exception->ToString(context).ToLocal(&string) ? ToUtf8(isolate, string) : "[object]";
    v8::Local<v8::Value> stack;
    if (exception->IsObject() &&
        exception.As<v8::Object>()->Get(context, ToV8(isolate, "stack")).ToLocal(&stack) && stack->IsString()) {
      report.stack = ToUtf8(isolate, stack);
    }
  } else {
    v8::TryCatch inner(isolate);
    v8::Local<v8::String> string;
    text = "Uncaught " + (exception->ToString(context).ToLocal(&string) ? ToUtf8(isolate, string) : "value");
  }
  if (!message.IsEmpty() && message->GetScriptResourceName()->IsString()) {
    std::string resource = ToUtf8(isolate, message->GetScriptResourceName());
    int line = message->GetLineNumber(context).FromMaybe(0);
    int column = message->GetStartColumn(context).FromMaybe(0) + 1;
    report.summary = resource + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + text;
  } else {
    // No message (e.g. a rejection value): take the location from the first stack frame.
    report.summary = text;
    auto frame = report.stack.find("\n    at ");
    if (frame != std::string::npos) {
      auto end = report.stack.find('\n', frame + 1);
      std::string line = report.stack.substr(frame + 8, end == std::string::npos ? std::string::npos : end - frame - 8);
      if (line.ends_with(")") && line.find(" (") != std::string::npos) {
        line = line.substr(line.rfind(" (") + 2);
        line.pop_back();
      }
      if (!line.empty() && line.find(':') != std::string::npos) report.summary = line + ": " + text;
    }
  }
  // The stack's first line repeats the summary's text; keep only the frames.
  if (!report.stack.empty()) {
    auto first_frame = report.stack.find("\n    at ");
    report.stack = first_frame == std::string::npos ? std::string() : report.stack.substr(first_frame + 1);
  }
  return report;
}

}  // namespace mar::engine
