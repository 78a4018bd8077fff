// Primo-demandeurs (R3, R4, R15): the personal space of a person with no dossier, its
// provisional identifier, the récapitulatif, benefit requests, and the re-keying to a
// certified NIR.

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <utility>

#include "accounts/service_impl.hpp"
#include "crypto/digest.hpp"

namespace calp {

namespace {

using json = nlohmann::json;

// A new provisional identifier: `P` and 8 digits drawn from the CSPRNG, so the next one
// cannot be guessed from the previous (R3).
provisional_id random_provisional_id() {
  const std::string text = fmt::format("P{:08}", detail::random_below(100'000'000));
  return provisional_id::parse(text).value();
}

// Person ids of primo-demandeurs: random, so they say nothing about the order of
// registration either.
person_id new_person_id() {
  return person_id::parse("pd-" + std::string(detail::random_hex(10).view())).value();
}

// The names of `cs` in the form they are stored and compared (normalize_name); an error
// per name that cannot be normalised.
void normalize_names(civil_status& cs, std::vector<error>& errors) {
  const auto normalize = [&](std::string& name, std::string field) {
    auto n = normalize_name(name);
    if (!n) {
      errors.push_back(error{n.error().code, n.error().message, std::move(field)});
      return;
    }
    name = std::move(*n);
  };
  normalize(cs.family_name, "family_name");
  normalize(cs.given_names, "given_names");
  normalize(cs.birth_city, "birth_city");
  for (std::size_t i = 0; i < cs.parents.size(); ++i) {
    normalize(cs.parents[i].family_name, fmt::format("parents[{}].family_name", i));
    normalize(cs.parents[i].given_names, fmt::format("parents[{}].given_names", i));
  }
}

// A stored name and a name in normal form (`normalize_name`) are the same name. A record
// the host imported may hold a name as the host wrote it (`Sophie`), which is `SOPHIE`.
bool same_name(const std::string& stored, const std::string& normalized) {
  if (stored == normalized) return true;
  const auto n = normalize_name(stored);
  return n && *n == normalized;
}

// `cs` with its names normalised, and every error of the declaration: a name that
// cannot be normalised does not hide the mistakes in the other fields.
std::vector<error> checked_civil_status(civil_status& cs, date today) {
  std::vector<error> errors;
  normalize_names(cs, errors);
  for (auto& e : validate_civil_status(cs, today)) {
    const bool reported = std::any_of(errors.begin(), errors.end(),
                                      [&](const error& n) { return n.field == e.field; });
    if (!reported) errors.push_back(std::move(e));
  }
  return errors;
}

// The six pivot fields of R18, which a FranceConnect login makes read-only: `stored` as
// the storage holds them, `normalized` as `normalize_names` left them.
bool same_pivot(const civil_status& stored, const civil_status& normalized) {
  return same_name(stored.family_name, normalized.family_name) &&
         same_name(stored.given_names, normalized.given_names) &&
         stored.gender == normalized.gender && stored.birth_date == normalized.birth_date &&
         stored.birth_country == normalized.birth_country &&
         stored.birth_place == normalized.birth_place;
}

}  // namespace

std::string_view to_string(registration_outcome o) noexcept {
  switch (o) {
    case registration_outcome::registered: return "registered";
    case registration_outcome::invalid: return "invalid";
    case registration_outcome::already_registered: return "already_registered";
  }
  return "invalid";
}

registration_result account_service::register_primo_demandeur(const primo_declaration& declaration) {
  auto& s = *impl_;
  const timestamp now = s.clock.now();
  registration_result out;
  civil_status civ = declaration.civil;
  out.errors = checked_civil_status(civ, detail::day_of(now));
  std::optional<nir> typed_nir;
  if (!declaration.nir.empty()) {
    auto parsed = nir::parse(declaration.nir);
    if (parsed) {
      typed_nir = *parsed;
    } else {
      out.errors.push_back(error{parsed.error().code, parsed.error().message, "nir"});
    }
  }
  if (!out.errors.empty()) {
    out.outcome = registration_outcome::invalid;
    return out;
  }
  // R3: a NIR the civil status contradicts does not block the person; they get a
  // provisional identifier, and the reasons are recorded.
  if (typed_nir) out.nir_mismatches = nir_consistency(*typed_nir, civ);
  const bool keyed_by_nir = typed_nir && out.nir_mismatches.empty();
  json mismatches = json::array();
  for (const auto m : out.nir_mismatches) mismatches.push_back(to_string(m));

  for (int round = 0; round < detail::max_commit_rounds; ++round) {
    person_record p{new_person_id(), std::nullopt, std::nullopt, std::nullopt, civ};
    if (keyed_by_nir) {
      p.nir = typed_nir;
    } else {
      p.provisional_id = s.config.provisional_id_source ? s.config.provisional_id_source()
                                                        : random_provisional_id();
    }
    account_record acc = detail::new_account(p.id, {}, now);
    acc.state = account_state::first_connection;
    const first_connection_step step = s.step_of(acc, now);
    auto [session, token] = s.new_session(p.id, session_kind::first_connection, "registration", now);
    const std::string who(p.id.str());
    write_batch batch;
    batch.put(p, 0);
    batch.put(std::move(acc), 0);
    batch.put(std::move(session), 0);
    batch.append(detail::make_event(now, {"person.registered", who, who,
                               keyed_by_nir ? "nir" : "provisional_id",
                               json{{"nir_mismatches", mismatches}}.dump()}));
    auto committed = s.store.commit(batch);
    if (committed) {
      out.outcome = registration_outcome::registered;
      out.person = p.id;
      out.provisional = p.provisional_id;
      out.token = std::move(token);
      out.next_step = step;
      return out;
    }
    const errc code = committed.error().code;
    if (code == errc::storage_duplicate && keyed_by_nir) {
      s.audit(now, {"person.registration_refused", "", "", "already_registered", {}});
      out.outcome = registration_outcome::already_registered;
      return out;
    }
    // A provisional identifier (or a person id) that another registration took first:
    // draw again. The storage's uniqueness check is the atomic part.
    if (code != errc::storage_duplicate && code != errc::storage_conflict) {
      throw storage_error(errc::storage_failure,
                          "the storage refused a registration: " + committed.error().message);
    }
  }
  impl::too_many_conflicts("a registration");
}

std::optional<registration_recap> account_service::recap(const secret& token) {
  auto& s = *impl_;
  const auto session = s.valid_session(token, s.clock.now());
  if (!session) return std::nullopt;
  const auto p = s.store.find_person(session->value.person);
  const auto acc = s.store.find_account(session->value.person);
  if (!p || !acc) return std::nullopt;
  registration_recap r;
  if (p->value.provisional_id &&
      !(p->value.provisional_valid_until && s.clock.now() >= *p->value.provisional_valid_until) &&
      !p->value.nir) {
    r.identifier = std::string(p->value.provisional_id->str());
    r.provisional = true;
  } else if (p->value.nir) {
    r.identifier = p->value.nir->masked();
  }
  if (p->value.civil_status) r.civil = *p->value.civil_status;
  r.contacts = acc->value.contacts;
  return r;
}

benefit_request_check account_service::may_request_benefit(const secret& token) {
  auto& s = *impl_;
  const timestamp now = s.clock.now();
  benefit_request_check out;
  const auto session = s.valid_session(token, now);
  if (!session) {
    out.reason = "not_signed_in";
    out.message = "Connectez-vous pour demander une prestation.";
    return out;
  }
  if (session->value.kind != session_kind::full) {
    out.reason = "first_connection_incomplete";
    out.message = "Terminez la création de votre compte avant de demander une prestation.";
    return out;
  }
  const date today = detail::day_of(now);
  const std::string person(session->value.person.str());
  for (const auto& h : s.store.find_households_of(session->value.person)) {
    const member* m = h.value.find(person);
    if (m == nullptr || !m->member_at(today)) continue;  // a household they left binds them no more
    const decision d = decide(h.value, request{person, action::benefit_request, today});
    if (!d.allowed) {
      out.reason = std::string(d.reason);
      out.message = std::string(d.message);
      return out;
    }
  }
  out.allowed = true;
  out.reason = "allowed";
  return out;
}

result<void> account_service::certify_nir(const person_id& person, const nir& certified,
                                          std::string_view agent) {
  auto& s = *impl_;
  const timestamp now = s.clock.now();
  for (int round = 0; round < detail::max_commit_rounds; ++round) {
    const auto p = s.store.find_person(person);
    if (!p) return fail(errc::account_unknown, fmt::format("no person `{}`", person.str()));
    if (!p->value.provisional_id || p->value.nir) {
      return fail(errc::account_state,
                  fmt::format("`{}` has {}: only a person known by a provisional identifier is "
                              "re-keyed to a NIR",
                              person.str(), p->value.nir ? "a NIR already" : "no provisional identifier"));
    }
    person_record next = p->value;
    next.nir = certified;
    next.provisional_valid_until = now + s.config.provisional_transition;
    const std::string who(person.str());
    write_batch batch;
    batch.put(next, p->version);
    batch.append(detail::make_event(now, {"person.nir_certified", "agent:" + std::string(agent), who, "ok",
                               json{{"provisional_valid_until",
                                     format_timestamp(*next.provisional_valid_until)}}
                                   .dump()}));
    auto committed = s.store.commit(batch);
    if (committed) return {};
    if (committed.error().code == errc::storage_duplicate) {
      return fail(errc::storage_duplicate, "this NIR belongs to another person");
    }
    if (committed.error().code != errc::storage_conflict) {
      return unexpected<error>{std::move(committed).error()};
    }
  }
  impl::too_many_conflicts("a certified NIR");
}

account_service::civil_status_update account_service::update_civil_status(
    const secret& token, const civil_status& civil, std::vector<error>* errors) {
  auto& s = *impl_;
  const timestamp now = s.clock.now();
  std::vector<error> found;
  civil_status civ = civil;
  found = checked_civil_status(civ, detail::day_of(now));
  for (int round = 0; round < detail::max_commit_rounds; ++round) {
    const auto session = s.valid_session(token, now);
    if (!session || session->value.kind != session_kind::full) return civil_status_update::not_signed_in;
    if (!found.empty()) {
      if (errors != nullptr) *errors = std::move(found);
      return civil_status_update::invalid;
    }
    const auto p = s.store.find_person(session->value.person);
    const auto acc = s.store.find_account(session->value.person);
    if (!p || !acc) return civil_status_update::not_signed_in;
    const std::string who(p->value.id.str());
    if (acc->value.civil_status_locked && p->value.civil_status &&
        !same_pivot(*p->value.civil_status, civ)) {
      s.audit(now, {"civil_status.updated", who, who, "locked", {}});
      return civil_status_update::locked;
    }
    person_record next = p->value;
    next.civil_status = civ;
    write_batch batch;
    batch.put(next, p->version);
    batch.append(detail::make_event(now, {"civil_status.updated", who, who, "ok", {}}));
    if (s.try_commit(batch)) return civil_status_update::done;
  }
  impl::too_many_conflicts("a civil status");
}

}  // namespace calp
