// The account service: construction, keys, sessions, login and activation.

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <utility>

#include "accounts/service_impl.hpp"
#include "calp/notices.hpp"
#include "crypto/digest.hpp"

namespace calp {

namespace {

using json = nlohmann::json;



// The alphabet of activation codes: no 0/O, 1/I/L, so a code read off a letter is typed
// right.
constexpr std::string_view activation_alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
constexpr std::size_t activation_length = 12;
constexpr std::string_view activation_domain = "calp.activation_code.v1";

// The 12 characters of a typed activation code, upper-cased, hyphens and spaces dropped;
// nothing when it cannot be one.
std::optional<std::string> read_activation_code(std::string_view typed) {
  std::string out;
  for (const char c : typed) {
    if (c == '-' || c == ' ') continue;
    const char u = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    if (activation_alphabet.find(u) == std::string_view::npos ||
        out.size() == activation_length) {
      detail::wipe(out);
      return std::nullopt;
    }
    out.push_back(u);
  }
  if (out.size() != activation_length) {
    detail::wipe(out);
    return std::nullopt;
  }
  return out;
}

}  // namespace

std::string_view to_string(first_connection_step s) noexcept {
  switch (s) {
    case first_connection_step::accept_terms: return "accept_terms";
    case first_connection_step::create_password: return "create_password";
    case first_connection_step::prove_contact: return "prove_contact";
    case first_connection_step::answer_delegation_offer: return "answer_delegation_offer";
    case first_connection_step::done: return "done";
  }
  return "done";
}

std::string_view to_string(login_outcome o) noexcept {
  switch (o) {
    case login_outcome::signed_in: return "signed_in";
    case login_outcome::refused: return "refused";
    case login_outcome::malformed_identifier: return "malformed_identifier";
  }
  return "refused";
}

std::string_view to_string(step_outcome o) noexcept {
  switch (o) {
    case step_outcome::done: return "done";
    case step_outcome::not_signed_in: return "not_signed_in";
    case step_outcome::out_of_order: return "out_of_order";
    case step_outcome::stale_terms: return "stale_terms";
    case step_outcome::password_rejected: return "password_rejected";
    case step_outcome::wrong_password: return "wrong_password";
    case step_outcome::invalid_contact: return "invalid_contact";
    case step_outcome::email_not_personal: return "email_not_personal";
    case step_outcome::code_sent: return "code_sent";
    case step_outcome::code_not_delivered: return "code_not_delivered";
    case step_outcome::too_many_codes: return "too_many_codes";
    case step_outcome::no_code_pending: return "no_code_pending";
    case step_outcome::wrong_code: return "wrong_code";
    case step_outcome::expired_code: return "expired_code";
    case step_outcome::void_code: return "void_code";
    case step_outcome::malformed_code: return "malformed_code";
    case step_outcome::not_applicable: return "not_applicable";
    case step_outcome::password_required: return "password_required";
  }
  return "not_applicable";
}

std::string_view to_string(recovery_outcome o) noexcept {
  switch (o) {
    case recovery_outcome::accepted: return "accepted";
    case recovery_outcome::malformed_identifier: return "malformed_identifier";
    case recovery_outcome::invalid_contact: return "invalid_contact";
  }
  return "accepted";
}

// ---------------------------------------------------------------------------------
// impl: seams, keys, commits

namespace {

// At most 100 years: every instant computed from a duration (an expiry, the end of a
// transition) must stay within calp's years.
constexpr std::chrono::seconds longest = std::chrono::days{36'500};
constexpr std::uint32_t most_codes = 1'000;

void require(bool holds, std::string_view what) {
  if (!holds) throw std::invalid_argument(fmt::format("account_config::{}", what));
}

void check_duration(std::chrono::seconds d, std::string_view name, bool zero_allowed) {
  require(d.count() >= 0 && (zero_allowed || d.count() > 0),
          fmt::format("{} must be {} ({} s)", name, zero_allowed ? "0 or more" : "positive", d.count()));
  require(d <= longest, fmt::format("{} must be at most 36500 days ({} s)", name, d.count()));
}

void check_count(std::uint32_t n, std::string_view name) {
  require(n >= 1 && n <= most_codes, fmt::format("{} must be 1 to {} ({})", name, most_codes, n));
}

}  // namespace

void validate_account_config(const account_config& c) {
  require(!c.terms_version.empty(), "terms_version is required (R16)");
  static_cast<void>(password_hasher(c.password_hashing));  // throws outside Argon2id's limits
  require(c.passwords.min_length >= 1 && c.passwords.min_length <= c.passwords.max_length,
          fmt::format("passwords: min_length ({}) must be 1 to max_length ({})", c.passwords.min_length,
                      c.passwords.max_length));
  check_duration(c.codes.sms_validity, "codes.sms_validity", false);
  check_duration(c.codes.email_validity, "codes.email_validity", false);
  check_count(c.codes.max_new_codes, "codes.max_new_codes");
  check_count(c.codes.max_failed_attempts, "codes.max_failed_attempts");
  check_duration(c.throttle.first_delay, "throttle.first_delay", true);
  check_duration(c.throttle.max_delay, "throttle.max_delay", true);
  require(c.throttle.max_delay >= c.throttle.first_delay, "throttle.max_delay must not be below first_delay");
  check_duration(c.throttle.window, "throttle.window", false);
  check_count(c.throttle.max_failures_per_window, "throttle.max_failures_per_window");
  check_duration(c.sessions.idle, "sessions.idle", false);
  check_duration(c.sessions.absolute, "sessions.absolute", false);
  check_duration(c.sessions.first_connection, "sessions.first_connection", false);
  check_duration(c.sessions.touch_interval, "sessions.touch_interval", true);
  check_duration(c.activation_validity, "activation_validity", false);
  check_duration(c.provisional_transition, "provisional_transition", true);
  check_count(c.max_codes_per_day, "max_codes_per_day");
  require(c.franceconnect.issuer.empty() || !c.franceconnect.client_id.empty(),
          "franceconnect.client_id is required when franceconnect.issuer is set (R18)");
}

account_service::impl::impl(storage& s, notifier& n, calp::clock& c, account_config cfg,
                            code_key key)
    : store(s),
      notify(n),
      clock(c),
      config((validate_account_config(cfg), std::move(cfg))),
      server_key(std::move(key)),
      hasher(config.password_hashing) {}

std::string account_service::impl::login_throttle_key(const login_identifier& id) const {
  return "login:" + detail::keyed_digest(server_key, "calp.login_throttle.v1", {id.str()});
}

std::string account_service::impl::password_throttle_key(const person_id& person) {
  return "password:" + std::string(person.str());
}

std::string account_service::impl::codes_throttle_key(const person_id& person) {
  return "codes:" + std::string(person.str());
}

std::string account_service::impl::contact_challenge_key(const person_id& person,
                                                         const contact_point& point) {
  // The value is hashed so that the key stays under 256 bytes whatever the address.
  return "contact:" + std::string(person.str()) + ":" + std::string(to_string(point.kind)) + ":" +
         detail::digest(point.value).substr(0, 32);
}

std::string account_service::impl::activation_challenge_key(const person_id& person) {
  return "activation:" + std::string(person.str());
}

std::string account_service::impl::recovery_challenge_key(const person_id& person,
                                                          timestamp now) {
  // One key per day: R13's count of codes applies per day of recovery, not for life.
  return "recovery:" + std::string(person.str()) + ":" + format_date(detail::day_of(now));
}

std::optional<versioned<person_record>> account_service::impl::find_person(
    const login_identifier& id, timestamp now) {
  if (id.is_nir()) return store.find_person_by_nir(id.as_nir());
  auto p = store.find_person_by_provisional_id(id.as_provisional());
  if (p && p->value.provisional_valid_until && now >= *p->value.provisional_valid_until) {
    return std::nullopt;
  }
  return p;
}

std::optional<versioned<household>> account_service::impl::couple_household_of(
    const person_id& person, date today) {
  for (auto& h : store.find_households_of(person)) {
    const member& alloc = h.value.allocataire();
    const member* conj = h.value.conjoint();
    if (alloc.id == person && alloc.member_at(today) && conj != nullptr && conj->member_at(today)) {
      return std::move(h);
    }
  }
  return std::nullopt;
}

first_connection_step account_service::impl::step_of(const account_record& acc, timestamp now) {
  if (acc.terms_version != config.terms_version) return first_connection_step::accept_terms;
  if (acc.password_hash.empty() && !acc.franceconnect_sub) {
    return first_connection_step::create_password;
  }
  const bool proved = std::any_of(acc.contacts.begin(), acc.contacts.end(),
                                  [](const contact_point& c) { return c.verified_at.has_value(); });
  if (!proved) return first_connection_step::prove_contact;
  if (!acc.delegation_offer_accepted) {
    // A délégation already in force (granted at the front desk, say) is not offered again.
    const date today = detail::day_of(now);
    const auto couple = couple_household_of(acc.person, today);
    if (couple && !(couple->value.delegation() && couple->value.delegation()->active_at(today))) {
      return first_connection_step::answer_delegation_offer;
    }
  }
  return first_connection_step::done;
}

void account_service::impl::audit(timestamp now, detail::audit_entry e) {
  write_batch batch;
  batch.append(detail::make_event(now, std::move(e)));
  if (!try_commit(batch)) too_many_conflicts("an audit event");
}

bool detail::commit_or_conflict(storage& store, const write_batch& batch,
                                std::string_view writer) {
  auto done = store.commit(batch);
  if (done) return true;
  if (done.error().code == errc::storage_conflict) return false;
  throw storage_error(errc::storage_failure,
                      fmt::format("the {} wrote a batch the storage refused: {}", writer,
                                  done.error().message));
}

void detail::too_many_conflicts(std::string_view what) {
  throw storage_error(errc::storage_failure,
                      fmt::format("writing {} kept conflicting with other writers ({} attempts)",
                                  what, detail::max_commit_rounds));
}

bool account_service::impl::try_commit(const write_batch& batch) {
  return detail::commit_or_conflict(store, batch, "account service");
}

void account_service::impl::too_many_conflicts(std::string_view what) {
  detail::too_many_conflicts(what);
}

std::pair<session_record, secret> account_service::impl::new_session(const person_id& person,
                                                                     session_kind kind,
                                                                     std::string method,
                                                                     timestamp now) const {
  secret token = detail::random_hex(32);
  session_record s{detail::digest(token.view()),
                   person,
                   kind,
                   std::move(method),
                   now,
                   now,
                   now + (kind == session_kind::full ? config.sessions.absolute
                                                     : config.sessions.first_connection)};
  return {std::move(s), std::move(token)};
}

std::optional<versioned<session_record>> account_service::impl::valid_session(const secret& token,
                                                                              timestamp now) {
  if (token.size() != 64) return std::nullopt;
  auto s = store.find_session(detail::digest(token.view()));
  if (!s) return std::nullopt;
  if (now >= s->value.expires_at || now >= s->value.last_seen_at + config.sessions.idle) {
    return std::nullopt;
  }
  return s;
}

bool account_service::impl::send(sms_notice notice) noexcept {
  bool ok = true;
  try {
    notify.send_sms(notice);
  } catch (...) {
    ok = false;
  }
  detail::wipe(notice.text);
  return ok;
}

bool account_service::impl::send(email_notice notice) noexcept {
  bool ok = true;
  try {
    notify.send_email(notice);
  } catch (...) {
    ok = false;
  }
  detail::wipe(notice.text);
  return ok;
}

void account_service::impl::notify_password_changed(const account_record& acc,
                                                    timestamp now) noexcept {
  for (const auto& c : acc.contacts) {
    if (!c.verified_at) continue;
    if (c.kind == contact_kind::mobile) {
      (void)send(notices::password_changed_sms(c.value, now));
    } else {
      (void)send(notices::password_changed_email(c.value, now));
    }
  }
}

// ---------------------------------------------------------------------------------
// login

login_result account_service::impl::refuse_login(timestamp now,
                                                 const std::optional<person_id>& person,
                                                 const login_identifier& id,
                                                 std::string_view reason) {
  const std::string who = person ? std::string(person->str()) : std::string();
  audit(now, {"login.failed", who, who, "refused",
              json{{"reason", reason}, {"identifier", id.masked()}}.dump()});
  login_result out;
  out.outcome = login_outcome::refused;
  return out;
}

login_result account_service::impl::open_session(const person_id& person,
                                                 const std::string& throttle_key,
                                                 std::string method, timestamp now,
                                                 std::optional<std::string> rehashed,
                                                 std::string_view old_hash) {
  for (int round = 0; round < detail::max_commit_rounds; ++round) {
    auto acc = store.find_account(person);
    if (!acc || acc->value.state == account_state::disabled) {
      // Disabled between the check of the secret and now: still a refusal.
      login_result out;
      out.outcome = login_outcome::refused;
      return out;
    }
    account_record next = acc->value;
    if (next.state == account_state::awaiting_first_connection) {
      next.state = account_state::first_connection;
    }
    if (rehashed && next.password_hash == old_hash) next.password_hash = *rehashed;
    const first_connection_step step = step_of(next, now);
    const session_kind kind =
        step == first_connection_step::done ? session_kind::full : session_kind::first_connection;
    auto [session, token] = new_session(person, kind, method, now);

    write_batch batch;
    if (auto t = store.find_throttle(throttle_key)) {
      batch.put(settle_success(t->value, now), t->version);
    }
    if (!(next == acc->value)) batch.put(next, acc->version);
    batch.put(std::move(session), 0);
    batch.append(detail::make_event(now, {"login.succeeded", std::string(person.str()),
                             std::string(person.str()), "ok",
                             json{{"method", method}, {"next_step", to_string(step)}}.dump()}));
    if (!try_commit(batch)) continue;
    login_result out;
    out.outcome = login_outcome::signed_in;
    out.token = std::move(token);
    out.person = person;
    out.next_step = step;
    return out;
  }
  too_many_conflicts("a new session");
}

bool account_service::impl::reserve(const std::string& key, timestamp now) {
  for (int round = 0; round < detail::max_commit_rounds; ++round) {
    auto current = store.find_throttle(key);
    auto r = reserve_attempt(current ? std::optional(current->value) : std::nullopt, key, now,
                             config.throttle);
    if (!r.allowed) return false;
    write_batch batch;
    batch.put(std::move(r.next), current ? current->version : 0);
    if (try_commit(batch)) return true;
  }
  too_many_conflicts("a login attempt");
}

login_result account_service::login(std::string_view identifier, secret password) {
  auto& s = *impl_;
  auto id = login_identifier::parse(identifier);
  if (!id) {
    login_result out;
    out.outcome = login_outcome::malformed_identifier;
    out.identifier_error = id.error();
    return out;
  }
  const timestamp now = s.clock.now();
  const std::string key = s.login_throttle_key(*id);
  if (!s.reserve(key, now)) {
    s.hasher.verify_nothing(password);
    auto who = s.find_person(*id, now);
    return s.refuse_login(now, who ? std::optional(who->value.id) : std::nullopt, *id, "throttled");
  }

  const auto person = s.find_person(*id, now);
  const auto acc = person ? s.store.find_account(person->value.id) : std::nullopt;
  if (!person || !acc) {
    s.hasher.verify_nothing(password);
    return s.refuse_login(now, person ? std::optional(person->value.id) : std::nullopt, *id,
                          person ? "no_account" : "unknown_identifier");
  }
  const account_record& a = acc->value;
  if (a.state == account_state::disabled) {
    s.hasher.verify_nothing(password);
    return s.refuse_login(now, a.person, *id, "disabled");
  }
  if (!a.password_hash.empty()) {
    if (!s.hasher.verify(a.password_hash, password)) {
      return s.refuse_login(now, a.person, *id, "wrong_password");
    }
    std::optional<std::string> rehashed;
    if (s.hasher.needs_rehash(a.password_hash)) rehashed = s.hasher.hash(password);
    password.wipe();
    return s.open_session(a.person, key, "password", now, std::move(rehashed), a.password_hash);
  }
  // Before la bascule only: the legacy dossier password, from its imported hash or the
  // host's own check. After it (a personal password exists) this branch is unreachable.
  bool legacy_ok = false;
  if (!a.legacy_password_hash.empty()) {
    legacy_ok = s.hasher.verify(a.legacy_password_hash, password);
  } else if (s.config.legacy_verifier && !a.franceconnect_sub) {
    legacy_ok = s.config.legacy_verifier(person->value, password);
  } else {
    s.hasher.verify_nothing(password);
  }
  password.wipe();
  if (!legacy_ok) return s.refuse_login(now, a.person, *id, "wrong_password");
  return s.open_session(a.person, key, "legacy", now, std::nullopt, {});
}

login_result account_service::activate(std::string_view identifier, std::string_view code) {
  auto& s = *impl_;
  auto id = login_identifier::parse(identifier);
  if (!id) {
    login_result out;
    out.outcome = login_outcome::malformed_identifier;
    out.identifier_error = id.error();
    return out;
  }
  const timestamp now = s.clock.now();
  const std::string key = s.login_throttle_key(*id);
  if (!s.reserve(key, now)) {
    auto who = s.find_person(*id, now);
    return s.refuse_login(now, who ? std::optional(who->value.id) : std::nullopt, *id,
                          "throttled");
  }
  const auto person = s.find_person(*id, now);
  if (!person) return s.refuse_login(now, std::nullopt, *id, "unknown_identifier");
  const person_id& pid = person->value.id;
  auto typed = read_activation_code(code);
  for (int round = 0; round < detail::max_commit_rounds; ++round) {
    const auto acc = s.store.find_account(pid);
    const auto challenge = s.store.find_challenge(impl::activation_challenge_key(pid));
    if (!acc || acc->value.state != account_state::awaiting_first_connection || !challenge) {
      if (typed) detail::wipe(*typed);
      return s.refuse_login(now, pid, *id, "no_activation_code");
    }
    const challenge_record& c = challenge->value;
    const bool matches =
        typed && constant_time_equal(c.secret_hash,
                                     detail::keyed_digest(s.server_key, activation_domain,
                                                          {c.key, *typed}));
    if (!matches || c.consumed || now >= c.expires_at) {
      if (typed) detail::wipe(*typed);
      return s.refuse_login(now, pid, *id,
                            !matches ? "wrong_activation_code"
                                     : (c.consumed ? "activation_code_used"
                                                   : "activation_code_expired"));
    }
    // Single use: consuming the code is the compare-and-set that lets one activation
    // through when two race with the same code.
    write_batch batch;
    batch.erase_challenge(c.key, challenge->version);
    if (!s.try_commit(batch)) continue;
    if (typed) detail::wipe(*typed);
    return s.open_session(pid, key, "activation", now, std::nullopt, {});
  }
  impl::too_many_conflicts("an activation");
}

// ---------------------------------------------------------------------------------
// sessions

std::optional<session_info> account_service::session(const secret& token) {
  auto& s = *impl_;
  const timestamp now = s.clock.now();
  auto found = s.valid_session(token, now);
  if (!found) return std::nullopt;
  const session_record& rec = found->value;
  session_info info{rec.person, rec.kind, rec.method, first_connection_step::done, rec.expires_at};
  if (rec.kind == session_kind::first_connection) {
    const auto acc = s.store.find_account(rec.person);
    if (!acc) return std::nullopt;
    info.next_step = s.step_of(acc->value, now);
  }
  if (now - rec.last_seen_at >= s.config.sessions.touch_interval) {
    session_record touched = rec;
    touched.last_seen_at = now;
    write_batch batch;
    batch.put(std::move(touched), found->version);
    // A conflict means another request touched it at the same moment: nothing to redo.
    (void)s.try_commit(batch);
  }
  return info;
}

void account_service::logout(const secret& token) {
  auto& s = *impl_;
  if (token.size() != 64) return;
  const timestamp now = s.clock.now();
  for (int round = 0; round < detail::max_commit_rounds; ++round) {
    auto found = s.store.find_session(detail::digest(token.view()));
    if (!found) return;
    write_batch batch;
    batch.erase_session(found->value.token_hash, found->version);
    const std::string who(found->value.person.str());
    batch.append(detail::make_event(now, {"session.closed", who, who, "ok", {}}));
    if (s.try_commit(batch)) return;
  }
}

// ---------------------------------------------------------------------------------
// host side

account_service::account_service(storage& store, notifier& notify, calp::clock& clock,
                                 account_config config, code_key server_key)
    : impl_(std::make_unique<impl>(store, notify, clock, std::move(config), std::move(server_key))) {}

account_service::~account_service() = default;

const account_config& account_service::config() const noexcept { return impl_->config; }

std::string account_service::hash_legacy_password(const secret& password) const {
  return impl_->hasher.hash(password);
}

result<void> account_service::import_account(const person_record& person,
                                             std::string legacy_password_hash) {
  auto& s = *impl_;
  write_batch batch;
  batch.put(person, 0);
  batch.put(detail::new_account(person.id, std::move(legacy_password_hash), s.clock.now()), 0);
  auto done = s.store.commit(batch);
  if (!done) return unexpected<error>{std::move(done).error()};
  return {};
}

result<activation_code> account_service::issue_activation_code(const person_id& person,
                                                               std::string_view agent) {
  auto& s = *impl_;
  const timestamp now = s.clock.now();
  const auto who = s.store.find_person(person);
  if (!who) {
    return fail(errc::account_unknown, "no person `" + std::string(person.str()) + "`");
  }
  // Aged 15 or more in a household calp knows (R11); a person in no household (a
  // primo-demandeur) is an adult filing in their own name.
  const auto households = s.store.find_households_of(person);
  if (!households.empty()) {
    const date today = detail::day_of(now);
    const bool old_enough = std::any_of(households.begin(), households.end(), [&](const auto& h) {
      const member* m = h.value.find(person.str());
      return m != nullptr && anniversary(m->birth_date, std::chrono::years{15}) <= today;
    });
    if (!old_enough) {
      return fail(errc::account_state,
                  "`" + std::string(person.str()) + "` is under 15: no account before then (R11)");
    }
  }
  for (int round = 0; round < detail::max_commit_rounds; ++round) {
    const auto acc = s.store.find_account(person);
    if (acc && acc->value.state != account_state::awaiting_first_connection) {
      return fail(errc::account_state,
                  "the account of `" + std::string(person.str()) + "` is " +
                      std::string(to_string(acc->value.state)) +
                      ": an activation code opens only an account not yet used");
    }
    const std::string key = impl::activation_challenge_key(person);
    const auto current = s.store.find_challenge(key);
    secret code = detail::random_text(activation_alphabet, activation_length);
    challenge_record c;
    c.key = key;
    c.person = person;
    c.secret_hash = detail::keyed_digest(s.server_key, activation_domain, {key, code.view()});
    c.issued_at = now;
    c.expires_at = now + s.config.activation_validity;
    c.issued_count = current ? current->value.issued_count + 1 : 1;
    write_batch batch;
    if (!acc) {
      batch.put(detail::new_account(person, {}, now), 0);
    }
    batch.put(std::move(c), current ? current->version : 0);
    batch.append(detail::make_event(now, {"activation.issued", "agent:" + std::string(agent),
                               std::string(person.str()), "ok", {}}));
    if (!s.try_commit(batch)) continue;
    const std::string_view raw = code.view();
    std::string grouped = std::string(raw.substr(0, 4)) + "-" + std::string(raw.substr(4, 4)) +
                          "-" + std::string(raw.substr(8, 4));
    return activation_code{secret::take(grouped), now + s.config.activation_validity};
  }
  impl::too_many_conflicts("an activation code");
}

result<first_connection_step> account_service::next_step(const person_id& person) {
  const auto acc = impl_->store.find_account(person);
  if (!acc) {
    return fail(errc::account_unknown, fmt::format("`{}` has no account", person.str()));
  }
  return impl_->step_of(acc->value, impl_->clock.now());
}

}  // namespace calp
