#include "calp/delegation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "accounts/delegation_notices.hpp"
#include "accounts/service_impl.hpp"
#include "calp/notices.hpp"

namespace calp {

using json = nlohmann::json;

std::string_view to_string(household_outcome o) noexcept {
  switch (o) {
    case household_outcome::done: return "done";
    case household_outcome::unknown: return "unknown";
    case household_outcome::not_allocataire: return "not_allocataire";
    case household_outcome::no_conjoint: return "no_conjoint";
    case household_outcome::already_granted: return "already_granted";
    case household_outcome::no_delegation: return "no_delegation";
    case household_outcome::not_allowed: return "not_allowed";
    case household_outcome::conjoint_present: return "conjoint_present";
    case household_outcome::benefit_overlaps: return "benefit_overlaps";
    case household_outcome::no_open_benefit: return "no_open_benefit";
    case household_outcome::invalid: return "invalid";
  }
  return "unknown";
}

namespace {

household_change answer(household_outcome o) { return household_change{o, std::nullopt}; }

household_change invalid(error e) {
  return household_change{household_outcome::invalid, std::move(e)};
}

// What a change computes in one round: the outcome, and when it is `done`, the batch to
// commit.
struct plan {
  household_change change;
  write_batch batch;
};

// The event of a household change: always about one dossier.
audit_event household_event(timestamp now, std::string kind, std::string actor,
                             std::string subject, const dossier_number& dossier,
                             std::string outcome, std::string detail = {}) {
  return detail::make_event(now, {std::move(kind), std::move(actor), std::move(subject),
                                  std::move(outcome), std::move(detail),
                                  std::string(dossier.str())});
}

// The household rebuilt with other members or another délégation, every invariant
// checked again.
result<household> rebuild(const household& h, std::vector<member> members,
                          std::optional<delegation> d) {
  return household::make(h.dossier(), std::move(members), std::move(d));
}

std::vector<member> members_of(const household& h) { return {h.members().begin(), h.members().end()}; }

// "agent:<id>", or the error for an agent id that is not one.
result<std::string> agent_actor(std::string_view agent) {
  auto id = person_id::parse(agent);
  if (!id) return fail(errc::person_id_format, id.error().message, "agent");
  return "agent:" + std::string(id->str());
}

// Runs `compute` against fresh reads until its batch commits or it refuses.
template <class Compute>
household_change run(storage& store, std::string_view what, Compute compute) {
  for (int round = 0; round < detail::max_commit_rounds; ++round) {
    plan p = compute();
    if (p.batch.empty() || detail::commit_or_conflict(store, p.batch, "household service")) return p.change;
  }
  detail::too_many_conflicts(what);
}

}  // namespace

// ---------------------------------------------------------------------------------
// délégation

namespace {

// The first given name and the family name as recorded, or the id.
std::string display_name(storage& store, const person_id& id) {
  const auto p = store.find_person(id);
  if (!p || !p->value.civil_status) return std::string(id.str());
  const auto& cs = *p->value.civil_status;
  const std::string_view given = cs.given_names;
  const std::string_view first = given.substr(0, given.find(' '));
  if (first.empty() && cs.family_name.empty()) return std::string(id.str());
  if (first.empty()) return cs.family_name;
  if (cs.family_name.empty()) return std::string(first);
  return fmt::format("{} {}", first, cs.family_name);
}

// The délégation checks shared by grant and revoke, at `today`: the outcome that refuses,
// or nothing when `by` is the allocataire of a household in a couple.
std::optional<household_outcome> delegation_refusal(const household& h, const person_id& by,
                                                    date today) {
  const member* m = h.find(by.str());
  if (m == nullptr) return household_outcome::unknown;
  if (h.allocataire().id != by || !m->member_at(today)) return household_outcome::not_allocataire;
  const member* conj = h.conjoint();
  if (conj == nullptr || !conj->member_at(today)) return household_outcome::no_conjoint;
  return std::nullopt;
}

bool applies_to_conjoint(const household& h, date today) {
  const auto& d = h.delegation();
  const member* conj = h.conjoint();
  return d && conj != nullptr && d->to == conj->id && d->active_at(today);
}

}  // namespace

void detail::inform_delegation(storage& store, notifier& notify, delegation_change change,
                               const person_id& alloc, const person_id& conj, date on) noexcept {
  try {
    const std::string alloc_name = display_name(store, alloc);
    const std::string conj_name = display_name(store, conj);
    const auto tell = [&](const person_id& who, notices::delegation_reader reader,
                          const std::string& other) {
      const auto acc = store.find_account(who);
      if (!acc) return;
      for (const auto& c : acc->value.contacts) {
        if (!c.verified_at) continue;
        try {
          if (c.kind == contact_kind::mobile) {
            notify.send_sms(change == delegation_change::granted
                                ? notices::delegation_granted_sms(c.value, reader, other, on)
                                : notices::delegation_revoked_sms(c.value, reader, other, on));
          } else {
            notify.send_email(change == delegation_change::granted
                                  ? notices::delegation_granted_email(c.value, reader, other, on)
                                  : notices::delegation_revoked_email(c.value, reader, other, on));
          }
        } catch (...) {
          // Not delivered: the notifier contract makes a lost notice the only failure.
        }
      }
    };
    tell(alloc, notices::delegation_reader::allocataire, conj_name);
    tell(conj, notices::delegation_reader::conjoint, alloc_name);
  } catch (...) {
    // A storage failure while reading the contact points: the change is committed, and
    // only the notice is lost.
  }
}

household_change household_service::grant_delegation(const person_id& by,
                                                     const dossier_number& dossier) {
  return change_delegation(by, dossier, true);
}

household_change household_service::revoke_delegation(const person_id& by,
                                                      const dossier_number& dossier) {
  return change_delegation(by, dossier, false);
}

// Grant and revocation differ only in what must already be there, the délégation they
// leave, and the words of their event and notice.
household_change household_service::change_delegation(const person_id& by,
                                                      const dossier_number& dossier, bool grant) {
  const timestamp now = clock_->now();
  const date today = detail::day_of(now);
  std::optional<person_id> conjoint;
  auto done = run(*store_, "a délégation", [&]() -> plan {
    plan p;
    const auto h = store_->find_household(dossier);
    if (!h) return {answer(household_outcome::unknown), {}};
    auto refusal = delegation_refusal(h->value, by, today);
    if (!refusal && applies_to_conjoint(h->value, today) == grant) {
      refusal = grant ? household_outcome::already_granted : household_outcome::no_delegation;
    }
    if (refusal) {
      if (*refusal != household_outcome::unknown) {
        p.batch.append(household_event(now, "delegation.refused", std::string(by.str()),
                             std::string(by.str()), dossier, std::string(to_string(*refusal)),
                             json{{"asked", grant ? "grant" : "revoke"}}.dump()));
      }
      p.change = answer(*refusal);
      return p;
    }
    delegation next_delegation = grant ? delegation{h->value.conjoint()->id, today, std::nullopt}
                                       : *h->value.delegation();
    if (!grant) next_delegation.revoked = today;
    const person_id to = next_delegation.to;
    auto next = rebuild(h->value, members_of(h->value), std::move(next_delegation));
    if (!next) return {invalid(next.error()), {}};
    p.batch.put(std::move(*next), h->version);
    p.batch.append(household_event(now, grant ? "delegation.granted" : "delegation.revoked",
                         std::string(by.str()), std::string(to.str()), dossier, "ok",
                         json{{grant ? "from" : "on", format_date(today)}}.dump()));
    p.change = answer(household_outcome::done);
    conjoint = to;
    return p;
  });
  if (done.outcome == household_outcome::done && conjoint) {
    detail::inform_delegation(*store_, *notify_,
                              grant ? detail::delegation_change::granted
                                    : detail::delegation_change::revoked,
                              by, *conjoint, today);
  }
  return done;
}

std::optional<delegation_screen_data> household_service::delegation_screen(
    const person_id& person, const dossier_number& dossier) {
  const date today = detail::day_of(clock_->now());
  const auto h = store_->find_household(dossier);
  if (!h || h->value.find(person.str()) == nullptr) return std::nullopt;
  delegation_screen_data screen;
  if (delegation_refusal(h->value, person, today)) return screen;  // R7: not shown
  const member& conj = *h->value.conjoint();
  screen.applies = true;
  screen.conjoint = conj.id;
  screen.conjoint_name = display_name(*store_, conj.id);
  screen.granted = applies_to_conjoint(h->value, today);
  if (screen.granted) {
    screen.granted_on = h->value.delegation()->granted;
    screen.sentence = fmt::format("Vous autorisez {} à gérer votre dossier depuis le {}.",
                                  screen.conjoint_name,
                                  notices::format_french_date(*screen.granted_on));
  } else {
    screen.sentence =
        fmt::format("Vous n'autorisez pas {} à gérer votre dossier.", screen.conjoint_name);
  }
  screen.introduction = screen.granted
                            ? "Vous êtes le responsable de votre dossier Caf.\n"
                              "Vous avez autorisé votre conjoint(e) à\u00a0:"
                            : "Vous êtes le responsable de votre dossier Caf.\n"
                              "Aujourd'hui, vous êtes seul(e) à pouvoir consulter les données du "
                              "dossier.\n"
                              "Vous pouvez dès à présent autoriser votre conjoint(e) à\u00a0:";
  screen.question = fmt::format(
      "J'autorise {} à consulter les données du dossier et à réaliser les démarches.",
      screen.conjoint_name);
  screen.reminder =
      "À tout moment, vous pourrez revenir sur votre choix dans le menu «\u00a0Gérer Mon Compte\u00a0».";
  return screen;
}

// ---------------------------------------------------------------------------------
// household changes

household_change household_service::declare_separation(const person_id& by,
                                                       const dossier_number& dossier, date on) {
  const timestamp now = clock_->now();
  return run(*store_, "a separation", [&]() -> plan {
    plan p;
    const auto h = store_->find_household(dossier);
    if (!h || h->value.find(by.str()) == nullptr) return {answer(household_outcome::unknown), {}};
    const member* conj = h->value.conjoint();
    if (conj == nullptr || !conj->member_at(on)) return {answer(household_outcome::no_conjoint), {}};
    if (h->value.allocataire().id != by && conj->id != by) {
      return {answer(household_outcome::not_allowed), {}};
    }
    const person_id leaving = conj->id;
    std::vector<member> members = members_of(h->value);
    for (auto& m : members) {
      if (m.id == leaving) m.left = on;
    }
    // The délégation ends on the day of the separation (R7); one granted later than that
    // never applied, and is closed on its own first day.
    std::optional<delegation> d = h->value.delegation();
    bool ended = false;
    if (d && (!d->revoked || *d->revoked > on)) {
      d->revoked = std::max(on, d->granted);
      ended = true;
    }
    auto next = rebuild(h->value, std::move(members), std::move(d));
    if (!next) return {invalid(next.error()), {}};
    p.batch.put(std::move(*next), h->version);
    p.batch.append(household_event(now, "household.separation", std::string(by.str()),
                         std::string(leaving.str()), dossier, "ok",
                         json{{"on", format_date(on)}, {"delegation_ended", ended}}.dump()));
    p.change = answer(household_outcome::done);
    return p;
  });
}

household_change household_service::add_conjoint(std::string_view agent,
                                                 const dossier_number& dossier, member newcomer) {
  const auto actor = agent_actor(agent);
  if (!actor) return invalid(actor.error());
  const timestamp now = clock_->now();
  const date today = detail::day_of(now);
  newcomer.role = member_role::conjoint;
  return run(*store_, "a new conjoint", [&]() -> plan {
    plan p;
    const auto h = store_->find_household(dossier);
    if (!h) return {answer(household_outcome::unknown), {}};
    const member* former = h->value.conjoint();
    if (former != nullptr && former->member_at(today)) {
      return {answer(household_outcome::conjoint_present), {}};
    }
    std::vector<member> members = members_of(h->value);
    for (auto& m : members) {
      if (m.role == member_role::conjoint) m.role = member_role::other;
    }
    members.push_back(newcomer);
    // The former conjoint's délégation ended with the separation; it cannot name the
    // newcomer, so the household drops it (the trail keeps its history).
    auto next = rebuild(h->value, std::move(members), std::nullopt);
    if (!next) return {invalid(next.error()), {}};
    p.batch.put(std::move(*next), h->version);
    p.batch.append(household_event(now, "household.conjoint_joined", *actor, std::string(newcomer.id.str()),
                         dossier, "ok"));
    p.change = answer(household_outcome::done);
    return p;
  });
}

household_change household_service::record_benefit(std::string_view agent,
                                                   const dossier_number& dossier,
                                                   const person_id& person, benefit b) {
  const auto actor = agent_actor(agent);
  if (!actor) return invalid(actor.error());
  const timestamp now = clock_->now();
  return run(*store_, "a benefit", [&]() -> plan {
    plan p;
    const auto h = store_->find_household(dossier);
    if (!h || h->value.find(person.str()) == nullptr) {
      return {answer(household_outcome::unknown), {}};
    }
    std::vector<member> members = members_of(h->value);
    for (auto& m : members) {
      if (m.id != person) continue;
      for (const auto& held : m.benefits) {
        const bool overlaps = held.code == b.code && (!held.until || b.from <= *held.until) &&
                              (!b.until || held.from <= *b.until);
        if (overlaps) return {answer(household_outcome::benefit_overlaps), {}};
      }
      m.benefits.push_back(b);
    }
    auto next = rebuild(h->value, std::move(members), h->value.delegation());
    if (!next) return {invalid(next.error()), {}};
    p.batch.put(std::move(*next), h->version);
    json detail{{"code", b.code}, {"from", format_date(b.from)}};
    if (b.until) detail["until"] = format_date(*b.until);
    p.batch.append(household_event(now, "household.benefit_started", *actor, std::string(person.str()),
                         dossier, "ok", detail.dump()));
    p.change = answer(household_outcome::done);
    return p;
  });
}

household_change household_service::end_benefit(std::string_view agent,
                                                const dossier_number& dossier,
                                                const person_id& person, std::string_view code,
                                                date last_day) {
  const auto actor = agent_actor(agent);
  if (!actor) return invalid(actor.error());
  const timestamp now = clock_->now();
  return run(*store_, "the end of a benefit", [&]() -> plan {
    plan p;
    const auto h = store_->find_household(dossier);
    if (!h || h->value.find(person.str()) == nullptr) {
      return {answer(household_outcome::unknown), {}};
    }
    std::vector<member> members = members_of(h->value);
    bool found = false;
    for (auto& m : members) {
      if (m.id != person) continue;
      for (auto& held : m.benefits) {
        if (held.code == code && !held.until) {
          held.until = last_day;
          found = true;
          break;
        }
      }
    }
    if (!found) return {answer(household_outcome::no_open_benefit), {}};
    auto next = rebuild(h->value, std::move(members), h->value.delegation());
    if (!next) return {invalid(next.error()), {}};
    p.batch.put(std::move(*next), h->version);
    p.batch.append(household_event(now, "household.benefit_ended", *actor, std::string(person.str()),
                         dossier, "ok",
                         json{{"code", code}, {"until", format_date(last_day)}}.dump()));
    p.change = answer(household_outcome::done);
    return p;
  });
}

}  // namespace calp
