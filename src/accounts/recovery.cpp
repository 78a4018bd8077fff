// Password change, forgotten password and forgotten provisional identifier (R12, R17).

#include <nlohmann/json.hpp>

#include <algorithm>
#include <utility>

#include "accounts/service_impl.hpp"
#include "calp/notices.hpp"
#include "crypto/digest.hpp"
#include "storage/codec.hpp"

namespace calp {

namespace {

using json = nlohmann::json;

step_result answer(step_outcome o) {
  step_result r;
  r.outcome = o;
  return r;
}

step_result rejected(password_check check) {
  auto r = answer(step_outcome::password_rejected);
  r.password = std::move(check);
  return r;
}

// ASCII letters folded, everything else compared as typed: names in the storage are as
// the Caf or the person wrote them, and R17 asks for no fuzzy matching.
bool same_name(std::string_view a, std::string_view b) {
  const auto trim = [](std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
  };
  a = trim(a);
  b = trim(b);
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    const auto up = [](char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; };
    return up(x) == up(y);
  });
}

bool same_contact(const contact_point& stored, contact_kind kind, std::string_view value) {
  if (stored.kind != kind) return false;
  return kind == contact_kind::email ? detail::email_key(stored.value) == detail::email_key(value)
                                     : stored.value == value;
}

// The verified point a recovery code goes to: one of the kind asked for, else any.
std::optional<contact_point> recovery_point(const account_record& acc, contact_kind via) {
  std::optional<contact_point> any;
  for (const auto& c : acc.contacts) {
    if (!c.verified_at) continue;
    if (c.kind == via) return c;
    if (!any) any = c;
  }
  return any;
}

}  // namespace

step_result account_service::change_password(const secret& token, secret current, secret password,
                                             secret confirmation) {
  auto& s = *impl_;
  const timestamp now = s.clock.now();
  auto session = s.valid_session(token, now);
  if (!session) return answer(step_outcome::not_signed_in);
  if (session->value.kind != session_kind::full) {
    auto ctx = s.load_step(token, now);
    auto r = answer(step_outcome::out_of_order);
    r.next_step = ctx ? ctx->step : first_connection_step::done;
    return r;
  }
  const person_id person = session->value.person;
  const std::string who(person.str());
  auto check = check_password(s.config.passwords, password, confirmation, s.personal_data(person));
  confirmation.wipe();
  if (!check.valid) return rejected(std::move(check));

  const std::string throttle_key = impl::password_throttle_key(person);
  const bool allowed = s.reserve(throttle_key, now);
  auto acc = s.store.find_account(person);
  const bool right = allowed && acc && !acc->value.password_hash.empty() &&
                     s.hasher.verify(acc->value.password_hash, current);
  if (!allowed || !acc) s.hasher.verify_nothing(current);
  current.wipe();
  if (!right) {
    s.audit(now, {"password.changed", who, who, "refused",
                  json{{"reason", allowed ? "wrong_password" : "throttled"}}.dump()});
    return answer(step_outcome::wrong_password);
  }
  const std::string hash = s.hasher.hash(password);
  password.wipe();
  for (int round = 0; round < detail::max_commit_rounds; ++round) {
    if (round > 0) acc = s.store.find_account(person);
    if (!acc) return answer(step_outcome::not_signed_in);
    account_record next = acc->value;
    next.password_hash = hash;
    next.legacy_password_hash.clear();
    next.password_changed_at = now;
    auto [fresh, new_token] = s.new_session(person, session_kind::full, "password", now);
    write_batch batch;
    if (auto t = s.store.find_throttle(throttle_key)) {
      batch.put(settle_success(t->value, now), t->version);
    }
    batch.put(next, acc->version);
    batch.erase_sessions_of(person);
    batch.put(std::move(fresh), 0);
    batch.append(detail::make_event(now, {"password.changed", who, who, "ok", {}}));
    if (!s.try_commit(batch)) continue;
    s.notify_password_changed(next, now);
    auto r = answer(step_outcome::done);
    r.password = std::move(check);
    r.token = std::move(new_token);
    return r;
  }
  impl::too_many_conflicts("a password change");
}

recovery_outcome account_service::request_password_reset(std::string_view identifier,
                                                         contact_kind via) {
  auto& s = *impl_;
  const auto id = login_identifier::parse(identifier);
  if (!id) return recovery_outcome::malformed_identifier;
  const timestamp now = s.clock.now();
  const std::string masked_id = id->masked();
  for (int round = 0; round < detail::max_commit_rounds; ++round) {
    const auto person = s.find_person(*id, now);
    const auto acc = person ? s.store.find_account(person->value.id) : std::nullopt;
    const std::string who = person ? std::string(person->value.id.str()) : std::string();
    const auto point = acc && acc->value.state != account_state::disabled
                           ? recovery_point(acc->value, via)
                           : std::nullopt;
    if (!point) {
      // Recorded like a sent code, so that both answers cost one commit.
      s.audit(now, {"recovery.requested", who, who, acc ? "no_contact" : "unknown",
                    json{{"identifier", masked_id}}.dump()});
      return recovery_outcome::accepted;
    }
    const person_id& pid = person->value.id;
    const std::string key = impl::recovery_challenge_key(pid, now);
    const code_channel channel =
        point->kind == contact_kind::mobile ? code_channel::sms : code_channel::email;
    const auto current = s.store.find_challenge(key);
    auto issued = issue_code(current ? std::optional(current->value) : std::nullopt, key, pid,
                             channel, now, s.server_key, s.config.codes);
    if (!issued) {
      s.audit(now, {"recovery.requested", who, who, "limit", json{{"identifier", masked_id}}.dump()});
      return recovery_outcome::accepted;
    }
    write_batch batch;
    batch.put(std::move(issued->record), current ? current->version : 0);
    batch.append(detail::make_event(now, {"recovery.requested", who, who, "sent",
                               json{{"identifier", masked_id}, {"contact", masked(*point)}}.dump()}));
    if (!s.try_commit(batch)) continue;
    if (s.deliver_code(*point, issued->code, channel, true) == impl::code_delivery::not_delivered) {
      s.audit(now, {"recovery.requested", who, who, "not_delivered",
                    json{{"contact", masked(*point)}}.dump()});
    }
    return recovery_outcome::accepted;
  }
  impl::too_many_conflicts("a recovery code");
}

step_result account_service::reset_password(std::string_view identifier, std::string_view code,
                                            secret password, secret confirmation) {
  auto& s = *impl_;
  const timestamp now = s.clock.now();
  // The rules that need no personal data first: a weak password costs no code attempt.
  auto general = check_password(s.config.passwords, password, confirmation);
  if (!general.valid) return rejected(std::move(general));

  const auto id = login_identifier::parse(identifier);
  const auto person = id ? s.find_person(*id, now) : std::nullopt;
  const auto unknown = [&] {
    s.audit(now, {"recovery.code_failed", "", "", "unknown",
                  id ? json{{"identifier", id->masked()}}.dump() : std::string()});
    return answer(step_outcome::wrong_code);
  };
  if (!person) return unknown();
  const person_id& pid = person->value.id;
  const std::string who(pid.str());
  for (int round = 0; round < detail::max_commit_rounds; ++round) {
    auto acc = s.store.find_account(pid);
    if (!acc || acc->value.state == account_state::disabled) return unknown();
    // A code asked for just before midnight is under the previous day's key.
    auto challenge = s.store.find_challenge(impl::recovery_challenge_key(pid, now));
    if (!challenge || challenge->value.consumed) {
      auto earlier = s.store.find_challenge(impl::recovery_challenge_key(pid, now - std::chrono::days{1}));
      if (earlier) challenge = std::move(earlier);
    }
    if (!challenge) return unknown();
    const code_check check = check_code(challenge->value, code, now, s.server_key, s.config.codes);
    if (check.outcome != code_outcome::accepted) {
      write_batch batch;
      if (check.changed) batch.put(check.next, challenge->version);
      batch.append(detail::make_event(now, {"recovery.code_failed", who, who,
                                 std::string(to_string(check.outcome)), {}}));
      if (!s.try_commit(batch)) continue;
      // No attempts_left: an unknown identifier could not report one.
      return answer(check.outcome == code_outcome::malformed ? step_outcome::malformed_code
                                                             : step_outcome::wrong_code);
    }
    auto full = check_password(s.config.passwords, password, confirmation, s.personal_data(pid));
    if (!full.valid) return rejected(std::move(full));  // the code stays usable
    const std::string hash = s.hasher.hash(password);
    account_record next = acc->value;
    next.password_hash = hash;
    next.legacy_password_hash.clear();
    next.password_changed_at = now;
    write_batch batch;
    batch.erase_challenge(challenge->value.key, challenge->version);
    batch.put(next, acc->version);
    batch.erase_sessions_of(pid);
    // A person locked out by wrong guesses gets their login back with the new password.
    if (auto t = s.store.find_throttle(s.login_throttle_key(*id))) {
      throttle_record cleared = t->value;
      cleared.consecutive_failures = 0;
      cleared.blocked_until.reset();
      batch.put(std::move(cleared), t->version);
    }
    batch.append(detail::make_event(now, {"password.reset", who, who, "ok", {}}));
    if (!s.try_commit(batch)) continue;
    password.wipe();
    confirmation.wipe();
    s.notify_password_changed(next, now);
    auto r = answer(step_outcome::done);
    r.password = std::move(full);
    return r;
  }
  impl::too_many_conflicts("a password reset");
}

recovery_outcome account_service::remind_provisional_id(
    const provisional_id_reminder_request& request) {
  auto& s = *impl_;
  auto value = parse_contact(request.via, request.contact);
  if (!value) return recovery_outcome::invalid_contact;
  const timestamp now = s.clock.now();
  // A day with more than this many persons born on it and this name is not a real case.
  constexpr std::size_t max_candidates = 10000;
  bool matched = false;
  for (const auto& p : s.store.find_persons_born_on(request.birth_date, max_candidates)) {
    const person_record& rec = p.value;
    if (!rec.provisional_id || !rec.civil_status ||
        !same_name(rec.civil_status->family_name, request.family_name)) {
      continue;
    }
    if (rec.provisional_valid_until && now >= *rec.provisional_valid_until) continue;
    const auto acc = s.store.find_account(rec.id);
    if (!acc || acc->value.state == account_state::disabled) continue;
    const auto match = std::find_if(acc->value.contacts.begin(), acc->value.contacts.end(),
                                    [&](const contact_point& c) {
                                      return c.verified_at && same_contact(c, request.via, *value);
                                    });
    if (match == acc->value.contacts.end()) continue;
    const std::string who(rec.id.str());
    // Anyone who knows the name, the birth date and the address could otherwise have
    // the reminder sent again and again.
    const std::string cap_key = "reminders:" + who;
    const auto day_count = s.store.find_throttle(cap_key);
    const auto counted = impl::count_message(day_count, cap_key, s.config.max_reminders_per_day, now);
    write_batch batch;
    if (counted) batch.put(*counted, day_count ? day_count->version : 0);
    batch.append(detail::make_event(now, {"provisional_id.reminded", "", who, counted ? "sent" : "limit",
                               json{{"contact", masked(*match)}}.dump()}));
    matched = true;
    if (!s.try_commit(batch) || !counted) {
      continue;  // a conflict: another request counted this one at the same moment
    }
    const bool delivered = request.via == contact_kind::mobile
                               ? s.send(notices::provisional_id_reminder_sms(match->value, *rec.provisional_id))
                               : s.send(notices::provisional_id_reminder_email(match->value, *rec.provisional_id));
    if (!delivered) {
      s.audit(now, {"provisional_id.reminded", "", who, "not_delivered",
                    json{{"contact", masked(*match)}}.dump()});
    }
  }
  if (!matched) s.audit(now, {"provisional_id.reminded", "", "", "no_match", {}});
  return recovery_outcome::accepted;
}

}  // namespace calp
