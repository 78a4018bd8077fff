#pragma once
// The tables of a calp SQLite file, their migrations, and the checks made on open.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "storage/sqlite/handle.hpp"

namespace calp::sqlite_detail {

// What every connection sets, whether it created the file or not.
struct connection_settings {
  std::int64_t mmap_bytes = 0;
  std::int64_t cache_kib = 0;
  bool sync_each_commit = true;  // synchronous=FULL, else NORMAL
};

// First connection of a storage object: refuses a file that is not calp's or is newer
// (reading only, so that the file is left as it was), then turns WAL on and applies the
// missing migrations in one transaction. Throws `storage_error`.
void prepare_database(connection& c, const connection_settings& settings, std::string_view path);

// Every later connection: checks the file is still calp's at this schema (another
// process may have replaced or upgraded it), then sets the per-connection pragmas.
void prepare_connection(connection& c, const connection_settings& settings);

}  // namespace calp::sqlite_detail
