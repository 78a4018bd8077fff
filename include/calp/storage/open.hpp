#pragma once
/// \file
/// Opening a storage from one string, as the `calp` tool's `--db` and the Python
/// bindings take it. `open_storage` is in the `calp::storages` target, which links every
/// storage this calp was built with; `redacted_location` is in `calp::calp`.

#include <memory>
#include <string>
#include <string_view>

#include "calp/audit_key.hpp"
#include "calp/storage.hpp"

namespace calp {

/// Whether opening a SQLite location may create the file.
enum class open_mode {
  create_if_missing,  ///< a new, empty database is created (`calp db init`)
  must_exist,         ///< a missing file is `errc::storage_unavailable`: a mistyped path
                      ///< must not silently start an empty database
};

/// Opens the storage `location` names:
/// - `postgresql://…` or `postgres://…`: PostgreSQL (libpq connection URI);
/// - `:memory:`: a new, empty in-memory storage (gone when destroyed);
/// - anything else: the path of a SQLite file.
/// The schema is created or migrated forward on open.
///
/// Throws `storage_error`: `errc::storage_location` for a location this build cannot
/// open (a malformed URI, PostgreSQL not built in), `storage_unavailable`,
/// `storage_corrupt`, `storage_schema`. Messages name the location with its password
/// removed (`redacted_location`).
/// With `key`, the storage chains every audit event it appends (`calp/audit.hpp`).
[[nodiscard]] std::unique_ptr<storage> open_storage(std::string_view location,
                                                    open_mode mode = open_mode::must_exist,
                                                    std::shared_ptr<const audit_key> key = nullptr);

/// `location` fit for a message or a log: the password of a connection URI is replaced
/// by `***` (`postgresql://calp:***@db/caf`), in the user-info part and in a
/// `password=` query parameter.
[[nodiscard]] std::string redacted_location(std::string_view location);

}  // namespace calp
