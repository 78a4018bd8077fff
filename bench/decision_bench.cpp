// The decision benchmark (bench/RESULTS.md has the numbers, bench/README.md how to run it).
//
// Generates households deterministically and loads them through the public
// `household::from_json`, pre-generates random requests, then measures, single-threaded:
//   1. deciding on a household already in memory: `calp::decide` with the requests in
//      random household order (cache-hostile) and grouped by household (the household is
//      hot, as when a host has just loaded it), and `calp::decide_batch` over the
//      random-order requests;
//   2. finding the household by person id among all of them, then deciding: with a
//      std::unordered_map (heterogeneous `string_view` lookup) or a flat open-addressing
//      index written here, one `decide` per request or one `decide_batch` per block of 64;
//   3. heap allocations in every timed loop, counted by replacing the global
//      `operator new`/`operator delete`. Any allocation there makes the program exit 1,
//      and so do decision loops that disagree on the number of requests allowed.
// With --diagnostics, a few more loops show where the time goes (memory floor, the
// indexes alone, a reference prefetching loop, smaller batches); they are not targets.
//
// Usage: decision_bench [--households N] [--requests N] [--reps N] [--seed N] [--diagnostics]

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <calp/calp.hpp>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "household_generator.hpp"

// ---------------------------------------------------------------------------------
// Counting allocator: every replaceable global allocation function counts, then
// forwards to malloc / aligned_alloc. Deallocation is not counted (a free without an
// allocation cannot happen in a loop that allocates nothing).

namespace {

std::atomic<std::uint64_t> allocation_count{0};

void* counted_alloc(std::size_t size) noexcept {
  allocation_count.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}

void* counted_aligned_alloc(std::size_t size, std::align_val_t al) noexcept {
  allocation_count.fetch_add(1, std::memory_order_relaxed);
  const auto alignment = std::max(static_cast<std::size_t>(al), sizeof(void*));
  // aligned_alloc wants a size that is a multiple of the alignment.
  const std::size_t rounded =
      (std::max<std::size_t>(size, 1) + alignment - 1) / alignment * alignment;
  return std::aligned_alloc(alignment, rounded);
}

[[nodiscard]] std::uint64_t allocations() noexcept {
  return allocation_count.load(std::memory_order_relaxed);
}

}  // namespace

// All out of line: inlined into their callers, a `new` then `delete` pair is seen by GCC 12
// as malloc then `operator delete`, or `operator new` then free, and it warns
// (-Wmismatched-new-delete) although the pair matches.
[[gnu::noinline]] void* operator new(std::size_t size) {
  if (void* p = counted_alloc(size)) return p;
  throw std::bad_alloc{};
}
[[gnu::noinline]] void* operator new[](std::size_t size) {
  if (void* p = counted_alloc(size)) return p;
  throw std::bad_alloc{};
}
[[gnu::noinline]] void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return counted_alloc(size); }
[[gnu::noinline]] void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return counted_alloc(size);
}
[[gnu::noinline]] void* operator new(std::size_t size, std::align_val_t al) {
  if (void* p = counted_aligned_alloc(size, al)) return p;
  throw std::bad_alloc{};
}
[[gnu::noinline]] void* operator new[](std::size_t size, std::align_val_t al) {
  if (void* p = counted_aligned_alloc(size, al)) return p;
  throw std::bad_alloc{};
}
[[gnu::noinline]] void* operator new(std::size_t size, std::align_val_t al, const std::nothrow_t&) noexcept {
  return counted_aligned_alloc(size, al);
}
[[gnu::noinline]] void* operator new[](std::size_t size, std::align_val_t al, const std::nothrow_t&) noexcept {
  return counted_aligned_alloc(size, al);
}

[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

using namespace calp_bench;

namespace {

using clock_type = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------
// Options

struct options {
  std::uint64_t households = 100'000;
  std::uint64_t requests = 10'000'000;
  std::uint64_t reps = 5;
  std::uint64_t seed = 20260101;
  bool diagnostics = false;
};

bool parse_count(std::string_view text, std::uint64_t& out) {
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc{} && ptr == end;
}

int usage(const char* argv0, int status) {
  std::fprintf(status == 0 ? stdout : stderr,
               "usage: %s [--households N] [--requests N] [--reps N] [--seed N] [--diagnostics]\n"
               "  --households  households generated and loaded (default 100000)\n"
               "  --requests    requests per timed loop (default 10000000)\n"
               "  --reps        repetitions of each measurement (default 5)\n"
               "  --seed        seed of the std::mt19937_64 generators (default 20260101)\n"
               "  --diagnostics also time the loops that show where the time goes\n",
               argv0);
  return status;
}


// A request as it arrives at a host: the person id's bytes travel with it (not a view
// into the household), so the library has to compare them, not a pointer.
struct bench_request {
  std::uint32_t household;  // index of the household the request is sent with
  calp::date at;
  calp::action action;
  calp::channel channel;
  std::uint8_t agent;  // index into `agent_names`; `no_agent` for none
  std::uint8_t person_length;
  char person[20];

  [[nodiscard]] std::string_view person_id() const noexcept { return {person, person_length}; }
};
static_assert(sizeof(bench_request) == 32);

constexpr std::size_t agent_pool = 64;
constexpr std::uint8_t no_agent = agent_pool;

void set_person(bench_request& q, std::string_view id) {
  if (id.size() > sizeof q.person) {
    std::fprintf(stderr, "person id `%.*s` too long for the request record\n",
                 static_cast<int>(id.size()), id.data());
    std::exit(2);
  }
  std::memcpy(q.person, id.data(), id.size());
  q.person_length = static_cast<std::uint8_t>(id.size());
}

// Each request: a random household; one of its members (97 %) or an unknown id (3 %: a
// number this household does not use, or an id no household has); a random action; a
// random day of 2020-2030; online (80 %) or at the front desk with an agent (20 %, of
// which 1 % forget to name the agent, which must be denied).
std::vector<bench_request> make_requests(rng_type& rng,
                                         const std::vector<calp::household>& households,
                                         std::uint64_t n) {
  std::vector<bench_request> out(n);
  char unknown[24];
  for (auto& q : out) {
    q.household = static_cast<std::uint32_t>(uniform(rng, 0, households.size() - 1));
    const auto members = households[q.household].members();
    if (chance(rng, 30)) {
      const int len = chance(rng, 500)
                          ? std::snprintf(unknown, sizeof unknown, "h%u-p99", q.household)
                          : std::snprintf(unknown, sizeof unknown, "u%012llx",
                                          static_cast<unsigned long long>(rng() >> 16));
      set_person(q, {unknown, static_cast<std::size_t>(len)});
    } else {
      set_person(q, members[uniform(rng, 0, members.size() - 1)].id.str());
    }
    q.action = calp::all_actions[uniform(rng, 0, calp::all_actions.size() - 1)];
    q.at = day_between(rng, ymd(2020, 1, 1), ymd(2030, 12, 31));
    if (chance(rng, 200)) {
      q.channel = calp::channel::front_desk;
      q.agent =
          chance(rng, 10) ? no_agent : static_cast<std::uint8_t>(uniform(rng, 0, agent_pool - 1));
    } else {
      q.channel = calp::channel::online;
      q.agent = no_agent;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------
// Person id -> household index. Two of them, built before any timing:
//  - `person_index`: std::unordered_map with heterogeneous lookup by string_view (C++20),
//    so that a lookup never builds a std::string;
//  - `flat_person_index`: a power-of-two open-addressing table written here.

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

using person_index = std::unordered_map<std::string, std::uint32_t, string_hash, std::equal_to<>>;

// One array of 16-byte slots {hash tag, household, id offset, id length}, linear
// probing, at most 60 % full. The ids' bytes are kept once in `keys_`; on a tag match
// the whole id is compared, so a hash collision never returns another person's
// household: the probe goes on to the next slot. Same hash function as the map above
// (std::hash<std::string_view>), so the two differ only by their layout.
class flat_person_index {
 public:
  // False if an id is there twice.
  bool build(const std::vector<calp::household>& households, std::size_t ids) {
    std::size_t capacity = 16;
    while (capacity * 3 < ids * 5) capacity *= 2;
    slots_.assign(capacity, slot{});
    mask_ = capacity - 1;
    keys_.clear();
    for (std::size_t i = 0; i < households.size(); ++i) {
      for (const auto& m : households[i].members()) {
        const std::string_view id = m.id.str();
        if (find(id) >= 0) return false;
        const std::uint64_t h = hash(id);
        std::size_t j = h & mask_;
        while (slots_[j].length != 0) j = (j + 1) & mask_;
        slots_[j] = slot{static_cast<std::uint32_t>(h >> 32), static_cast<std::uint32_t>(i),
                         static_cast<std::uint32_t>(keys_.size()),
                         static_cast<std::uint32_t>(id.size())};
        keys_.insert(keys_.end(), id.begin(), id.end());
        ++size_;
      }
    }
    return true;
  }
  // The household of `id`, or -1.
  [[nodiscard]] std::int64_t find(std::string_view id) const noexcept {
    const std::uint64_t h = hash(id);
    const auto tag = static_cast<std::uint32_t>(h >> 32);
    for (std::size_t j = h & mask_;; j = (j + 1) & mask_) {
      const slot& s = slots_[j];
      if (s.length == 0) return -1;
      if (s.tag == tag && s.length == id.size() &&
          std::memcmp(keys_.data() + s.key, id.data(), id.size()) == 0) {
        return s.household;
      }
    }
  }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return slots_.size(); }
  [[nodiscard]] std::size_t bytes() const noexcept {
    return slots_.size() * sizeof(slot) + keys_.size();
  }

 private:
  struct slot {
    std::uint32_t tag = 0;        // high half of the 64-bit hash (the low bits place it)
    std::uint32_t household = 0;  // index in the host's vector
    std::uint32_t key = 0;        // offset of the id's bytes in keys_
    std::uint32_t length = 0;     // of the id; 0 for an empty slot (ids are never empty)
  };
  static_assert(sizeof(slot) == 16);
  static std::uint64_t hash(std::string_view id) noexcept {
    return std::hash<std::string_view>{}(id);
  }
  std::vector<slot> slots_;
  std::vector<char> keys_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

// Household index of `id`, or -1, in either index.
[[nodiscard]] std::int64_t find_household(const person_index& index, std::string_view id) noexcept {
  const auto it = index.find(id);
  return it == index.end() ? -1 : static_cast<std::int64_t>(it->second);
}
[[nodiscard]] std::int64_t find_household(const flat_person_index& index,
                                          std::string_view id) noexcept {
  return index.find(id);
}

// ---------------------------------------------------------------------------------
// Measurement

struct loop_result {
  double seconds = 0;
  std::uint64_t checksum = 0;
  std::uint64_t allocations = 0;
};

volatile std::uint64_t sink = 0;  // keeps every loop's result observable

// Times one call of `body`, which runs over every request and returns a count (the
// allowed decisions, for the decision loops), and counts the allocations it makes.
template <class Body>
loop_result timed(const Body& body) {
  const auto allocs_before = allocations();
  const auto start = clock_type::now();
  const std::uint64_t checksum = body();
  const auto stop = clock_type::now();
  loop_result r{.seconds = std::chrono::duration<double>(stop - start).count(),
                .checksum = checksum,
                .allocations = allocations() - allocs_before};
  sink = sink + checksum;
  return r;
}

std::array<std::string_view, agent_pool + 1> agent_names;

[[nodiscard]] calp::request to_request(const bench_request& q) noexcept {
  return calp::request{.person = q.person_id(),
                       .action = q.action,
                       .at = q.at,
                       .channel = q.channel,
                       .agent = agent_names[q.agent]};
}

// 1. The household is in memory and known: one `decide` call per request.
std::uint64_t decide_each(const calp::policy& pol, const std::vector<calp::household>& households,
                          const std::vector<bench_request>& requests) {
  std::uint64_t allowed = 0;
  for (const auto& q : requests) {
    const calp::decision d = calp::decide(pol, households[q.household], to_request(q));
    allowed += d.allowed ? 1 : 0;
  }
  return allowed;
}

// 2. The household is in memory and known: `decide_batch` over `batch` (built before
// timing), `block` requests per call, into `out` (preallocated, at least `block`
// decisions, or all of them). The allowed ones are counted from `out`.
std::uint64_t decide_batches(const calp::policy& pol,
                             const std::vector<calp::household_request>& batch,
                             std::vector<calp::decision>& out, std::size_t block) {
  std::uint64_t allowed = 0;
  const std::size_t n = batch.size();
  const bool whole = out.size() >= n;
  for (std::size_t first = 0; first < n; first += block) {
    const std::size_t count = std::min(block, n - first);
    const std::span<calp::decision> to{out.data() + (whole ? first : 0), count};
    calp::decide_batch(pol, std::span{batch.data() + first, count}, to);
    for (const auto& d : to) allowed += d.allowed ? 1 : 0;
  }
  return allowed;
}

// 3. Only the person id is known: find the household, then decide. An id that no
// household has is denied by the host without asking (not a member anywhere).
template <class Index>
std::uint64_t lookup_and_decide(const calp::policy& pol,
                                const std::vector<calp::household>& households,
                                const Index& index, const std::vector<bench_request>& requests) {
  std::uint64_t allowed = 0;
  for (const auto& q : requests) {
    const auto h = find_household(index, q.person_id());
    if (h < 0) continue;
    const calp::decision d =
        calp::decide(pol, households[static_cast<std::size_t>(h)], to_request(q));
    allowed += d.allowed ? 1 : 0;
  }
  return allowed;
}

// 4. Only the person id is known, requests come in blocks: look up a block, then decide
// it with one `decide_batch` call. An unknown id goes in with a null household, which
// `decide_batch` denies (not_member).
constexpr std::size_t lookup_block = 64;

template <class Index>
std::uint64_t lookup_and_decide_batch(const calp::policy& pol,
                                      const std::vector<calp::household>& households,
                                      const Index& index,
                                      const std::vector<bench_request>& requests) {
  std::array<calp::household_request, lookup_block> batch{};
  std::array<calp::decision, lookup_block> out{};
  std::uint64_t allowed = 0;
  const std::size_t n = requests.size();
  for (std::size_t first = 0; first < n; first += lookup_block) {
    const std::size_t count = std::min(lookup_block, n - first);
    for (std::size_t i = 0; i < count; ++i) {
      const auto& q = requests[first + i];
      const auto h = find_household(index, q.person_id());
      batch[i] = {h < 0 ? nullptr : &households[static_cast<std::size_t>(h)], to_request(q)};
    }
    calp::decide_batch(pol, std::span{batch.data(), count}, std::span{out.data(), count});
    for (std::size_t i = 0; i < count; ++i) allowed += out[i].allowed ? 1 : 0;
  }
  return allowed;
}

// ---- diagnostics (--diagnostics): where the time of the loops above goes

// The memory floor: read one word of each household object (the members' span), follow
// no pointer, decide nothing. Consecutive requests' loads overlap freely.
std::uint64_t touch_each(const std::vector<calp::household>& households,
                         const std::vector<bench_request>& requests) {
  std::uint64_t sum = 0;
  for (const auto& q : requests) sum += households[q.household].members().size();
  return sum;
}

// What `decide_batch` is meant to do, written here with public types only: ask for the
// household object `prefetch_ahead` requests ahead (every cache line of it), then
// `decide`. A reference: if `decide_batch` is much slower than this, its prefetching
// does not work. The prefetch is written in the loop itself, not in a helper function:
// GCC 12 deletes calls to a void function whose only effect is `__builtin_prefetch`.
constexpr std::size_t prefetch_ahead = 16;

std::uint64_t decide_prefetched(const calp::policy& pol,
                                const std::vector<calp::household>& households,
                                const std::vector<bench_request>& requests) {
  constexpr std::uintptr_t line = 64;
  std::uint64_t allowed = 0;
  const std::size_t n = requests.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (i + prefetch_ahead < n) {
      const auto at =
          reinterpret_cast<std::uintptr_t>(&households[requests[i + prefetch_ahead].household]);
      for (std::uintptr_t a = at & ~(line - 1); a < at + sizeof(calp::household); a += line) {
        __builtin_prefetch(reinterpret_cast<const void*>(a));
      }
    }
    const auto& q = requests[i];
    allowed += calp::decide(pol, households[q.household], to_request(q)).allowed ? 1 : 0;
  }
  return allowed;
}

// An index alone.
template <class Index>
std::uint64_t lookup_only(const Index& index, const std::vector<bench_request>& requests) {
  std::uint64_t sum = 0;
  for (const auto& q : requests) {
    const auto h = find_household(index, q.person_id());
    if (h >= 0) sum += static_cast<std::uint64_t>(h);
  }
  return sum;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

long peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") return usage(argv[0], 0);
    if (arg == "--diagnostics") {
      opt.diagnostics = true;
      continue;
    }
    std::uint64_t* target = arg == "--households" ? &opt.households
                            : arg == "--requests" ? &opt.requests
                            : arg == "--reps"     ? &opt.reps
                            : arg == "--seed"     ? &opt.seed
                                                  : nullptr;
    if (target == nullptr || i + 1 >= argc || !parse_count(argv[i + 1], *target)) {
      return usage(argv[0], 2);
    }
    ++i;
  }
  if (opt.households == 0 || opt.households > 10'000'000 || opt.requests == 0 || opt.reps == 0) {
    std::fprintf(stderr, "need 1 to 10000000 households, at least 1 request and 1 repetition\n");
    return 2;
  }

  std::vector<std::string> agent_storage;
  agent_storage.reserve(agent_pool);
  for (std::size_t i = 0; i < agent_pool; ++i) {
    agent_storage.push_back("agent-" + std::to_string(1000 + i));
    agent_names[i] = agent_storage.back();
  }
  agent_names[no_agent] = {};

  std::printf("calp decision benchmark (calp %.*s)\n",
              static_cast<int>(calp::version_string.size()), calp::version_string.data());
#ifndef NDEBUG
  std::printf("WARNING: built without NDEBUG; build in Release for meaningful numbers\n");
#endif
  std::printf("households %llu, requests per loop %llu, repetitions %llu, seed %llu\n\n",
              static_cast<unsigned long long>(opt.households),
              static_cast<unsigned long long>(opt.requests),
              static_cast<unsigned long long>(opt.reps), static_cast<unsigned long long>(opt.seed));

  // ---- households: generate the documents, then time only from_json
  rng_type household_rng(opt.seed);
  std::vector<std::string> documents;
  documents.reserve(opt.households);
  std::size_t document_bytes = 0;
  for (std::uint64_t i = 0; i < opt.households; ++i) {
    documents.push_back(household_json(household_rng, i));
    document_bytes += documents.back().size();
  }

  std::vector<calp::household> households;
  households.reserve(opt.households);
  const auto load_allocs_before = allocations();
  const auto load_start = clock_type::now();
  for (const auto& doc : documents) {
    auto h = calp::household::from_json(doc);
    if (!h) {
      std::fprintf(stderr, "generated household refused: %s (%s)\n%s\n", h.error().message.c_str(),
                   h.error().field.c_str(), doc.c_str());
      return 2;
    }
    households.push_back(std::move(h).value());
  }
  const double load_seconds = std::chrono::duration<double>(clock_type::now() - load_start).count();
  const auto load_allocs = allocations() - load_allocs_before;
  documents.clear();
  documents.shrink_to_fit();

  std::size_t members = 0;
  std::size_t couples = 0;
  std::size_t delegations = 0;
  std::size_t leap_births = 0;
  std::size_t personal_benefits = 0;
  std::size_t departures = 0;
  for (const auto& h : households) {
    members += h.members().size();
    couples += h.conjoint() != nullptr ? 1 : 0;
    delegations += h.delegation() ? 1 : 0;
    for (const auto& m : h.members()) {
      leap_births += m.birth_date.month() == std::chrono::February &&
                     m.birth_date.day() == std::chrono::day{29};
      personal_benefits += static_cast<std::size_t>(
          std::count_if(m.benefits.begin(), m.benefits.end(), [&](const calp::benefit& b) {
            return m.role == calp::member_role::conjoint && b.is_personal();
          }));
      departures += m.left ? 1 : 0;
    }
  }
  std::printf("households loaded with household::from_json\n");
  std::printf(
      "  %zu households, %zu members (%zu couples, %zu delegations, %zu conjoint "
      "personal benefits, %zu births on 29 February, %zu departures)\n",
      households.size(), members, couples, delegations, personal_benefits, leap_births, departures);
  std::printf(
      "  %.1f MiB of JSON in %.3f s: %.0f households/s, %.2f us/household, %.1f "
      "allocations/household\n\n",
      static_cast<double>(document_bytes) / (1024.0 * 1024.0), load_seconds,
      static_cast<double>(households.size()) / load_seconds,
      load_seconds * 1e6 / static_cast<double>(households.size()),
      static_cast<double>(load_allocs) / static_cast<double>(households.size()));

  // ---- the person indexes, built before any timing
  auto index_start = clock_type::now();
  person_index index;
  index.reserve(members);
  for (std::size_t i = 0; i < households.size(); ++i) {
    for (const auto& m : households[i].members()) {
      if (!index.try_emplace(std::string(m.id.str()), static_cast<std::uint32_t>(i)).second) {
        std::fprintf(stderr, "person id `%s` is not unique\n", std::string(m.id.str()).c_str());
        return 2;
      }
    }
  }
  double index_seconds = std::chrono::duration<double>(clock_type::now() - index_start).count();
  std::printf("person index, unordered_map: %zu ids in %zu buckets, built in %.3f s\n",
              index.size(), index.bucket_count(), index_seconds);
  index_start = clock_type::now();
  flat_person_index flat_index;
  if (!flat_index.build(households, members)) {
    std::fprintf(stderr, "a person id is not unique\n");
    return 2;
  }
  index_seconds = std::chrono::duration<double>(clock_type::now() - index_start).count();
  std::printf(
      "person index, flat: %zu ids in %zu slots (%.0f %% full), %.1f MiB, built in %.3f s\n\n",
      flat_index.size(), flat_index.capacity(),
      100.0 * static_cast<double>(flat_index.size()) / static_cast<double>(flat_index.capacity()),
      static_cast<double>(flat_index.bytes()) / (1024.0 * 1024.0), index_seconds);

  // ---- requests, generated before any timing
  rng_type request_rng(opt.seed + 1);
  const auto random_order = make_requests(request_rng, households, opt.requests);
  // The same requests grouped by household: each household is used many times in a
  // row, as when a host decides on a household it has just loaded.
  auto grouped = random_order;
  std::stable_sort(
      grouped.begin(), grouped.end(),
      [](const bench_request& a, const bench_request& b) { return a.household < b.household; });
  // The random-order requests as `decide_batch` takes them, and room for every answer.
  std::vector<calp::household_request> batch;
  batch.reserve(random_order.size());
  for (const auto& q : random_order) batch.push_back({&households[q.household], to_request(q)});
  std::vector<calp::decision> batch_out(batch.size());

  const calp::policy& pol = calp::policy::caf_default();  // built once, before timing

  // What the requests ask, and what they get (untimed, for the record). Also checks,
  // for every request, that `standing_at` by person id (which reads the facts kept
  // inside the household when they fit) agrees with the general path over `members()`.
  {
    std::array<std::uint64_t, calp::household_role_count> by_role{};
    std::uint64_t allowed = 0;
    std::uint64_t agent_required = 0;
    std::uint64_t standing_mismatches = 0;
    for (const auto& q : random_order) {
      const auto& h = households[q.household];
      const auto d = calp::decide(pol, h, to_request(q));
      ++by_role[static_cast<std::size_t>(d.role)];
      allowed += d.allowed ? 1 : 0;
      agent_required += d.reason == calp::reasons::agent_required ? 1 : 0;
      const calp::member* m = h.find(q.person_id());
      const calp::standing general = m == nullptr ? calp::standing{} : calp::standing_at(h, *m, q.at);
      standing_mismatches += calp::standing_at(h, q.person_id(), q.at) == general ? 0 : 1;
    }
    const auto pct = [&](std::uint64_t n) {
      return 100.0 * static_cast<double>(n) / static_cast<double>(random_order.size());
    };
    std::printf("request mix: %.1f %% allowed; roles:", pct(allowed));
    for (std::size_t r = 0; r < by_role.size(); ++r) {
      std::printf(" %s %.1f %%%s",
                  std::string(calp::to_string(static_cast<calp::household_role>(r))).c_str(),
                  pct(by_role[r]), r + 1 < by_role.size() ? "," : "");
    }
    std::printf("; agent_required %.2f %%\n", pct(agent_required));
    // Which households the facts inside the object can describe, by the capacities of
    // include/calp/household.hpp (6 members, ids of 22 characters, 2 personal benefits of
    // the conjoint); the others take the general path.
    std::size_t quick = 0;
    for (const auto& h : households) {
      const auto ms = h.members();
      bool fits = ms.size() <= 6;
      for (const auto& m : ms) fits = fits && m.id.str().size() <= 22;
      if (const auto* c = h.conjoint()) {
        fits = fits && std::count_if(c->benefits.begin(), c->benefits.end(),
                                     [](const calp::benefit& b) { return b.is_personal(); }) <= 2;
      }
      quick += fits ? 1 : 0;
    }
    std::printf(
        "households within the in-object facts' capacity: %zu of %zu; standing_at by id vs "
        "general path: %llu mismatches\n",
        quick, households.size(), static_cast<unsigned long long>(standing_mismatches));
    std::printf(
        "sizeof: household %zu, household_request %zu, decision %zu, bench request %zu bytes\n",
        sizeof(calp::household), sizeof(calp::household_request), sizeof(calp::decision),
        sizeof(bench_request));
    std::printf("peak RSS so far %ld MiB\n\n", peak_rss_mib());
    if (standing_mismatches != 0) {
      std::fprintf(stderr, "error: standing_at by person id disagrees with the general path\n");
      return 1;
    }
  }

  // ---- timed loops
  struct series {
    std::string name;
    bool counts_allowed;  // the body returns the allowed count: must match the others
    std::function<std::uint64_t()> body;
    std::vector<loop_result> runs = {};
  };
  std::vector<series> measured;
  measured.push_back({"decide, in memory, random order", true,
                      [&] { return decide_each(pol, households, random_order); }});
  measured.push_back({"decide, in memory, grouped (hot)", true,
                      [&] { return decide_each(pol, households, grouped); }});
  measured.push_back({"decide_batch, in memory, random, 1 call", true,
                      [&] { return decide_batches(pol, batch, batch_out, batch.size()); }});
  measured.push_back({"lookup unordered_map + decide", true,
                      [&] { return lookup_and_decide(pol, households, index, random_order); }});
  measured.push_back({"lookup flat index + decide", true, [&] {
                        return lookup_and_decide(pol, households, flat_index, random_order);
                      }});
  measured.push_back({"lookup flat index + decide_batch, by 64", true, [&] {
                        return lookup_and_decide_batch(pol, households, flat_index, random_order);
                      }});
  constexpr std::size_t target_rows = 6;
  if (opt.diagnostics) {
    measured.push_back({"floor: read household object, random", false,
                        [&] { return touch_each(households, random_order); }});
    measured.push_back({"unordered_map lookup alone", false,
                        [&] { return lookup_only(index, random_order); }});
    measured.push_back({"flat index lookup alone", false,
                        [&] { return lookup_only(flat_index, random_order); }});
    measured.push_back({"decide + prefetch 16 ahead in the bench", true,
                        [&] { return decide_prefetched(pol, households, random_order); }});
    measured.push_back({"decide_batch, in memory, random, by 64", true,
                        [&] { return decide_batches(pol, batch, batch_out, lookup_block); }});
    measured.push_back({"lookup unordered_map + decide_batch, by 64", true, [&] {
                          return lookup_and_decide_batch(pol, households, index, random_order);
                        }});
  }
  // One untimed warm-up pass of each loop, then the repetitions, interleaved so that
  // noise from the machine spreads over all the loops.
  for (auto& s : measured) (void)timed(s.body);
  for (std::uint64_t rep = 0; rep < opt.reps; ++rep) {
    for (auto& s : measured) s.runs.push_back(timed(s.body));
  }

  bool consistent = true;
  std::uint64_t timed_allocations = 0;
  std::uint64_t timed_passes = 0;
  std::vector<double> best_rate;
  std::printf("%-44s %11s %11s %10s %10s %9s\n", "single thread, one loop = all requests",
              "best M/s", "median M/s", "best ns", "median ns", "allocs");
  std::printf("%-44s %11s %11s %10s %10s %9s\n", "", "", "", "per req.", "per req.", "total");
  for (std::size_t s = 0; s < measured.size(); ++s) {
    if (s == target_rows) std::printf("diagnostics (not targets):\n");
    const auto& runs = measured[s].runs;
    std::vector<double> rates;
    std::uint64_t allocs = 0;
    for (const auto& r : runs) {
      rates.push_back(static_cast<double>(opt.requests) / r.seconds);
      allocs += r.allocations;
      consistent = consistent && r.checksum == runs.front().checksum;
    }
    // Every decision loop answers the same requests: same number allowed. (An id no
    // household has is denied whether the host or `decide` finds out.)
    if (measured[s].counts_allowed) {
      consistent = consistent && runs.front().checksum == measured.front().runs.front().checksum;
    }
    timed_allocations += allocs;
    timed_passes += runs.size();
    const double best = *std::max_element(rates.begin(), rates.end());
    const double med = median(rates);
    best_rate.push_back(best);
    std::printf("%-44s %11.2f %11.2f %10.1f %10.1f %9llu\n", measured[s].name.c_str(), best / 1e6,
                med / 1e6, 1e9 / best, 1e9 / med, static_cast<unsigned long long>(allocs));
  }
  std::printf(
      "\nallowed: %llu of %llu in every decision loop: %s\n",
      static_cast<unsigned long long>(measured.front().runs.front().checksum),
      static_cast<unsigned long long>(opt.requests), consistent ? "yes" : "NO");
  std::printf(
      "heap allocations in the timed loops: %llu over %llu requests (%.3g per request)\n",
      static_cast<unsigned long long>(timed_allocations),
      static_cast<unsigned long long>(opt.requests * timed_passes),
      static_cast<double>(timed_allocations) / static_cast<double>(opt.requests * timed_passes));
  std::printf("peak RSS %ld MiB; checksum %llu\n\n", peak_rss_mib(),
              static_cast<unsigned long long>(sink));

  const auto verdict = [](bool ok) { return ok ? "met" : "MISSED"; };
  std::printf("targets (issue), best of %llu:\n", static_cast<unsigned long long>(opt.reps));
  std::printf("  >= 10 M/s in memory, decide, random order:        %6.2f M/s  %s\n",
              best_rate[0] / 1e6, verdict(best_rate[0] >= 10e6));
  std::printf("  >= 10 M/s in memory, decide, grouped (hot):       %6.2f M/s  %s\n",
              best_rate[1] / 1e6, verdict(best_rate[1] >= 10e6));
  std::printf("  >= 10 M/s in memory, decide_batch, random order:  %6.2f M/s  %s\n",
              best_rate[2] / 1e6, verdict(best_rate[2] >= 10e6));
  std::printf("  >= 2 M/s with lookup, unordered_map + decide:      %6.2f M/s  %s\n",
              best_rate[3] / 1e6, verdict(best_rate[3] >= 2e6));
  std::printf("  >= 2 M/s with lookup, flat index + decide:         %6.2f M/s  %s\n",
              best_rate[4] / 1e6, verdict(best_rate[4] >= 2e6));
  std::printf("  >= 2 M/s with lookup, flat index + decide_batch:   %6.2f M/s  %s\n",
              best_rate[5] / 1e6, verdict(best_rate[5] >= 2e6));
  std::printf("  no heap allocation per decision:                  %6llu      %s\n",
              static_cast<unsigned long long>(timed_allocations), verdict(timed_allocations == 0));

  if (!consistent) {
    std::fprintf(stderr, "error: the loops disagree on the number of allowed requests\n");
    return 1;
  }
  if (timed_allocations != 0) {
    std::fprintf(stderr, "error: %llu heap allocations in the timed loops\n",
                 static_cast<unsigned long long>(timed_allocations));
    return 1;
  }
  return 0;
}
