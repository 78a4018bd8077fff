#pragma once
// A test-only window onto secret wiping: reading a secret's bytes after its destructor
// would read freed memory, so the test observes them at the last moment they are still
// owned, just after they were zeroed.

#include <cstddef>

namespace calp::detail {

// Called with a secret's buffer after it was zeroed and before it is released; nullptr
// (the default) for none. Not for production code.
using secret_wipe_observer = void (*)(const char* data, std::size_t size);

// Installs `observer` (nullptr removes it) and returns the previous one.
secret_wipe_observer set_secret_wipe_observer(secret_wipe_observer observer) noexcept;

}  // namespace calp::detail
