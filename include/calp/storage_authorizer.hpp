#pragma once
/// \file
/// The authorizer over storage (R8, R10, R19): loads the household through a
/// `calp::storage` at the moment of each question, decides with the pure core
/// (`calp::decide`), and records the decision in the audit trail when it concerns
/// another member's data or comes from the front desk.
///
/// ```cpp
/// calp::sqlite_storage db{{.path = "caf.sqlite"}};
/// calp::storage_authorizer authz(db);
/// auto a = authz.authorize("p2", dossier, calp::action::dossier_read,
///                          calp::channel::front_desk, "A4521", today);
/// if (!a) { /* the audit trail could not be written: nothing was decided */ }
/// else if (!a->allowed) { say(a->message); }
/// ```
///
/// Which decisions are audited (`audited(action, channel)`):
/// - every front-desk decision, whatever the action and the outcome (R8);
/// - online, every decision on a dossier-level action, because each of them concerns
///   data that is not only the person's own (DESIGN.md §3):
///   `dossier.read`, `changes.declare`, `benefit.request` read or change the
///   household's file, which holds every member's data (its subject is the
///   allocataire, holder of the dossier); `delegation.manage` acts on the conjoint
///   (subject: the conjoint); `separation.declare` ends the other partner's membership
///   (subject: the other member of the couple).
///   The `own_*` actions concern only the person and are not audited online.
///   Denials are audited as well as grants: a refused look at a dossier is exactly what
///   a control wants to see.
///
/// The event (`audit_event`): kind `decision`; actor the person, or `agent:<id>` at the
/// front desk; subject the person whose data it concerns (above; the person for
/// `own_*`); the dossier; outcome `allowed` or `denied`; detail
/// `{"action": ..., "reason": ..., "date": "YYYY-MM-DD"}`. It never holds a NIR nor a
/// secret: an id given by the caller that reads as a NIR (someone typed the NIR where
/// the member id goes) is written masked, and one that is not a well-formed
/// `person_id` is written as `invalid-person-id` (`audit_person_text`). The storage
/// chains it when opened with an audit key (`calp/audit.hpp`).
///
/// When the event is written: by default in its own commit before the answer, so an
/// answer is never given without its record (one durable sync per audited decision;
/// concurrent callers of one SQLite storage share syncs). Built with an
/// `audit_writer`, the event is queued and committed with others within the writer's
/// `max_delay`: many times faster, at the price of the window that writer describes.
///
/// Freshness (R10): no cache. Every call reads the household again, so a revoked
/// délégation or a separation committed by any process sharing the storage applies on
/// the very next call.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "calp/action.hpp"
#include "calp/audit_writer.hpp"
#include "calp/authorizer.hpp"
#include "calp/clock.hpp"
#include "calp/date.hpp"
#include "calp/error.hpp"
#include "calp/household.hpp"
#include "calp/ids.hpp"
#include "calp/policy.hpp"
#include "calp/roles.hpp"
#include "calp/storage.hpp"

namespace calp {

/// The reason given when the storage has no household for the dossier: a denial of its
/// own, never an allow (never fail open).
inline constexpr std::string_view unknown_dossier_reason = "unknown_dossier";
/// Its French explanation.
inline constexpr std::string_view unknown_dossier_message =
    "Aucun dossier ne porte ce numéro\u00a0: aucune information ne peut être donnée.";

/// The audit event kind of an authorization decision.
inline constexpr std::string_view decision_event_kind = "decision";

/// The answer of `storage_authorizer::authorize`: a `decision` that owns its strings, so
/// it may outlive the policy and the household it was computed from.
struct authorization {
  bool allowed = false;
  /// Stable reason code: the policy's (`"conjoint_without_delegation"`) or
  /// `unknown_dossier_reason`.
  std::string reason;
  /// The French explanation to read out.
  std::string message;
  /// The role derived at the date (`not_member` when the dossier is unknown).
  household_role role = household_role::not_member;
  /// Whether the storage held a household for the dossier.
  bool dossier_found = false;
  /// The `seq` of the audit event written for this decision, when one was written
  /// before the answer (not with an `audit_writer`, which numbers it later).
  std::optional<std::uint64_t> audit_seq;

  explicit operator bool() const noexcept { return allowed; }
};

/// Decides through the storage. Thread-safe as the storage is; holds no state of its own
/// beyond references.
class storage_authorizer {
 public:
  /// `store`, `p` and `clk` must outlive the authorizer. `clk` stamps the audit events
  /// (default: the system clock).
  explicit storage_authorizer(storage& store, const policy& p = policy::caf_default());
  storage_authorizer(storage& store, const policy& p, calp::clock& clk);
  /// Audits through `writer` (file comment), which must outlive the authorizer too.
  storage_authorizer(storage& store, audit_writer& writer,
                     const policy& p = policy::caf_default());
  storage_authorizer(storage& store, audit_writer& writer, const policy& p, calp::clock& clk);

  /// Whether a decision on `a` through `c` is recorded in the audit trail (file comment).
  [[nodiscard]] static bool audited(action a, channel c) noexcept;

  /// Decides whether `person` may do `a` in `dossier` at `at`, through `c` (with the
  /// front-desk `agent`, required there as in `calp::decide`), and audits it when
  /// `audited(a, c)`. The answer is exactly `calp::decide` on the household as stored
  /// now; an unknown dossier denies with `unknown_dossier_reason`.
  ///
  /// Errors: the audit event could not be committed (`errc::storage_conflict`,
  /// `errc::storage_invalid`) or queued (the writer's `submit` errors): then no answer is
  /// given, since an unaudited answer must not be acted on. Infrastructure failures
  /// throw `storage_error`.
  [[nodiscard]] result<authorization> authorize(std::string_view person, const dossier_number& dossier,
                                                action a, channel c, std::string_view agent,
                                                date at);

  /// The same decision, on a household the caller already loaded (e.g. to explain every
  /// action from one read): no storage read, but the audit write as `authorize`.
  [[nodiscard]] result<authorization> authorize_loaded(const household* h, std::string_view person,
                                                       const dossier_number& dossier, action a,
                                                       channel c, std::string_view agent, date at);

  [[nodiscard]] const policy& rules() const noexcept { return *policy_; }

 private:
  storage* store_;
  audit_writer* writer_ = nullptr;
  const policy* policy_;
  calp::clock* clock_;
};

/// The audit-safe text for a person id given by a caller (see the file comment).
[[nodiscard]] std::string audit_person_text(std::string_view person);

}  // namespace calp
