#pragma once
/// \file
/// The délégation de gestion (R7) and the changes of a household's facts (DESIGN.md §3):
/// what the allocataire's "Mes autorisations" screen shows and does, a separation, a new
/// conjoint, a benefit that starts or ends. Every change is one storage commit that puts
/// the household at the version read, so it holds when several processes share the
/// storage and takes effect on the very next decision made from a fresh read (R10).
///
/// ```cpp
/// calp::household_service households{store, notifier, clock};
/// auto screen = households.delegation_screen(me, dossier);
/// if (screen && screen->applies) show(screen->sentence, screen->capabilities);
/// if (households.grant_delegation(me, dossier).outcome == calp::household_outcome::done) ...
/// ```
///
/// A household holds one optional délégation. A revoked délégation stays in the household
/// as data (`revoked` set) until the allocataire grants it again, which replaces it; the
/// audit trail keeps every grant and revocation.
///
/// Audit events (R19) appended by this service, in the same commit as the change:
///
/// | kind                        | actor                 | subject        | outcome / detail |
/// |-----------------------------|-----------------------|----------------|------------------|
/// | `delegation.granted`        | allocataire           | conjoint       | `ok`; date       |
/// | `delegation.revoked`        | allocataire           | conjoint       | `ok`; date       |
/// | `delegation.refused`        | person                | person         | the outcome (`not_allocataire`, `already_granted`, `no_delegation`, `no_conjoint`) |
/// | `household.separation`      | allocataire or conjoint | conjoint     | `ok`; date, whether a délégation ended |
/// | `household.conjoint_joined` | `agent:<id>`          | new conjoint   | `ok`             |
/// | `household.benefit_started` | `agent:<id>`          | member         | `ok`; code, from |
/// | `household.benefit_ended`   | `agent:<id>`          | member         | `ok`; code, last day |
///
/// Every event names the dossier. A délégation refused for a member of a known dossier is
/// audited (`delegation.refused`); an unknown dossier or person, and refused household
/// changes, write nothing.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "calp/clock.hpp"
#include "calp/date.hpp"
#include "calp/error.hpp"
#include "calp/household.hpp"
#include "calp/ids.hpp"
#include "calp/notifier.hpp"
#include "calp/storage.hpp"

namespace calp {

/// What a délégation or household change came to. One enumeration for every operation,
/// so a web layer maps each to a message once.
enum class household_outcome : std::uint8_t {
  done,               ///< recorded (one commit, audited)
  unknown,            ///< no such dossier, or the person is not a member of it
  not_allocataire,    ///< délégation: only the allocataire may grant or revoke it (never the conjoint)
  no_conjoint,        ///< the household has no current conjoint at that date
  already_granted,    ///< grant: a délégation to the conjoint already applies today
  no_delegation,      ///< revoke: no délégation applies today
  not_allowed,        ///< separation declared by a member who is neither allocataire nor conjoint
  conjoint_present,   ///< add_conjoint: the household already has a current conjoint
  benefit_overlaps,   ///< record_benefit: the member holds this benefit over part of that period
  no_open_benefit,    ///< end_benefit: the member holds no open-ended benefit with that code
  invalid,            ///< the change would break a household invariant: see `problem`
};
/// `"done"`, `"unknown"`, `"not_allocataire"`, `"no_conjoint"`, `"already_granted"`,
/// `"no_delegation"`, `"not_allowed"`, `"conjoint_present"`, `"benefit_overlaps"`,
/// `"no_open_benefit"`, `"invalid"`.
[[nodiscard]] std::string_view to_string(household_outcome o) noexcept;

/// The answer of a change.
struct household_change {
  household_outcome outcome = household_outcome::unknown;
  /// For `invalid`: the household error (`errc::household_*`, `errc::date_format`, an
  /// agent id that is not a valid id: `errc::person_id_format` on field `agent`), naming the field.
  std::optional<error> problem;
};

/// The three things the délégation lets the conjoint do, in the seed's words.
inline constexpr std::array<std::string_view, 3> delegation_capabilities = {
    "consulter les droits et paiements", "déclarer des changements", "demander une prestation"};

/// The data of the seed's "Mes autorisations" screen (Gérer Mon Compte), for one person.
struct delegation_screen_data {
  /// True only for the allocataire of a household in a couple today (R7). When false,
  /// the screen is not shown and every other field is empty.
  bool applies = false;
  /// The délégation applies today.
  bool granted = false;
  /// The day the délégation in force was granted.
  std::optional<date> granted_on;
  /// The conjoint.
  std::optional<person_id> conjoint;
  /// The conjoint's first given name and family name as recorded (`Zohra TADJ`), or
  /// their person id when calp has no civil status for them.
  std::string conjoint_name;
  /// The state in one sentence: "Vous n'autorisez pas Zohra TADJ à gérer votre dossier."
  /// or "Vous autorisez Zohra TADJ à gérer votre dossier depuis le 15/01/2026." (the
  /// seed's banner, with the final period every calp sentence has).
  std::string sentence;
  /// The seed's introduction: "Vous êtes le responsable de votre dossier Caf. …", ending
  /// with "… autoriser votre conjoint(e) à :" before the capabilities (no-break space
  /// before the colon; "seul(e)", as calp does not presume the reader's gender).
  std::string introduction;
  /// What the délégation gives: `delegation_capabilities`.
  std::array<std::string_view, 3> capabilities = delegation_capabilities;
  /// The seed's question, answered yes or no: "J'autorise Zohra TADJ à consulter les
  /// données du dossier et à réaliser les démarches."
  std::string question;
  /// "À tout moment, vous pourrez revenir sur votre choix dans le menu « Gérer Mon Compte »."
  /// (no-break spaces inside the guillemets).
  std::string reminder;
};

/// The délégation and the household changes. Thread-safe: one object may serve every
/// thread of a process; several processes may share one storage. The storage, notifier
/// and clock must outlive it. Methods return a typed outcome for every refusal and throw
/// only `calp::storage_error` (storage failure, or a change that kept conflicting with
/// other writers).
class household_service {
 public:
  household_service(storage& store, notifier& notify, calp::clock& clock) noexcept
      : store_(&store), notify_(&notify), clock_(&clock) {}

  // -- délégation de gestion (R7) --------------------------------------------------

  /// The allocataire of `dossier`, in a couple today, authorises the conjoint from today:
  /// `delegation{conjoint, today, none}`, replacing a revoked one. Both are informed at
  /// their verified contact points (none when they have no account). Outcomes: `done`,
  /// `unknown`, `not_allocataire` (the conjoint or another member), `no_conjoint`,
  /// `already_granted`.
  [[nodiscard]] household_change grant_delegation(const person_id& by, const dossier_number& dossier);

  /// The allocataire withdraws the délégation in force: it no longer applies from today
  /// (`revoked = today`; kept in the household as history). Both are informed. Outcomes:
  /// `done`, `unknown`, `not_allocataire`, `no_conjoint`, `no_delegation`.
  [[nodiscard]] household_change revoke_delegation(const person_id& by, const dossier_number& dossier);

  /// The "Mes autorisations" screen of `person` in `dossier` today; nothing when the
  /// dossier is unknown or `person` is not a member of it.
  [[nodiscard]] std::optional<delegation_screen_data> delegation_screen(
      const person_id& person, const dossier_number& dossier);

  // -- household changes ------------------------------------------------------------

  /// The allocataire or the conjoint declares a separation on `on`: the conjoint is no
  /// longer a member from that day (`member::left`), and a délégation ends that day. The
  /// conjoint keeps their person record and account (own data only). `on` may be a past
  /// day (a separation declared late): decisions at dates before it are unchanged, from it
  /// on the conjoint is not a member. Outcomes: `done`,
  /// `unknown`, `no_conjoint` (none, or already left on or before `on`), `not_allowed`
  /// (another member), `invalid`.
  [[nodiscard]] household_change declare_separation(const person_id& by,
                                                    const dossier_number& dossier, date on);

  /// A new conjoint joins, recorded by an agent (`agent` names them: `agent:<id>` in the
  /// trail). `newcomer.role` is set to conjoint; no délégation comes with them. A former
  /// conjoint who left stays listed as `other` (with their `left` date), and the
  /// délégation they held, already ended, is dropped from the household (the trail keeps
  /// its history). Outcomes: `done`, `unknown`, `conjoint_present` (a conjoint is a member
  /// today), `invalid` (an id already in the household, a malformed benefit…).
  [[nodiscard]] household_change add_conjoint(std::string_view agent, const dossier_number& dossier,
                                              member newcomer);

  /// A benefit starts for a member; roles follow from its dates (a conjoint holding AJPA,
  /// BAFA, AAH or PALA is conjoint allocataire from `b.from`). Outcomes: `done`, `unknown`,
  /// `benefit_overlaps`, `invalid`.
  [[nodiscard]] household_change record_benefit(std::string_view agent,
                                                const dossier_number& dossier,
                                                const person_id& person, benefit b);

  /// The open-ended benefit `code` of a member ends: held through `last_day` included,
  /// no longer the day after. Outcomes: `done`, `unknown`, `no_open_benefit`, `invalid`
  /// (`last_day` before the benefit's start).
  [[nodiscard]] household_change end_benefit(std::string_view agent, const dossier_number& dossier,
                                             const person_id& person, std::string_view code,
                                             date last_day);

 private:
  household_change change_delegation(const person_id& by, const dossier_number& dossier,
                                     bool grant);

  storage* store_;
  notifier* notify_;
  calp::clock* clock_;
};

}  // namespace calp
