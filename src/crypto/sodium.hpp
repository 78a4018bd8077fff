#pragma once
// libsodium's one initialization, shared by everything in src/crypto/ (the only place
// that includes <sodium.h>).

namespace calp::detail {

// Calls sodium_init() exactly once per process, whatever the number of threads asking.
// Throws std::runtime_error if libsodium cannot initialize (no usable random source):
// calp must not hash passwords or draw codes without it.
void ensure_sodium();

}  // namespace calp::detail
