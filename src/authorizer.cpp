#include "calp/authorizer.hpp"

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

decision decide(const policy& p, const household& h, const request& r) noexcept {
  const member* m = h.find(r.person);
  const standing s = m != nullptr ? standing_at(h, *m, r.at) : standing{};
  // R8: the front desk gets the online answer, and only for a named agent; an
  // unnamed one is denied before anything about the person is looked at.
  const policy::outcome o = r.channel == channel::front_desk && r.agent.empty()
                                ? p.engine_outcome(reasons::agent_required)
                                : p.evaluate(r.action, s);
  return decision{o.allowed, p.reason_code(o.reason), p.reason_message(o.reason), s.role};
}

decision decide(const household& h, const request& r) noexcept {
  return decide(policy::caf_default(), h, r);
}

}  // namespace calp
