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
#include <string>
#include <string_view>
#include <thread>
#include <vector>

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
};

int usage(const char* argv0, int status) {
  std::fprintf(status == 0 ? stdout : stderr,
               "usage: %s [--db LOCATION] [--households N] [--decisions N] [--threads N]\n"
               "          [--batch N] [--seed N] [--skip-import] [--authorize]\n"
               "  --db           SQLite path or postgresql:// URI (default storage_bench.sqlite)\n"
               "  --households   households generated and imported (default 1000000)\n"
               "  --decisions    decisions per thread in each timed loop (default 1000000)\n"
               "  --threads      client threads deciding at once (default 1)\n"
               "  --batch        households per commit during the import (default 1000)\n"
               "  --seed         generator seed (default 20260101)\n"
               "  --skip-import  reuse a database imported earlier with the same options\n"
               "  --authorize    also time storage_authorizer: online (5 of 8 actions audited)\n"
               "                 and front desk (every decision audited)\n",
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
             calp::channel channel = calp::channel::online) {
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
              authorizer != nullptr
                  ? (channel == calp::channel::online ? "storage_authorizer, online (audit on)"
                                                      : "storage_authorizer, front desk (audit on)")
                  : by_person ? "by person (find_households_of)" : "by dossier (find_household)",
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
    const auto db = calp::open_storage(opt.db, calp::open_mode::create_if_missing);
    const auto counts = opt.skip_import ? regenerate_counts(opt) : import_households(*db, opt);
    if (struct stat st{}; stat(opt.db.c_str(), &st) == 0) {
      std::printf("database file: %.1f MiB (%.0f bytes per household)\n",
                  static_cast<double>(st.st_size) / (1024.0 * 1024.0),
                  static_cast<double>(st.st_size) / static_cast<double>(opt.households));
    }
    measure(*db, counts, opt, false);
    measure(*db, counts, opt, true);
    if (opt.authorize) {
      calp::storage_authorizer authorizer(*db);
      measure(*db, counts, opt, false, &authorizer, calp::channel::online);
      measure(*db, counts, opt, false, &authorizer, calp::channel::front_desk);
    }
  } catch (const calp::storage_error& e) {
    std::fprintf(stderr, "storage error: %s\n", e.what());
    return 2;
  }
  return 0;
}
