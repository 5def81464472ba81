// Errors as values: operations that can fail for reasons outside the program return Result<T>.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace mar {

struct Error {
  std::string message;  // complete, user-facing sentence(s): what failed, where, how to fix
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> Fail(std::string message) {
  return std::unexpected<Error>(Error{std::move(message)});
}

}  // namespace mar
