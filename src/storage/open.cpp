#include "calp/storage/open.hpp"

#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "calp/storage/memory.hpp"
#include "storage/location.hpp"
#ifdef CALP_HAVE_SQLITE
#include "calp/storage/sqlite.hpp"
#endif
#ifdef CALP_HAVE_POSTGRES
#include "calp/storage/postgres.hpp"
#endif

namespace calp {

std::unique_ptr<storage> open_storage(std::string_view location, open_mode mode,
                                      std::shared_ptr<const audit_key> key) {
  if (location.empty()) throw storage_error(errc::storage_location, "no storage location given");
  if (location == ":memory:") return std::make_unique<memory_storage>(std::move(key));
  if (detail::postgres_scheme_length(location) != 0) {
#ifdef CALP_HAVE_POSTGRES
    return std::make_unique<postgres_storage>(postgres_options{.uri = std::string(location),
                                                                .audit_key = std::move(key)});
#else
    throw storage_error(errc::storage_location,
                        fmt::format("`{}` is a PostgreSQL URI, and this calp was built without PostgreSQL",
                                    redacted_location(location)));
#endif
  }
#ifdef CALP_HAVE_SQLITE
  const std::filesystem::path path{std::string(location)};
  std::error_code ec;
  if (mode == open_mode::must_exist && !std::filesystem::exists(path, ec)) {
    throw storage_error(errc::storage_unavailable,
                        fmt::format("no database at `{}`: create it with `calp db init`",
                                    redacted_location(location)));
  }
  return std::make_unique<sqlite_storage>(sqlite_options{.path = path.string(),
                                                        .audit_key = std::move(key)});
#else
  (void)mode;
  (void)key;
  throw storage_error(errc::storage_location,
                      fmt::format("`{}` names a SQLite file, and this calp was built without SQLite",
                                  redacted_location(location)));
#endif
}

}  // namespace calp
