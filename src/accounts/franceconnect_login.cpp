// FranceConnect (R18): the login attempt, the checks of the claims, the linking of the
// identity, and unlinking.

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <stdexcept>
#include <utility>

#include "accounts/service_impl.hpp"
#include "calp/notices.hpp"

namespace calp {

namespace {

using json = nlohmann::json;

// Candidates compared with a pivot identity: persons born that day. More than this on
// one day is not a population calp serves; the extra ones could only add ambiguity, and
// ambiguity already refuses the login.
constexpr std::size_t max_candidates = 10000;

// The longest `sub` an account record holds (the storage's bound on a key).
constexpr std::size_t max_sub_bytes = 256;

franceconnect_result answer(franceconnect_outcome o) {
  franceconnect_result r;
  r.outcome = o;
  return r;
}

}  // namespace

std::string_view to_string(franceconnect_outcome o) noexcept {
  switch (o) {
    case franceconnect_outcome::signed_in: return "signed_in";
    case franceconnect_outcome::refused: return "refused";
    case franceconnect_outcome::malformed_claims: return "malformed_claims";
    case franceconnect_outcome::identity_unknown: return "identity_unknown";
    case franceconnect_outcome::identity_ambiguous: return "identity_ambiguous";
    case franceconnect_outcome::disabled: return "disabled";
  }
  return "refused";
}

franceconnect_start account_service::begin_franceconnect(std::optional<eidas_level> acr) {
  auto& s = *impl_;
  if (s.config.franceconnect.issuer.empty()) {
    throw std::logic_error("FranceConnect is not configured (account_config::franceconnect)");
  }
  auto attempt = start_franceconnect_login(s.clock.now(), s.server_key, s.config.franceconnect, acr);
  write_batch batch;
  batch.put(attempt.record, 0);
  if (!s.try_commit(batch)) impl::too_many_conflicts("a FranceConnect attempt");
  return franceconnect_start{std::move(attempt.state), std::move(attempt.nonce), attempt.acr};
}

franceconnect_result account_service::complete_franceconnect(std::string_view state,
                                                             std::string_view claims_json) {
  auto& s = *impl_;
  const timestamp now = s.clock.now();
  if (s.config.franceconnect.issuer.empty()) return answer(franceconnect_outcome::disabled);
  const std::string key = franceconnect_challenge_key(state, s.server_key);
  const auto refuse = [&](franceconnect_outcome o, std::string reason, const std::string& who,
                          const std::optional<versioned<challenge_record>>& attempt) {
    // The attempt is used up whatever the outcome: a state is single use.
    write_batch batch;
    if (attempt && !attempt->value.consumed) {
      challenge_record used = attempt->value;
      used.consumed = true;
      batch.put(std::move(used), attempt->version);
    }
    batch.append(detail::make_event(now, {"franceconnect.refused", who, who, std::move(reason), {}}));
    // A conflict means another callback used the attempt at the same moment: the
    // refusal stands, recorded on its own.
    if (!s.try_commit(batch)) s.audit(now, {"franceconnect.refused", who, who, "state_used", {}});
    return answer(o);
  };

  for (int round = 0; round < detail::max_commit_rounds; ++round) {
    const auto attempt = s.store.find_challenge(key);
    if (!attempt) {
      auto r = refuse(franceconnect_outcome::refused, "state_unknown", "", attempt);
      r.problem = claims_problem::state_unknown;
      return r;
    }
    auto claims = parse_franceconnect_claims(claims_json);
    if (!claims) {
      auto r = refuse(franceconnect_outcome::malformed_claims, "malformed", "", attempt);
      r.claims_error = std::move(claims).error();
      return r;
    }
    if (const auto problem = check_claims(*claims, attempt->value, now, s.server_key,
                                          s.config.franceconnect)) {
      auto r = refuse(franceconnect_outcome::refused, std::string(to_string(*problem)), "", attempt);
      r.problem = problem;
      return r;
    }
    // The storage keys an account by its subject (1 to 256 bytes of text without NUL): a
    // subject that cannot be one is malformed claims, not a storage failure.
    if (claims->sub.empty() || claims->sub.size() > max_sub_bytes ||
        claims->sub.find('\0') != std::string::npos) {
      auto r = refuse(franceconnect_outcome::malformed_claims, "malformed", "", attempt);
      const errc code = claims->sub.empty()                  ? errc::json_missing_field
                        : claims->sub.size() > max_sub_bytes ? errc::json_too_long
                                                             : errc::json_type;
      r.claims_error = error{code, fmt::format("`sub` must be 1 to {} bytes of text", max_sub_bytes), "sub"};
      return r;
    }

    // Who: a known subject first; else the six pivot fields, exactly one person.
    bool linking = false;
    std::optional<versioned<account_record>> acc = s.store.find_account_by_franceconnect_sub(claims->sub);
    std::optional<person_id> person;
    if (acc) {
      person = acc->value.person;
    } else {
      auto pivot = pivot_from_claims(*claims);
      if (!pivot) {
        auto r = refuse(franceconnect_outcome::malformed_claims, "malformed", "", attempt);
        r.claims_error = std::move(pivot).error();
        return r;
      }
      std::vector<person_id> matches;
      for (const auto& p : s.store.find_persons_born_on(pivot->birth_date, max_candidates)) {
        if (p.value.civil_status && pivot_matches(*pivot, *p.value.civil_status)) {
          matches.push_back(p.value.id);
        }
      }
      if (matches.empty()) return refuse(franceconnect_outcome::identity_unknown, "no_match", "", attempt);
      if (matches.size() > 1) {
        return refuse(franceconnect_outcome::identity_ambiguous, "ambiguous", "", attempt);
      }
      person = matches.front();
      acc = s.store.find_account(*person);
      // Already linked to another FranceConnect identity: the Caf must look into it.
      if (acc && acc->value.franceconnect_sub) {
        return refuse(franceconnect_outcome::identity_ambiguous, "linked_to_another_sub",
                      std::string(person->str()), attempt);
      }
      linking = true;
    }
    const std::string who(person->str());
    if (acc && acc->value.state == account_state::disabled) {
      return refuse(franceconnect_outcome::disabled, "disabled", who, attempt);
    }

    account_record next = acc ? acc->value : detail::new_account(*person, {}, now);
    if (next.state == account_state::awaiting_first_connection) {
      next.state = account_state::first_connection;
    }
    next.franceconnect_sub = claims->sub;
    // La bascule through FranceConnect: the dossier password opens nothing any more.
    next.legacy_password_hash.clear();
    // The pivot fields now come from FranceConnect: no longer the person's to edit.
    next.civil_status_locked = true;
    const first_connection_step step = s.step_of(next, now);
    const session_kind kind =
        step == first_connection_step::done ? session_kind::full : session_kind::first_connection;
    auto [session, token] = s.new_session(*person, kind, "franceconnect", now);

    challenge_record used = attempt->value;
    used.consumed = true;
    write_batch batch;
    batch.put(std::move(used), attempt->version);
    batch.put(next, acc ? acc->version : 0);
    batch.put(std::move(session), 0);
    if (linking) batch.append(detail::make_event(now, {"franceconnect.linked", who, who, "ok", {}}));
    batch.append(detail::make_event(now, {"franceconnect.login", who, who, "ok",
                               json{{"acr", claims->acr}, {"next_step", to_string(step)}}.dump()}));
    auto committed = s.store.commit(batch);
    if (!committed) {
      const errc code = committed.error().code;
      // Another login linked or used this at the same moment: read again.
      if (code == errc::storage_conflict || code == errc::storage_duplicate) continue;
      throw storage_error(errc::storage_failure,
                          "the storage refused a FranceConnect login: " + committed.error().message);
    }
    for (const auto& c : next.contacts) {
      if (!c.verified_at) continue;
      (void)(c.kind == contact_kind::mobile ? s.send(notices::franceconnect_login_sms(c.value, now))
                                            : s.send(notices::franceconnect_login_email(c.value, now)));
    }
    franceconnect_result r = answer(franceconnect_outcome::signed_in);
    r.token = std::move(token);
    r.person = person;
    r.next_step = step;
    r.linked = linking;
    return r;
  }
  impl::too_many_conflicts("a FranceConnect login");
}

step_result account_service::unlink_franceconnect(const secret& token) {
  auto& s = *impl_;
  const timestamp now = s.clock.now();
  for (int round = 0; round < detail::max_commit_rounds; ++round) {
    step_result r;
    const auto session = s.valid_session(token, now);
    if (!session || session->value.kind != session_kind::full) {
      r.outcome = step_outcome::not_signed_in;
      return r;
    }
    const auto acc = s.store.find_account(session->value.person);
    if (!acc || !acc->value.franceconnect_sub) {
      r.outcome = step_outcome::not_applicable;
      return r;
    }
    if (acc->value.password_hash.empty()) {
      r.outcome = step_outcome::password_required;
      return r;
    }
    account_record next = acc->value;
    next.franceconnect_sub.reset();
    const std::string who(next.person.str());
    write_batch batch;
    batch.put(std::move(next), acc->version);
    batch.append(detail::make_event(now, {"franceconnect.unlinked", who, who, "ok", {}}));
    if (s.try_commit(batch)) {
      r.outcome = step_outcome::done;
      return r;
    }
  }
  impl::too_many_conflicts("unlinking FranceConnect");
}

step_result account_service::add_password(const secret& token, secret password,
                                          secret confirmation) {
  auto& s = *impl_;
  const timestamp now = s.clock.now();
  step_result r;
  const auto session = s.valid_session(token, now);
  if (!session || session->value.kind != session_kind::full) {
    r.outcome = step_outcome::not_signed_in;
    return r;
  }
  const person_id person = session->value.person;
  auto check = check_password(s.config.passwords, password, confirmation, s.personal_data(person));
  confirmation.wipe();
  if (!check.valid) {
    r.outcome = step_outcome::password_rejected;
    r.password = std::move(check);
    return r;
  }
  const std::string hash = s.hasher.hash(password);
  password.wipe();
  const std::string who(person.str());
  for (int round = 0; round < detail::max_commit_rounds; ++round) {
    const auto acc = s.store.find_account(person);
    if (!acc || !acc->value.password_hash.empty()) {
      r.outcome = step_outcome::not_applicable;  // has one: change_password is the way
      return r;
    }
    account_record next = acc->value;
    next.password_hash = hash;
    next.password_changed_at = now;
    write_batch batch;
    batch.put(std::move(next), acc->version);
    batch.append(detail::make_event(now, {"password.created", who, who, "ok", {}}));
    if (s.try_commit(batch)) {
      r.outcome = step_outcome::done;
      r.password = std::move(check);
      return r;
    }
  }
  impl::too_many_conflicts("a password");
}

}  // namespace calp
