#pragma once
// The `calp` command-line tool. Other tools and tests drive it, so its output and exit
// codes are a contract (README.md, "The calp tool"):
//   0  success; for `decide`, allowed
//   1  a negative answer: `decide` denied, `nir check` or `password check` invalid
//   2  bad input or usage: the message is on stderr and nothing is on stdout

#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "calp/household.hpp"
#include "calp/storage.hpp"
#include "calp/storage/open.hpp"

namespace calp::cli {

inline constexpr int exit_ok = 0;
inline constexpr int exit_no = 1;
inline constexpr int exit_bad_input = 2;

// A usage or input error: reported on stderr with exit code 2.
struct usage_error {
  std::string message;
};

// Arguments after the command words: `--name value`, `--name=value`, bare flags and
// positional values. Options not declared by the command are refused.
class arguments {
 public:
  arguments(std::span<const std::string_view> args, std::span<const std::string_view> valued,
            std::span<const std::string_view> flags);

  [[nodiscard]] std::optional<std::string_view> option(std::string_view name) const;
  [[nodiscard]] std::string_view required(std::string_view name) const;
  [[nodiscard]] bool flag(std::string_view name) const;
  [[nodiscard]] const std::vector<std::string_view>& positional() const { return positional_; }

 private:
  std::map<std::string_view, std::string_view, std::less<>> options_;
  std::vector<std::string_view> flags_;
  std::vector<std::string_view> positional_;
};

struct streams {
  std::ostream& out;
  std::ostream& err;
  std::istream& in;
};

// Reads a whole file, or `in` for `-`, up to one byte past `limit`.
[[nodiscard]] std::string read_input(std::string_view path, std::size_t limit, std::istream& in);

// The database named by --db, else by the CALP_DB environment variable (which keeps a
// PostgreSQL password out of the process list); a usage error when neither is set.
[[nodiscard]] std::string database_location(const arguments& args);
// The audit key in the file named by --audit-key (for commands that take it), else by
// the CALP_AUDIT_KEY_FILE environment variable; none when neither is set.
[[nodiscard]] std::shared_ptr<const audit_key> audit_key_of(const arguments& args);
// The database, chaining the audit events it appends when an audit key is given.
[[nodiscard]] std::unique_ptr<storage> open_database(const arguments& args, open_mode mode);
// The household of `dossier` as stored now; a usage error when there is none.
[[nodiscard]] household load_stored_household(storage& s, std::string_view dossier);

int nir_check(std::span<const std::string_view> args, const streams& io);
int decide(std::span<const std::string_view> args, const streams& io);
int policy_table(std::span<const std::string_view> args, const streams& io);
int policy_check(std::span<const std::string_view> args, const streams& io);
int policy_default(std::span<const std::string_view> args, const streams& io);
int household_check(std::span<const std::string_view> args, const streams& io);
int household_import(std::span<const std::string_view> args, const streams& io);
int household_export(std::span<const std::string_view> args, const streams& io);
int db_init(std::span<const std::string_view> args, const streams& io);
int password_check(std::span<const std::string_view> args, const streams& io);
int explain(std::span<const std::string_view> args, const streams& io);
int gdpr_export(std::span<const std::string_view> args, const streams& io);
int audit_key_new(std::span<const std::string_view> args, const streams& io);
int audit_verify(std::span<const std::string_view> args, const streams& io);
int audit_purge(std::span<const std::string_view> args, const streams& io);
int audit_events(std::span<const std::string_view> args, const streams& io);

// Today in the local time zone: what `--at` defaults to (a Caf host runs with
// TZ=Europe/Paris).
[[nodiscard]] date local_today();

// Runs the tool on `args` (without the program name).
int run(std::span<const std::string_view> args, const streams& io);

}  // namespace calp::cli
