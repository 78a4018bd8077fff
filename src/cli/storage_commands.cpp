// The persistent mode of the `calp` tool: `--db LOCATION` (or the CALP_DB environment
// variable) names a SQLite file or a PostgreSQL URI, and the households live there.
#include <cstdlib>
#include <memory>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "calp/audit_key.hpp"
#include "calp/household.hpp"
#include "calp/storage.hpp"
#include "calp/storage/open.hpp"
#include "cli/cli.hpp"
#include "crypto/digest.hpp"
#include "detail/input_text.hpp"
#include "detail/json_input.hpp"

namespace calp::cli {

namespace {

// A file of households for `household import`: large enough for a département's worth
// of dossiers in one file, bounded so a wrong file cannot exhaust memory.
constexpr std::size_t max_import_bytes = 64 * 1024 * 1024;
// Households committed per transaction: large enough that SQLite's commit cost is
// shared, small enough that a batch stays a few megabytes.
constexpr std::size_t import_batch_size = 1000;

std::string describe(const error& e) {
  std::string text = fmt::format("{}: {}", to_string(e.code), e.message);
  if (!e.field.empty()) text += fmt::format(" (at {})", e.field);
  return text;
}

// Every household of an import file, read and checked before anything is written: a
// bad household anywhere in the file writes nothing.
std::vector<household> read_households(std::string_view path, std::istream& in) {
  const std::string text = read_input(path, max_import_bytes, in);
  auto doc = detail::parse_json(text, {max_import_bytes, 10, household_limits{}.max_string_length});
  if (!doc) throw usage_error{describe(doc.error())};
  std::vector<household> out;
  const auto read_one = [&](const nlohmann::json& j, std::string_view prefix) {
    auto h = household::from_json(j.dump());
    if (!h) {
      error e = std::move(h).error();
      e.field = e.field.empty() ? std::string(prefix) : fmt::format("{}.{}", prefix, e.field);
      throw usage_error{describe(e)};
    }
    out.push_back(std::move(h).value());
  };
  if (doc->is_array()) {
    out.reserve(doc->size());
    for (std::size_t i = 0; i < doc->size(); ++i) read_one((*doc)[i], fmt::format("[{}]", i));
  } else {
    read_one(*doc, "");
  }
  return out;
}

// The index `k` of the operation an error's field `operations[k]…` names.
std::size_t operation_index(std::string_view field) {
  constexpr std::string_view prefix = "operations[";
  std::size_t index = 0;
  if (field.substr(0, prefix.size()) != prefix) return index;
  for (const char c : field.substr(prefix.size())) {
    if (c < '0' || c > '9') break;
    index = index * 10 + static_cast<std::size_t>(c - '0');
  }
  return index;
}

// A commit error told in the import file's terms: which household, and what to do.
error import_error(error e, const std::vector<household>& households, std::size_t first,
                   bool replacing) {
  const std::size_t index = std::min(first + operation_index(e.field), households.size() - 1);
  const std::string_view dossier = households[index].dossier().str();
  if (e.code == errc::storage_conflict) {
    e.message = replacing
                    ? fmt::format("dossier `{}` changed in the database during the import; run it again", dossier)
                    : fmt::format("dossier `{}` is already in the database (--replace overwrites it)", dossier);
  } else if (e.code == errc::storage_invalid) {
    e.message = fmt::format("dossier `{}` appears more than once in the file", dossier);
  }
  e.field = fmt::format("[{}]", index);
  return e;
}

}  // namespace

std::string database_location(const arguments& args) {
  if (const auto db = args.option("db")) {
    if (db->empty()) throw usage_error{"--db must not be empty"};
    return std::string(*db);
  }
  if (const char* env = std::getenv("CALP_DB"); env != nullptr && *env != '\0') return env;
  throw usage_error{"no database: give --db PATH_OR_URI or set CALP_DB"};
}

std::shared_ptr<const audit_key> audit_key_of(const arguments& args) {
  std::string path;
  if (const auto file = args.option("audit-key")) {
    if (file->empty()) throw usage_error{"--audit-key must not be empty"};
    path = *file;
  } else if (const char* env = std::getenv("CALP_AUDIT_KEY_FILE"); env != nullptr && *env != '\0') {
    path = env;
  } else {
    return nullptr;
  }
  // A key file holds 64 hex digits and a newline; anything much longer is not one.
  constexpr std::size_t limit = 1024;
  std::istringstream no_stdin;
  std::string text = read_input(path, limit, no_stdin);
  auto key = audit_key::from_hex(text);
  detail::wipe(text);
  if (!key) throw usage_error{fmt::format("{}: {}", path, describe(key.error()))};
  return std::make_shared<const audit_key>(std::move(*key));
}

std::unique_ptr<storage> open_database(const arguments& args, open_mode mode) {
  return open_storage(database_location(args), mode, audit_key_of(args));
}

household load_stored_household(storage& s, std::string_view dossier_text) {
  const auto dossier = dossier_number::parse(dossier_text);
  if (!dossier) throw usage_error{describe(dossier.error())};
  auto found = s.find_household(*dossier);
  if (!found) throw usage_error{fmt::format("no dossier `{}` in the database", dossier->str())};
  return std::move(found->value);
}

int db_init(std::span<const std::string_view> raw, const streams& io) {
  constexpr std::string_view valued[] = {"db"};
  const arguments args(raw, valued, {});
  if (!args.positional().empty()) throw usage_error{"db init takes no VALUE"};
  const std::string location = database_location(args);
  const auto db = open_storage(location, open_mode::create_if_missing);
  io.out << fmt::format("calp database ready at {}\n", redacted_location(location));
  return exit_ok;
}

int household_import(std::span<const std::string_view> raw, const streams& io) {
  constexpr std::string_view valued[] = {"db"};
  constexpr std::string_view flags[] = {"replace"};
  const arguments args(raw, valued, flags);
  if (args.positional().size() != 1) throw usage_error{"household import takes exactly one FILE"};
  const auto db = open_database(args, open_mode::must_exist);
  const std::vector<household> households = read_households(args.positional()[0], io.in);

  // One transaction for the whole file when it fits in one batch; a larger file is
  // committed batch by batch after every household was checked, so only a storage
  // failure can stop it half-way, and importing the same file again with --replace
  // finishes the job.
  std::size_t created = 0;
  std::size_t replaced = 0;
  for (std::size_t first = 0; first < households.size(); first += import_batch_size) {
    const std::size_t last = std::min(households.size(), first + import_batch_size);
    write_batch batch;
    std::size_t batch_replaced = 0;
    for (std::size_t i = first; i < last; ++i) {
      std::uint64_t version = 0;
      if (args.flag("replace")) {
        if (const auto existing = db->find_household(households[i].dossier())) {
          version = existing->version;
          ++batch_replaced;
        }
      }
      batch.put(households[i], version);
    }
    const auto committed = db->commit(batch);
    if (!committed) throw usage_error{describe(import_error(committed.error(), households, first,
                                                            args.flag("replace")))};
    replaced += batch_replaced;
    created += (last - first) - batch_replaced;
  }
  nlohmann::ordered_json summary;
  summary["imported"] = created + replaced;
  summary["created"] = created;
  summary["replaced"] = replaced;
  io.out << summary.dump() << '\n';
  return exit_ok;
}

int household_export(std::span<const std::string_view> raw, const streams& io) {
  constexpr std::string_view valued[] = {"db"};
  const arguments args(raw, valued, {});
  if (args.positional().size() != 1) throw usage_error{"household export takes exactly one DOSSIER"};
  const auto dossier = dossier_number::parse(args.positional()[0]);
  if (!dossier) throw usage_error{describe(dossier.error())};
  const auto db = open_database(args, open_mode::must_exist);
  const auto found = db->find_household(*dossier);
  if (!found) {
    io.err << fmt::format("calp: no dossier `{}` in the database\n", dossier->str());
    return exit_no;
  }
  io.out << found->value.to_json() << '\n';
  return exit_ok;
}

}  // namespace calp::cli
