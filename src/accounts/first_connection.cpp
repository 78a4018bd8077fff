// The steps of a first connection (R11, R13, R14, R16), and the contact-point codes.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <utility>

#include "accounts/delegation_notices.hpp"
#include "accounts/service_impl.hpp"
#include "calp/notices.hpp"

namespace calp {

namespace {

using json = nlohmann::json;


step_result answer(step_outcome o, first_connection_step next) {
  step_result r;
  r.outcome = o;
  r.next_step = next;
  return r;
}

// The contact point being proved: the one unverified point of the account.
const contact_point* pending_contact(const account_record& acc) {
  const auto it = std::find_if(acc.contacts.begin(), acc.contacts.end(),
                               [](const contact_point& c) { return !c.verified_at; });
  return it == acc.contacts.end() ? nullptr : &*it;
}

step_outcome outcome_of(code_outcome o) {
  switch (o) {
    case code_outcome::accepted: return step_outcome::done;
    case code_outcome::wrong: return step_outcome::wrong_code;
    case code_outcome::expired: return step_outcome::expired_code;
    case code_outcome::void_too_many_attempts: return step_outcome::void_code;
    case code_outcome::already_used: return step_outcome::no_code_pending;
    case code_outcome::malformed: return step_outcome::malformed_code;
  }
  return step_outcome::wrong_code;
}

}  // namespace

std::optional<account_service::impl::step_context> account_service::impl::load_step(
    const secret& token, timestamp now) {
  auto s = valid_session(token, now);
  if (!s) return std::nullopt;
  auto acc = store.find_account(s->value.person);
  if (!acc || acc->value.state == account_state::disabled) return std::nullopt;
  step_context ctx{std::move(*s), std::move(*acc), first_connection_step::done, {}};
  ctx.step = step_of(ctx.account.value, now);
  ctx.who = std::string(ctx.session.value.person.str());
  return ctx;
}

first_connection_step account_service::impl::finish_step(write_batch& batch, const step_context& ctx,
                                                          account_record next, timestamp now) {
  const first_connection_step step = step_of(next, now);
  if (step == first_connection_step::done) {
    if (next.state != account_state::active) {
      next.state = account_state::active;
      batch.append(detail::make_event(now, {"first_connection.completed", ctx.who, ctx.who, "ok", {}}));
    }
    if (ctx.session.value.kind != session_kind::full) {
      session_record full = ctx.session.value;
      full.kind = session_kind::full;
      full.expires_at = full.created_at + config.sessions.absolute;
      batch.put(std::move(full), ctx.session.version);
    }
  }
  batch.put(std::move(next), ctx.account.version);
  return step;
}

// ---------------------------------------------------------------------------------

step_result account_service::accept_terms(const secret& token, std::string_view version) {
  auto& s = *impl_;
  const timestamp now = s.clock.now();
  for (int round = 0; round < detail::max_commit_rounds; ++round) {
    auto ctx = s.load_step(token, now);
    if (!ctx) return answer(step_outcome::not_signed_in, first_connection_step::done);
    if (ctx->step != first_connection_step::accept_terms) {
      return answer(step_outcome::out_of_order, ctx->step);
    }
    if (version != s.config.terms_version) return answer(step_outcome::stale_terms, ctx->step);
    account_record next = ctx->account.value;
    next.terms_version = std::string(version);
    next.terms_accepted_at = now;
    write_batch batch;
    batch.append(detail::make_event(now, {"terms.accepted", ctx->who, ctx->who, "ok",
                               json{{"version", version}}.dump()}));
    const auto step = s.finish_step(batch, *ctx, std::move(next), now);
    if (s.try_commit(batch)) return answer(step_outcome::done, step);
  }
  impl::too_many_conflicts("the CGU acceptance");
}

password_personal_data account_service::impl::personal_data(const person_id& person) {
  password_personal_data data;
  const auto p = store.find_person(person);
  if (!p) return data;
  data.nir = p->value.nir;
  if (p->value.civil_status) {
    const civil_status& cs = *p->value.civil_status;
    data.birth_date = cs.birth_date;
    data.names.push_back(cs.family_name);
    std::string_view given = cs.given_names;
    while (!given.empty()) {
      const auto space = given.find(' ');
      if (space != 0) data.names.emplace_back(given.substr(0, space));
      if (space == std::string_view::npos) break;
      given.remove_prefix(space + 1);
    }
  }
  return data;
}

step_result account_service::create_password(const secret& token, secret password,
                                             secret confirmation) {
  auto& s = *impl_;
  const timestamp now = s.clock.now();
  auto ctx = s.load_step(token, now);
  if (!ctx) return answer(step_outcome::not_signed_in, first_connection_step::done);
  if (ctx->step != first_connection_step::create_password) {
    return answer(step_outcome::out_of_order, ctx->step);
  }
  auto check = check_password(s.config.passwords, password, confirmation,
                              s.personal_data(ctx->session.value.person));
  confirmation.wipe();
  if (!check.valid) {
    auto r = answer(step_outcome::password_rejected, ctx->step);
    r.password = std::move(check);
    return r;
  }
  const std::string hash = s.hasher.hash(password);
  password.wipe();
  for (int round = 0; round < detail::max_commit_rounds; ++round) {
    if (round > 0) ctx = s.load_step(token, now);
    if (!ctx) return answer(step_outcome::not_signed_in, first_connection_step::done);
    if (ctx->step != first_connection_step::create_password) {
      return answer(step_outcome::out_of_order, ctx->step);
    }
    account_record next = ctx->account.value;
    next.password_hash = hash;
    // La bascule: from now on the dossier password opens nothing for this person.
    next.legacy_password_hash.clear();
    next.password_changed_at = now;
    write_batch batch;
    batch.append(detail::make_event(now, {"password.created", ctx->who, ctx->who, "ok", {}}));
    const auto step = s.finish_step(batch, *ctx, std::move(next), now);
    if (s.try_commit(batch)) {
      auto r = answer(step_outcome::done, step);
      r.password = std::move(check);
      return r;
    }
  }
  impl::too_many_conflicts("the personal password");
}

// ---------------------------------------------------------------------------------
// contact-point codes

account_service::impl::code_delivery account_service::impl::deliver_code(
    const contact_point& point, const secret& code, code_channel channel, bool recovery) {
  const auto validity = config.codes.validity(channel);
  if (point.kind == contact_kind::mobile) {
    return send(recovery ? notices::recovery_code_sms(point.value, code, validity)
                         : notices::verification_code_sms(point.value, code, validity))
               ? code_delivery::sent
               : code_delivery::not_delivered;
  }
  return send(recovery ? notices::recovery_code_email(point.value, code, validity)
                       : notices::verification_code_email(point.value, code, validity))
             ? code_delivery::sent
             : code_delivery::not_delivered;
}

std::optional<throttle_record> account_service::impl::count_message(
    const std::optional<versioned<throttle_record>>& current, std::string key,
    std::uint32_t per_day, timestamp now) {
  // A daily cap reuses a throttle record: its instants are those of the messages sent.
  throttle_record r;
  if (current) r = current->value;
  else r.key = std::move(key);
  std::erase_if(r.recent_failures, [&](timestamp t) { return now >= t + std::chrono::hours{24}; });
  if (r.recent_failures.size() >= std::min<std::size_t>(per_day, max_throttle_instants)) {
    return std::nullopt;
  }
  r.recent_failures.push_back(now);
  return r;
}

step_result account_service::impl::send_code(const secret& token, std::optional<contact_point> fresh) {
  const timestamp now = clock.now();
  for (int round = 0; round < detail::max_commit_rounds; ++round) {
    auto ctx = load_step(token, now);
    if (!ctx) return answer(step_outcome::not_signed_in, first_connection_step::done);
    if (ctx->step != first_connection_step::prove_contact) {
      return answer(step_outcome::out_of_order, ctx->step);
    }
    const person_id& person = ctx->session.value.person;
    account_record next = ctx->account.value;
    if (fresh) {
      // "Modifier vos coordonnées": the new point replaces the one being proved.
      std::erase_if(next.contacts, [](const contact_point& c) { return !c.verified_at; });
      next.contacts.push_back(*fresh);
    }
    const contact_point* point = pending_contact(next);
    if (point == nullptr) return answer(step_outcome::no_code_pending, ctx->step);
    const std::string masked_point = masked(*point);
    const std::string key = contact_challenge_key(person, *point);
    const code_channel channel =
        point->kind == contact_kind::mobile ? code_channel::sms : code_channel::email;

    const auto day_count = store.find_throttle(codes_throttle_key(person));
    const auto counted = count_message(day_count, codes_throttle_key(person),
                                       config.max_codes_per_day, now);
    const auto current = store.find_challenge(key);
    auto issued = counted ? issue_code(current ? std::optional(current->value) : std::nullopt, key,
                                       person, channel, now, server_key, config.codes)
                          : fail(errc::code_limit, "the codes of the day were all sent");
    if (!issued) {
      audit(now, {"contact.code_sent", ctx->who, ctx->who, "limit",
                  json{{"contact", masked_point}}.dump()});
      return answer(step_outcome::too_many_codes, ctx->step);
    }
    const std::uint32_t new_codes_left =
        config.codes.max_new_codes + 1 - std::min(issued->record.issued_count,
                                                  config.codes.max_new_codes + 1);
    write_batch batch;
    if (!(next == ctx->account.value)) batch.put(next, ctx->account.version);
    batch.put(std::move(issued->record), current ? current->version : 0);
    batch.put(*counted, day_count ? day_count->version : 0);
    batch.append(detail::make_event(now, {"contact.code_sent", ctx->who, ctx->who, "ok",
                             json{{"contact", masked_point}}.dump()}));
    auto committed = store.commit(batch);
    if (!committed) {
      if (committed.error().code == errc::storage_conflict) continue;
      if (committed.error().code == errc::storage_duplicate) {
        audit(now, {"contact.refused", ctx->who, ctx->who, "email_not_personal",
                    json{{"contact", masked_point}}.dump()});
        return answer(step_outcome::email_not_personal, ctx->step);
      }
      throw storage_error(errc::storage_failure, "the storage refused a code: " +
                                                     committed.error().message);
    }
    const contact_point sent_point = *point;
    if (deliver_code(sent_point, issued->code, channel, false) == code_delivery::not_delivered) {
      audit(now, {"contact.code_sent", ctx->who, ctx->who, "not_delivered",
                  json{{"contact", masked_point}}.dump()});
      auto r = answer(step_outcome::code_not_delivered, ctx->step);
      r.new_codes_left = new_codes_left;
      return r;
    }
    auto r = answer(step_outcome::code_sent, ctx->step);
    r.new_codes_left = new_codes_left;
    r.sent_to = sent_point.kind == contact_kind::mobile ? national_mobile(sent_point.value)
                                                        : sent_point.value;
    return r;
  }
  too_many_conflicts("a verification code");
}

step_result account_service::send_contact_code(const secret& token, contact_kind kind,
                                               std::string_view contact) {
  auto& s = *impl_;
  auto value = parse_contact(kind, contact);
  if (!value) {
    // The session still decides what is answered first: a stranger learns nothing.
    const auto ctx = s.load_step(token, s.clock.now());
    if (!ctx) return answer(step_outcome::not_signed_in, first_connection_step::done);
    auto r = answer(step_outcome::invalid_contact, ctx->step);
    r.contact_error = std::move(value).error();
    return r;
  }
  return s.send_code(token, contact_point{kind, std::move(*value), std::nullopt});
}

step_result account_service::resend_contact_code(const secret& token) {
  return impl_->send_code(token, std::nullopt);
}

step_result account_service::confirm_contact(const secret& token, std::string_view code) {
  auto& s = *impl_;
  const timestamp now = s.clock.now();
  for (int round = 0; round < detail::max_commit_rounds; ++round) {
    auto ctx = s.load_step(token, now);
    if (!ctx) return answer(step_outcome::not_signed_in, first_connection_step::done);
    if (ctx->step != first_connection_step::prove_contact) {
      return answer(step_outcome::out_of_order, ctx->step);
    }
    const contact_point* point = pending_contact(ctx->account.value);
    if (point == nullptr) return answer(step_outcome::no_code_pending, ctx->step);
    const std::string masked_point = masked(*point);
    const auto challenge =
        s.store.find_challenge(impl::contact_challenge_key(ctx->session.value.person, *point));
    if (!challenge) return answer(step_outcome::no_code_pending, ctx->step);
    const code_check check = check_code(challenge->value, code, now, s.server_key, s.config.codes);

    write_batch batch;
    first_connection_step step = ctx->step;
    if (check.outcome == code_outcome::accepted) {
      account_record next = ctx->account.value;
      for (auto& c : next.contacts) {
        if (c == *point) c.verified_at = now;
      }
      // Erased rather than kept consumed: a later proof of the same point starts afresh,
      // and a racing second acceptance finds nothing (the erase names the version read).
      batch.erase_challenge(challenge->value.key, challenge->version);
      batch.append(detail::make_event(now, {"contact.verified", ctx->who, ctx->who, "ok",
                                 json{{"contact", masked_point}}.dump()}));
      step = s.finish_step(batch, *ctx, std::move(next), now);
    } else {
      if (check.changed) batch.put(check.next, challenge->version);
      if (check.outcome != code_outcome::malformed) {
        batch.append(detail::make_event(now, {"contact.code_failed", ctx->who, ctx->who,
                                   std::string(to_string(check.outcome)),
                                   json{{"contact", masked_point}}.dump()}));
      }
    }
    if (!batch.empty() && !s.try_commit(batch)) continue;
    auto r = answer(outcome_of(check.outcome), step);
    r.attempts_left = check.attempts_left;
    return r;
  }
  impl::too_many_conflicts("a code entry");
}

// ---------------------------------------------------------------------------------

step_result account_service::answer_delegation_offer(const secret& token, bool grant) {
  auto& s = *impl_;
  const timestamp now = s.clock.now();
  const date today = detail::day_of(now);
  for (int round = 0; round < detail::max_commit_rounds; ++round) {
    auto ctx = s.load_step(token, now);
    if (!ctx) return answer(step_outcome::not_signed_in, first_connection_step::done);
    auto couple = s.couple_household_of(ctx->session.value.person, today);
    if (!couple) return answer(step_outcome::not_applicable, ctx->step);
    if (ctx->step != first_connection_step::answer_delegation_offer) {
      return answer(step_outcome::out_of_order, ctx->step);
    }
    const household& h = couple->value;
    const person_id conjoint = h.conjoint()->id;
    write_batch batch;
    bool granted_now = false;
    if (grant) {
      const auto& current = h.delegation();
      if (!current || !current->active_at(today) || current->to != conjoint) {
        auto granted = household::make(h.dossier(), {h.members().begin(), h.members().end()},
                                       delegation{conjoint, today, std::nullopt});
        if (!granted) {
          throw storage_error(errc::storage_corrupt,
                              "household `" + std::string(h.dossier().str()) +
                                  "` cannot take a délégation: " + granted.error().message);
        }
        batch.put(std::move(*granted), couple->version);
        // Recorded as household_service records a grant, so the trail reads the same
        // whichever screen granted it.
        batch.append(detail::make_event(now, {"delegation.granted", ctx->who, std::string(conjoint.str()),
                                   "ok", json{{"from", format_date(today)}}.dump(),
                                   std::string(h.dossier().str())}));
        granted_now = true;
      }
    }
    account_record next = ctx->account.value;
    next.delegation_offer_accepted = grant;
    batch.append(detail::make_event(now, {"delegation_offer.answered", ctx->who, ctx->who,
                               grant ? "accepted" : "declined", {},
                               std::string(h.dossier().str())}));
    const auto step = s.finish_step(batch, *ctx, std::move(next), now);
    if (!s.try_commit(batch)) continue;
    if (granted_now) {
      detail::inform_delegation(s.store, s.notify, detail::delegation_change::granted,
                                ctx->session.value.person, conjoint, today);
    }
    return answer(step_outcome::done, step);
  }
  impl::too_many_conflicts("the délégation offer");
}

}  // namespace calp
