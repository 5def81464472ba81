// Domain to ASCII (UTS #46) for the URL parser, by ICU — what Node and ada do as well.
#include <unicode/uidna.h>

#include <memory>

#include "api/natives.h"

namespace mar::api {

namespace {

using engine::Args;

struct IdnaCloser {
  void operator()(UIDNA* idna) const { uidna_close(idna); }
};

std::unique_ptr<UIDNA, IdnaCloser> OpenUts46(bool strict) {
  UErrorCode status = U_ZERO_ERROR;
  uint32_t options = UIDNA_CHECK_BIDI | UIDNA_CHECK_CONTEXTJ | UIDNA_NONTRANSITIONAL_TO_ASCII;
  if (strict) options |= UIDNA_USE_STD3_RULES;
  std::unique_ptr<UIDNA, IdnaCloser> idna(uidna_openUTS46(options, &status));
  return U_FAILURE(status) ? nullptr : std::move(idna);
}

// domainToASCII(domain, strict) -> string, or null when the domain is invalid.
void DomainToAscii(Args& args) {
  std::string domain = args.Utf8(0);
  bool strict = args.Boolean(1);
  auto idna = OpenUts46(strict);
  if (!idna) engine::ThrowError("internal error: ICU IDNA is unavailable");
  std::string output(domain.size() * 4 + 64, '\0');
  UIDNAInfo info = UIDNA_INFO_INITIALIZER;
  UErrorCode status = U_ZERO_ERROR;
  int32_t length = uidna_nameToASCII_UTF8(idna.get(), domain.data(), static_cast<int32_t>(domain.size()),
                                          output.data(), static_cast<int32_t>(output.size()), &info, &status);
  if (status == U_BUFFER_OVERFLOW_ERROR) {
    status = U_ZERO_ERROR;
    output.resize(static_cast<size_t>(length));
    info = UIDNA_INFO_INITIALIZER;
    length = uidna_nameToASCII_UTF8(idna.get(), domain.data(), static_cast<int32_t>(domain.size()), output.data(),
                                    static_cast<int32_t>(output.size()), &info, &status);
  }
  uint32_t errors = info.errors;
  if (!strict) {
    // The URL Standard parses with CheckHyphens=false and VerifyDnsLength=false.
    errors &= ~(UIDNA_ERROR_EMPTY_LABEL | UIDNA_ERROR_LABEL_TOO_LONG | UIDNA_ERROR_DOMAIN_NAME_TOO_LONG |
                UIDNA_ERROR_LEADING_HYPHEN | UIDNA_ERROR_TRAILING_HYPHEN | UIDNA_ERROR_HYPHEN_3_4);
  }
  if (U_FAILURE(status) || errors != 0) {
    args.Return(v8::Null(args.isolate()).As<v8::Value>());
    return;
  }
  output.resize(static_cast<size_t>(length));
  args.Return(std::string_view(output));
}

}  // namespace

void AddIdnaNatives(engine::NativeObject& natives) { natives.Function<DomainToAscii>("domainToASCII"); }

}  // namespace mar::api
