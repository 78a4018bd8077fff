#pragma once
/// \file
/// The decision (R5–R9): a pure function of the policy, the household facts, the
/// person, the action, the date and the channel. No clock, no I/O, no allocation. It
/// never fails open: anything it cannot establish denies.

#include <span>
#include <string_view>

#include "calp/action.hpp"
#include "calp/date.hpp"
#include "calp/household.hpp"
#include "calp/policy.hpp"
#include "calp/roles.hpp"

namespace calp {

/// Where the question is asked.
enum class channel : unsigned char {
  online,      ///< the person, in their own account
  front_desk,  ///< an agent at the counter or on the phone, for the person (R8)
};

/// `"online"`, `"front-desk"`.
[[nodiscard]] std::string_view to_string(channel c) noexcept;
/// Accepts `online`, `front-desk` (and `front_desk`). Errors: `errc::channel_unknown`.
[[nodiscard]] result<channel> parse_channel(std::string_view name);

/// One question. The views must stay valid during the call only.
struct request {
  std::string_view person;
  calp::action action = calp::action::own_data_read;
  date at;
  calp::channel channel = calp::channel::online;
  /// The agent's id; required at the front desk, ignored online.
  std::string_view agent = {};
};

/// The answer (R9): a value, never an exception.
struct decision {
  bool allowed = false;
  /// Stable reason code (`"conjoint_sans_delegation"`). Points into the policy.
  std::string_view reason;
  /// A short French explanation an agent can read out. Points into the policy.
  std::string_view message;
  /// The role that was derived, for diagnostics.
  household_role role = household_role::not_member;

  explicit operator bool() const noexcept { return allowed; }
};

/// Decides `r` for household `h` under `p`. The front desk gets exactly the online
/// answer (R8), but only when it names an agent: without one it is denied with
/// `reasons::agent_required`. The decision refers to `p`'s strings: `p` must outlive it.
[[nodiscard]] decision decide(const policy& p, const household& h, const request& r) noexcept;

/// `decide` under `policy::caf_default()`.
[[nodiscard]] decision decide(const household& h, const request& r) noexcept;

/// One question of a batch: a request about a household the caller holds.
struct household_request {
  const calp::household* in = nullptr;
  calp::request what;
};

/// Decides every request of `batch` into the same position of `out`, exactly as
/// `decide` would one by one. Faster on many households: it asks the processor for the
/// households a few requests ahead, so their memory loads overlap. A null household
/// denies with `reasons::not_member`. Precondition: `out.size() >= batch.size()`.
void decide_batch(const policy& p, std::span<const household_request> batch,
                  std::span<decision> out) noexcept;

}  // namespace calp
