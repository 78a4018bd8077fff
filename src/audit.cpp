#include "calp/audit.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <optional>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "calp/storage_authorizer.hpp"

namespace calp {

namespace {

constexpr std::size_t page_size = 1000;
constexpr std::size_t max_actor_bytes = 256;

constexpr auto kinds = std::to_array<std::string_view>({
    "activation.issued",
    "audit.purged",
    "civil_status.updated",
    "contact.code_failed",
    "contact.code_sent",
    "contact.refused",
    "contact.verified",
    "decision",
    "delegation.granted",
    "delegation.refused",
    "delegation.revoked",
    "delegation_offer.answered",
    "first_connection.completed",
    "franceconnect.linked",
    "franceconnect.login",
    "franceconnect.refused",
    "franceconnect.unlinked",
    "household.benefit_ended",
    "household.benefit_started",
    "household.conjoint_joined",
    "household.separation",
    "login.failed",
    "login.succeeded",
    "password.changed",
    "password.created",
    "password.reset",
    "person.nir_certified",
    "person.registered",
    "person.registration_refused",
    "provisional_id.reminded",
    "recovery.code_failed",
    "recovery.requested",
    "session.closed",
    "terms.accepted",
});

// Calls `each` on every event of the trail in `seq` order, a page at a time, until it
// returns false.
template <class Each>
void for_each_event(storage& store, Each each) {
  audit_query q;
  q.limit = page_size;
  for (;;) {
    const auto page = store.audit_events(q);
    for (const auto& e : page) {
      if (!each(e)) return;
    }
    if (page.size() < q.limit) return;
    q.after_seq = page.back().seq;
  }
}

// The anchor of a purge: where the kept events start and the link before them.
struct anchor {
  std::uint64_t first_kept_seq = 0;
  std::string link;
};

std::optional<anchor> read_anchor(const audit_event& e) {
  if (e.kind != audit_purged_kind) return std::nullopt;
  const auto j = nlohmann::json::parse(e.detail, nullptr, false);
  if (!j.is_object() || !j.contains("first_kept_seq") || !j.contains("anchor") ||
      !j["first_kept_seq"].is_number_unsigned() || !j["anchor"].is_string()) {
    return std::nullopt;
  }
  return anchor{j["first_kept_seq"].get<std::uint64_t>(), j["anchor"].get<std::string>()};
}

audit_verification broken(audit_verification v, std::uint64_t at, std::string problem) {
  v.intact = false;
  v.broken_at = at;
  v.problem = std::move(problem);
  return v;
}

}  // namespace

std::span<const std::string_view> audit_event_kinds() noexcept {
  static_assert(std::is_sorted(kinds.begin(), kinds.end()));
  return kinds;
}

audit_verification verify_audit_trail(storage& store, const audit_key& key) {
  audit_verification v;
  // Pass 1: where the trail starts, and from which anchor when a purge cut it.
  std::optional<anchor> start;
  for_each_event(store, [&](const audit_event& e) {
    if (v.events++ == 0) v.first_seq = e.seq;
    v.last_seq = e.seq;
    if (auto a = read_anchor(e); a && a->first_kept_seq == v.first_seq) start = std::move(a);
    return true;
  });
  const auto tail = store.audit_tail();
  if (v.events == 0) {
    if (tail) return broken(v, 0, fmt::format("the trail is empty but its tail is event {}: "
                                              "every event was removed", tail->seq));
    v.intact = true;
    return v;
  }
  std::string previous;
  if (v.first_seq != 1) {
    if (!start) {
      return broken(v, v.first_seq,
                    fmt::format("the trail starts at event {} and no audit.purged event "
                                "anchors that start: older events were removed", v.first_seq));
    }
    previous = start->link;
  }

  // Pass 2: every link from the start. The page reads see new events appended meanwhile;
  // they are checked too, and the tail read at the end covers them.
  std::optional<audit_verification> fault;
  std::uint64_t read = 0;
  for_each_event(store, [&](const audit_event& e) {
    ++read;
    if (e.link.empty()) {
      fault = broken(v, e.seq, fmt::format("event {} has no link: it was appended by a storage "
                                           "opened without the audit key", e.seq));
      return false;
    }
    if (audit_link(key, previous, e) != e.link) {
      fault = broken(v, e.seq,
                     fmt::format("event {} does not follow from the event before it: it, or an "
                                 "earlier one, was edited, removed or moved (or the key is not "
                                 "the trail's)", e.seq));
      return false;
    }
    previous = e.link;
    v.last_seq = e.seq;
    return true;
  });
  if (fault) return *std::move(fault);
  v.events = read;
  v.tail_link = previous;

  const auto final_tail = store.audit_tail();
  if (!final_tail || final_tail->seq < v.last_seq) {
    return broken(v, v.last_seq, fmt::format("the stored tail is {}, before the last event {}",
                                             final_tail ? final_tail->seq : 0, v.last_seq));
  }
  if (final_tail->seq > v.last_seq) {
    return broken(v, 0, fmt::format("the trail ends at event {} but its tail is event {}: the "
                                    "newest events were removed", v.last_seq, final_tail->seq));
  }
  if (final_tail->link != v.tail_link) {
    return broken(v, v.last_seq,
                  fmt::format("the stored tail does not match event {}", v.last_seq));
  }
  v.intact = true;
  return v;
}

result<audit_purge> purge_audit_trail(storage& store, timestamp before, std::string_view actor,
                                      timestamp now) {
  if (before > now) {
    return fail(errc::audit_invalid, "a purge removes past events only: its date (" +
                                         format_timestamp(before) + ") is after now");
  }
  if (actor.empty() || actor.size() > max_actor_bytes) {
    return fail(errc::audit_invalid,
                "a purge names who runs it (1 to 256 bytes): it is audited too");
  }
  audit_purge out;
  std::string anchor_link;
  std::optional<std::uint64_t> first_kept;
  for_each_event(store, [&](const audit_event& e) {
    if (e.at >= before) {
      first_kept = e.seq;
      return false;
    }
    ++out.removed;
    anchor_link = e.link;
    return true;
  });
  if (!first_kept) {
    // Everything goes: the purge event itself starts the kept trail, chained to the tail.
    const auto tail = store.audit_tail();
    first_kept = tail ? tail->seq + 1 : 1;
    if (tail) anchor_link = tail->link;
  }
  out.first_kept_seq = *first_kept;

  nlohmann::ordered_json detail;
  detail["before"] = format_timestamp(before);
  detail["removed"] = out.removed;
  // Nothing removed: the trail keeps its start and the anchor that justifies it.
  if (out.removed > 0) {
    detail["first_kept_seq"] = out.first_kept_seq;
    detail["anchor"] = anchor_link;
  }
  audit_event e;
  e.at = now;
  e.kind = std::string(audit_purged_kind);
  e.actor = std::string(actor);
  e.outcome = "ok";
  e.detail = detail.dump();

  write_batch batch;
  if (out.removed > 0) batch.purge_audit(out.first_kept_seq);
  batch.append(std::move(e));
  auto committed = store.commit(batch);
  if (!committed) return unexpected(std::move(committed).error());
  out.event_seq = committed->audit_seqs.front();
  return out;
}

std::vector<audit_event> audit_events_about(storage& store, const person_id& person,
                                            std::uint64_t after_seq, std::size_t limit) {
  audit_query q;
  q.after_seq = after_seq;
  q.limit = limit;
  q.subject = std::string(person.str());
  auto about = store.audit_events(q);
  q.subject.reset();
  q.actor = std::string(person.str());
  const auto by = store.audit_events(q);
  // An event both by and about the person is in both lists: merged once, by seq.
  std::vector<audit_event> out;
  out.reserve(std::min(limit, about.size() + by.size()));
  std::set_union(about.begin(), about.end(), by.begin(), by.end(), std::back_inserter(out),
                 [](const audit_event& a, const audit_event& b) { return a.seq < b.seq; });
  if (out.size() > limit) out.resize(limit);
  return out;
}

std::vector<audit_event> audit_events_of_agent(storage& store, std::string_view agent,
                                               std::uint64_t after_seq, std::size_t limit) {
  audit_query q;
  q.after_seq = after_seq;
  q.limit = limit;
  q.actor = "agent:" + audit_person_text(agent);
  return store.audit_events(q);
}

}  // namespace calp
