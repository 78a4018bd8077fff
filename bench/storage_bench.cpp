// The storage benchmark (issue "Storage"): imports generated households into a
// database through `storage::commit`, then decides for random persons through the
// storage, the way a host does for every request: with the dossier known (the `calp
// decide --db --dossier` path)
//   find_household(dossier) -> decide
// and from the person alone
//   find_households_of(person) -> decide
// Each decision is timed on its own (steady_clock) to give the percentiles; the
// throughput is the whole loop's.
//
// Usage: storage_bench [--db LOCATION] [--households N] [--decisions N] [--threads N]
//                      [--batch N] [--seed N] [--skip-import]
// LOCATION is what `calp --db` takes: a SQLite path (default storage_bench.sqlite in the
// current directory) or a postgresql:// URI.
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <calp/calp.hpp>
#include <calp/storage.hpp>
#include <calp/storage/open.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "calp/audit.hpp"
#include "calp/audit_writer.hpp"
#include "calp/storage/sqlite.hpp"
#include "calp/storage_authorizer.hpp"
#include "household_generator.hpp"

using namespace calp_bench;

namespace {

struct options {
  std::string db = "storage_bench.sqlite";
  std::uint64_t households = 1'000'000;
  std::uint64_t decisions = 1'000'000;
  unsigned threads = 1;
  std::size_t batch = 1000;
  std::uint64_t seed = 20260101;
  bool skip_import = false;
  bool authorize = false;  // also time calp::storage_authorizer (issue 6: audit on)
  bool direct_audit = true;        // with --authorize: also one commit per audited decision
  std::uint64_t audit_delay_ms = 20;   // audit_writer_options::max_delay
  std::uint64_t audit_batch = 1000;    // audit_writer_options::max_batch
  std::optional<std::int64_t> mmap_bytes;  // sqlite_options::mmap_bytes, else the default
};

int usage(const char* argv0, int status) {
  std::fprintf(status == 0 ? stdout : stderr,
               "usage: %s [--db LOCATION] [--households N] [--decisions N] [--threads N]\n"
               "          [--batch N] [--seed N] [--skip-import] [--authorize]\n"
               "          [--no-direct-audit] [--audit-delay MS] [--audit-batch N] [--mmap BYTES]\n"
               "  --db           SQLite path or postgresql:// URI (default storage_bench.sqlite)\n"
               "  --households   households generated and imported (default 1000000)\n"
               "  --decisions    decisions per thread in each timed loop (default 1000000)\n"
               "  --threads      client threads deciding at once (default 1)\n"
               "  --batch        households per commit during the import (default 1000)\n"
               "  --seed         generator seed (default 20260101)\n"
               "  --skip-import  reuse a database imported earlier with the same options\n"
               "  --authorize    also time storage_authorizer: online (5 of 8 actions audited)\n"
               "                 and front desk (every decision audited), one commit per\n"
               "                 audited decision, then through an audit_writer\n"
               "  --no-direct-audit  skip the one-commit-per-decision rows (slow: disk syncs)\n"
               "  --audit-delay  the audit_writer's max_delay in ms (default 20)\n"
               "  --audit-batch  the audit_writer's max_batch (default 1000)\n"
               "  --mmap         a SQLite file's mmap_bytes (default: sqlite_options')\n",
               argv0);
  return status;
}

bool parse_options(int argc, char** argv, options& opt) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--authorize") {
      opt.authorize = true;
      continue;
    }
    if (arg == "--skip-import") {
      opt.skip_import = true;
      continue;
    }
    if (arg == "--no-direct-audit") {
      opt.direct_audit = false;
      continue;
    }
    if (i + 1 >= argc) return false;
    const char* value = argv[++i];
    char* end = nullptr;
    const auto number = std::strtoull(value, &end, 10);
    const bool numeric = end != value && *end == '\0';
    if (arg == "--db") opt.db = value;
    else if (arg == "--households" && numeric && number > 0 && number < 10'000'000) opt.households = number;
    else if (arg == "--decisions" && numeric && number > 0) opt.decisions = number;
    else if (arg == "--threads" && numeric && number > 0 && number <= 64) opt.threads = static_cast<unsigned>(number);
    else if (arg == "--batch" && numeric && number > 0) opt.batch = number;
    else if (arg == "--seed" && numeric) opt.seed = number;
    else if (arg == "--audit-delay" && numeric && number <= 60'000) opt.audit_delay_ms = number;
    else if (arg == "--audit-batch" && numeric && number > 0) opt.audit_batch = number;
    else if (arg == "--mmap" && numeric && number < (std::uint64_t{1} << 40)) opt.mmap_bytes = static_cast<std::int64_t>(number);
    else return false;
  }
  return true;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// The number of members of each generated household, so that a random person id can be
// drawn without keeping the households in memory.
std::vector<std::uint8_t> import_households(calp::storage& db, const options& opt) {
  std::vector<std::uint8_t> member_counts;
  member_counts.reserve(opt.households);
  rng_type rng(opt.seed);
  std::uint64_t persons = 0;
  double commit_seconds = 0;
  const auto start = std::chrono::steady_clock::now();
  calp::write_batch batch;
  for (std::uint64_t i = 0; i < opt.households; ++i) {
    auto h = calp::household::from_json(household_json(rng, i));
    if (!h) {
      std::fprintf(stderr, "generated household refused: %s\n", h.error().message.c_str());
      std::exit(2);
    }
    member_counts.push_back(static_cast<std::uint8_t>(h->members().size()));
    persons += h->members().size();
    batch.put(std::move(h).value(), 0);
    if (batch.size() == opt.batch || i + 1 == opt.households) {
      const auto commit_start = std::chrono::steady_clock::now();
      const auto committed = db.commit(batch);
      commit_seconds += seconds_since(commit_start);
      if (!committed) {
        std::fprintf(stderr, "import failed: %s (%s); use a new --db or --skip-import\n",
                     committed.error().message.c_str(), committed.error().field.c_str());
        std::exit(2);
      }
      batch = calp::write_batch{};
    }
  }
  const double total = seconds_since(start);
  const auto n = static_cast<double>(opt.households);
  // The storage's share (commit) is what the import target is about; generating the
  // documents and reading them with household::from_json is the benchmark's own work,
  // shown apart so that neither hides the other.
  std::printf("import: %llu households (%llu persons), batches of %zu\n",
              static_cast<unsigned long long>(opt.households),
              static_cast<unsigned long long>(persons), opt.batch);
  std::printf("import: storage::commit %.2f s: %.0f households/s\n", commit_seconds,
              n / commit_seconds);
  std::printf("import: with generating and parsing the JSON, %.2f s: %.0f households/s\n", total,
              n / total);
  std::printf("import: peak resident memory %.1f MiB\n", static_cast<double>(peak_rss_kib()) / 1024);
  return member_counts;
}

std::vector<std::uint8_t> regenerate_counts(const options& opt) {
  std::vector<std::uint8_t> member_counts;
  member_counts.reserve(opt.households);
  rng_type rng(opt.seed);
  for (std::uint64_t i = 0; i < opt.households; ++i) {
    const auto h = calp::household::from_json(household_json(rng, i));
    member_counts.push_back(static_cast<std::uint8_t>(h->members().size()));
  }
  return member_counts;
}

struct sample_set {
  std::vector<std::uint32_t> nanos;
  std::uint64_t allowed = 0;
  std::uint64_t missing = 0;
};

// One client thread: `n` decisions on random persons, each timed.
sample_set decide_loop(calp::storage& db, const std::vector<std::uint8_t>& counts, std::uint64_t n,
                       std::uint64_t seed, bool by_person, calp::storage_authorizer* authorizer,
                       calp::channel channel) {
  sample_set out;
  out.nanos.reserve(n);
  rng_type rng(seed);
  char person[32];
  char dossier[16];
  for (std::uint64_t k = 0; k < n; ++k) {
    const auto h = uniform(rng, 0, counts.size() - 1);
    const auto m = uniform(rng, 1, counts[h]);
    const int len = std::snprintf(person, sizeof person, "h%llu-p%llu",
                                  static_cast<unsigned long long>(h), static_cast<unsigned long long>(m));
    std::snprintf(dossier, sizeof dossier, "%07llu", static_cast<unsigned long long>(h % 10'000'000));
    const auto act = calp::all_actions[uniform(rng, 0, calp::all_actions.size() - 1)];
    const auto at = day_between(rng, ymd(2020, 1, 1), ymd(2030, 12, 31));

    const auto start = std::chrono::steady_clock::now();
    std::optional<calp::versioned<calp::household>> found;
    if (authorizer != nullptr) {
      const auto r = authorizer->authorize(std::string_view(person, static_cast<std::size_t>(len)),
                                           *calp::dossier_number::parse(dossier), act, channel,
                                           "A4521", at);
      const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::steady_clock::now() - start)
                             .count();
      out.nanos.push_back(static_cast<std::uint32_t>(std::min<long long>(nanos, UINT32_MAX)));
      out.allowed += r && r->allowed;
      out.missing += !r || !r->dossier_found;
      continue;
    }
    if (by_person) {
      const auto id = calp::person_id::parse(std::string_view(person, static_cast<std::size_t>(len)));
      auto households = db.find_households_of(*id);
      if (!households.empty()) found = std::move(households.front());
    } else {
      found = db.find_household(*calp::dossier_number::parse(dossier));
    }
    bool allowed = false;
    if (found) {
      allowed = calp::decide(found->value,
                             calp::request{std::string_view(person, static_cast<std::size_t>(len)),
                                           act, at, calp::channel::online, {}})
                    .allowed;
    }
    const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::steady_clock::now() - start)
                           .count();
    out.nanos.push_back(static_cast<std::uint32_t>(std::min<long long>(nanos, UINT32_MAX)));
    out.allowed += allowed;
    out.missing += !found;
  }
  return out;
}

void measure(calp::storage& db, const std::vector<std::uint8_t>& counts, const options& opt,
             bool by_person, calp::storage_authorizer* authorizer = nullptr,
             calp::channel channel = calp::channel::online, const char* label = nullptr,
             calp::audit_writer* writer = nullptr) {
  std::vector<sample_set> results(opt.threads);
  std::vector<std::thread> workers;
  const auto start = std::chrono::steady_clock::now();
  for (unsigned t = 0; t < opt.threads; ++t) {
    workers.emplace_back([&, t] {
      results[t] = decide_loop(db, counts, opt.decisions, opt.seed + 1 + t, by_person, authorizer,
                               channel);
    });
  }
  for (auto& w : workers) w.join();
  // Decisions audited through a writer count once their events are committed.
  if (writer != nullptr && !writer->flush()) std::printf("AUDIT WRITER FAILED\n");
  const double elapsed = seconds_since(start);

  std::vector<std::uint32_t> all;
  std::uint64_t allowed = 0;
  std::uint64_t missing = 0;
  for (auto& r : results) {
    all.insert(all.end(), r.nanos.begin(), r.nanos.end());
    allowed += r.allowed;
    missing += r.missing;
  }
  std::sort(all.begin(), all.end());
  const auto pct = [&](double p) {
    return static_cast<double>(all[std::min(all.size() - 1, static_cast<std::size_t>(p * static_cast<double>(all.size())))]) / 1000.0;
  };
  const double rate = static_cast<double>(all.size()) / elapsed;
  std::printf("decide %s, %u thread%s: %.0f decisions/s; latency p50 %.1f us, p99 %.1f us, "
              "p99.9 %.1f us, max %.1f us; %.1f %% allowed%s\n",
              label != nullptr ? label
              : by_person      ? "by person (find_households_of)"
                               : "by dossier (find_household)",
              opt.threads, opt.threads == 1 ? "" : "s", rate, pct(0.5), pct(0.99), pct(0.999),
              static_cast<double>(all.back()) / 1000.0,
              100.0 * static_cast<double>(allowed) / static_cast<double>(all.size()),
              missing ? " (SOME HOUSEHOLDS MISSING: was the database imported with these options?)" : "");
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    return usage(argv[0], 0);
  }
  if (!parse_options(argc, argv, opt)) return usage(argv[0], 2);
#ifndef NDEBUG
  std::printf("WARNING: built without NDEBUG; build in Release for meaningful numbers\n");
#endif
  std::printf("calp storage benchmark: %s, %llu households, %llu decisions per thread, %u thread(s)\n",
              calp::redacted_location(opt.db).c_str(), static_cast<unsigned long long>(opt.households),
              static_cast<unsigned long long>(opt.decisions), opt.threads);
  try {
    // The authorizer's rows write the trail as production would: chained.
    const auto key = std::make_shared<const calp::audit_key>(calp::audit_key::generate());
    std::unique_ptr<calp::storage> db;
    if (opt.mmap_bytes) {
      db = std::make_unique<calp::sqlite_storage>(
          calp::sqlite_options{.path = opt.db, .mmap_bytes = *opt.mmap_bytes, .audit_key = key});
    } else {
      db = calp::open_storage(opt.db, calp::open_mode::create_if_missing, key);
    }
    const auto counts = opt.skip_import ? regenerate_counts(opt) : import_households(*db, opt);
    if (struct stat st{}; stat(opt.db.c_str(), &st) == 0) {
      std::printf("database file: %.1f MiB (%.0f bytes per household)\n",
                  static_cast<double>(st.st_size) / (1024.0 * 1024.0),
                  static_cast<double>(st.st_size) / static_cast<double>(opt.households));
    }
    measure(*db, counts, opt, false);
    measure(*db, counts, opt, true);
    if (opt.authorize) {
      // Earlier runs chained their events with other keys: they go, so that the verify
      // below reads this run's trail (anchored by the purge's own event).
      const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
      if (!calp::purge_audit_trail(*db, now, "storage_bench", now)) std::printf("PURGE FAILED\n");
      calp::storage_authorizer direct(*db);
      if (opt.direct_audit) measure(*db, counts, opt, false, &direct, calp::channel::online,
              "storage_authorizer, online, 5 of 8 audited, one commit each");
      if (opt.direct_audit) measure(*db, counts, opt, false, &direct, calp::channel::front_desk,
              "storage_authorizer, front desk, all audited, one commit each");
      calp::audit_writer writer(
          *db, {.max_batch = opt.audit_batch,
                .max_delay = std::chrono::milliseconds(static_cast<std::int64_t>(opt.audit_delay_ms))});
      calp::storage_authorizer grouped(*db, writer);
      measure(*db, counts, opt, false, &grouped, calp::channel::online,
              "storage_authorizer + audit_writer, online, 5 of 8 audited", &writer);
      measure(*db, counts, opt, false, &grouped, calp::channel::front_desk,
              "storage_authorizer + audit_writer, front desk, all audited", &writer);
      const auto stats = writer.stats();
      std::printf("audit_writer: %llu events in %llu commits (%.0f per commit), %llu failed\n",
                  static_cast<unsigned long long>(stats.committed),
                  static_cast<unsigned long long>(stats.commits),
                  stats.commits ? static_cast<double>(stats.committed) / static_cast<double>(stats.commits) : 0.0,
                  static_cast<unsigned long long>(stats.failures));
      // The whole trail, as `calp audit verify` reads it.
      const auto start = std::chrono::steady_clock::now();
      const auto v = calp::verify_audit_trail(*db, *key);
      std::printf("verify_audit_trail: %llu events in %.2f s (%.0f events/s), %s%s\n",
                  static_cast<unsigned long long>(v.events), seconds_since(start),
                  static_cast<double>(v.events) / seconds_since(start),
                  v.intact ? "intact" : "not intact: ", v.intact ? "" : v.problem.c_str());
    }
  } catch (const calp::storage_error& e) {
    std::fprintf(stderr, "storage error: %s\n", e.what());
    return 2;
  }
  return 0;
}
