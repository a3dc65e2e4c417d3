// SPDX-License-Identifier: MIT
// Wraps Proton's pn_message_decode (which proton::messaging_handler calls before on_message) to
// keep a copy of the encoded bytes. Linked into the double's executable, this definition comes
// first in the dynamic symbol lookup; the real decoder is found with RTLD_NEXT.
#include "raw_message_tap.hpp"

#include <cstddef>
#include <string>

#include <dlfcn.h>
#include <proton/message.h>

namespace streamcp::eventhubs_double {
namespace {

thread_local std::string last_bytes;  // NOLINT(*-avoid-non-const-global-variables)

}  // namespace

std::string_view last_decoded_message() { return last_bytes; }

}  // namespace streamcp::eventhubs_double

extern "C" int pn_message_decode(pn_message_t* message, const char* bytes, std::size_t size) {
    using decode_function = int (*)(pn_message_t*, const char*, std::size_t);
    static const auto real_decode =
        reinterpret_cast<decode_function>(dlsym(RTLD_NEXT, "pn_message_decode"));
    streamcp::eventhubs_double::last_bytes.assign(bytes, size);
    return real_decode(message, bytes, size);
}
