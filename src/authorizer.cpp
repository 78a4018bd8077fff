#include "calp/authorizer.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "detail/input_text.hpp"

namespace calp {

std::string_view to_string(channel c) noexcept {
  return c == channel::front_desk ? "front-desk" : "online";
}

result<channel> parse_channel(std::string_view name) {
  if (name == "online") return channel::online;
  if (name == "front-desk" || name == "front_desk") return channel::front_desk;
  return fail(errc::channel_unknown,
              fmt::format("unknown channel `{}`; expected online or front-desk", detail::echo(name)));
}

namespace {

decision answer(const policy& p, policy::outcome o, household_role role) noexcept {
  return decision{o.allowed, p.reason_code(o.reason), p.reason_message(o.reason), role};
}

}  // namespace

decision decide(const policy& p, const household& h, const request& r) noexcept {
  const standing s = standing_at(h, r.person, r.at);
  // R8: the front desk gets the online answer, and only for a named agent; an
  // unnamed one is denied before anything about the person is looked at.
  const policy::outcome o = r.channel == channel::front_desk && r.agent.empty()
                                ? p.engine_outcome(reasons::agent_required)
                                : p.evaluate(r.action, s);
  return answer(p, o, s.role);
}

decision decide(const household& h, const request& r) noexcept {
  return decide(policy::caf_default(), h, r);
}

void decide_batch(const policy& p, std::span<const household_request> batch,
                  std::span<decision> out) noexcept {
  // Far enough ahead to cover a memory round trip, near enough to stay in the cache
  // (measured in bench/RESULTS.md). The facts a decision reads open the household
  // object, so its first lines are all that is asked for.
  constexpr std::size_t ahead = 16;
  constexpr std::size_t cache_line = 64;
  constexpr std::size_t prefetched = std::min<std::size_t>(sizeof(household), 4 * cache_line);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    // Written out, not in a helper: GCC 12 dropped the prefetches of a lambda as having
    // no effect.
    if (i + ahead < batch.size() && batch[i + ahead].in != nullptr) {
      const auto* bytes = reinterpret_cast<const char*>(batch[i + ahead].in);
      for (std::size_t offset = 0; offset < prefetched; offset += cache_line) {
        __builtin_prefetch(bytes + offset);
      }
    }
    const household_request& q = batch[i];
    out[i] = q.in != nullptr ? decide(p, *q.in, q.what)
                             : answer(p, p.engine_outcome(reasons::not_member),
                                      household_role::not_member);
  }
}

}  // namespace calp
