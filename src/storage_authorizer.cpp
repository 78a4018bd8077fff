#include "calp/storage_authorizer.hpp"

#include <fmt/format.h>

#include "calp/nir.hpp"

namespace calp {

namespace {

system_clock& default_clock() {
  static system_clock c;
  return c;
}

// Whose data a decision concerns (see the header): the allocataire for the household's
// file, the conjoint for the délégation, the other partner for a separation, the person
// for their own data.
std::string subject_of(const household* h, std::string_view person, action a) {
  if (h == nullptr) return audit_person_text(person);
  const member* conjoint = h->conjoint();
  switch (a) {
    case action::dossier_read:
    case action::changes_declare:
    case action::benefit_request:
      return std::string(h->allocataire().id.str());
    case action::delegation_manage:
      return std::string(conjoint != nullptr ? conjoint->id.str() : h->allocataire().id.str());
    case action::separation_declare:
      if (conjoint != nullptr && h->allocataire().id == person) return std::string(conjoint->id.str());
      if (conjoint != nullptr && conjoint->id == person) return std::string(h->allocataire().id.str());
      return std::string(h->allocataire().id.str());
    case action::own_data_read:
    case action::own_contact_update:
    case action::own_password_change:
      break;
  }
  return audit_person_text(person);
}

}  // namespace

std::string audit_person_text(std::string_view person) {
  if (!person_id::parse(person)) return "invalid-person-id";
  if (const auto n = nir::parse(person, nir_profile::lenient)) return n->masked();
  return std::string(person);
}

storage_authorizer::storage_authorizer(storage& store, const policy& p)
    : storage_authorizer(store, p, default_clock()) {}

storage_authorizer::storage_authorizer(storage& store, const policy& p, calp::clock& clk)
    : store_(&store), policy_(&p), clock_(&clk) {}

storage_authorizer::storage_authorizer(storage& store, audit_writer& writer, const policy& p)
    : storage_authorizer(store, writer, p, default_clock()) {}

storage_authorizer::storage_authorizer(storage& store, audit_writer& writer, const policy& p,
                                       calp::clock& clk)
    : store_(&store), writer_(&writer), policy_(&p), clock_(&clk) {}

bool storage_authorizer::audited(action a, channel c) noexcept {
  if (c == channel::front_desk) return true;
  switch (a) {
    case action::separation_declare:
    case action::dossier_read:
    case action::changes_declare:
    case action::benefit_request:
    case action::delegation_manage:
      return true;
    case action::own_data_read:
    case action::own_contact_update:
    case action::own_password_change:
      return false;
  }
  return true;  // an action added later is audited until someone decides otherwise
}

result<authorization> storage_authorizer::authorize(std::string_view person,
                                                    const dossier_number& dossier, action a,
                                                    channel c, std::string_view agent, date at) {
  // Read at the moment of the question, every time (R10).
  const auto found = store_->find_household(dossier);
  return authorize_loaded(found ? &found->value : nullptr, person, dossier, a, c, agent, at);
}

result<authorization> storage_authorizer::authorize_loaded(const household* h, std::string_view person,
                                                           const dossier_number& dossier, action a,
                                                           channel c, std::string_view agent,
                                                           date at) {
  authorization out;
  if (h != nullptr && h->dossier() == dossier) {
    const decision d = decide(*policy_, *h, request{person, a, at, c, agent});
    out.allowed = d.allowed;
    out.reason = std::string(d.reason);
    out.message = std::string(d.message);
    out.role = d.role;
    out.dossier_found = true;
  } else {
    // Never fail open: no household (or one for another dossier) denies.
    h = nullptr;
    out.reason = std::string(unknown_dossier_reason);
    out.message = std::string(unknown_dossier_message);
  }
  if (!audited(a, c)) return out;

  audit_event e;
  e.at = clock_->now();
  e.kind = std::string(decision_event_kind);
  if (c == channel::front_desk) {
    e.actor = "agent:" + (agent.empty() ? std::string("unnamed") : audit_person_text(agent));
  } else {
    e.actor = audit_person_text(person);
  }
  e.subject = subject_of(h, person, a);
  e.dossier = std::string(dossier.str());
  e.outcome = out.allowed ? "allowed" : "denied";
  // Written by hand: this runs for every audited decision, and none of the three values
  // needs escaping (an action name, a policy reason code `[a-z0-9_]`, a date).
  e.detail = fmt::format(R"({{"action":"{}","reason":"{}","date":"{}"}})", to_string(a),
                         out.reason, format_date(at));

  if (writer_ != nullptr) {
    if (auto queued = writer_->submit(std::move(e)); !queued) {
      return unexpected<error>{std::move(queued).error()};
    }
    return out;
  }
  write_batch batch;
  batch.append(std::move(e));
  auto committed = store_->commit(batch);
  if (!committed) return unexpected<error>{std::move(committed).error()};
  if (!committed->audit_seqs.empty()) out.audit_seq = committed->audit_seqs.front();
  return out;
}

}  // namespace calp
