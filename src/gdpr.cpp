#include "calp/gdpr.hpp"

#include <map>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "calp/audit.hpp"
#include "calp/household.hpp"

namespace calp {

namespace {

using json = nlohmann::ordered_json;

// Events read per query: the storage's default page.
constexpr std::size_t audit_page = 1000;

json date_or_null(const std::optional<date>& d) { return d ? json(format_date(*d)) : json(nullptr); }

json time_or_null(const std::optional<timestamp>& t) {
  return t ? json(format_timestamp(*t)) : json(nullptr);
}

json civil_status_json(const civil_status& c) {
  json j;
  j["family_name"] = c.family_name;
  j["given_names"] = c.given_names;
  j["gender"] = to_string(c.gender);
  j["birth_date"] = format_date(c.birth_date);
  j["birth_country"] = c.birth_country;
  j["birth_place"] = c.birth_place;
  j["birth_city"] = c.birth_city;
  json parents = json::array();
  for (const parent_names& p : c.parents) {
    parents.push_back(json{{"family_name", p.family_name}, {"given_names", p.given_names}});
  }
  j["parents"] = std::move(parents);
  j["postal_code"] = c.postal_code;
  return j;
}

json person_json(const person_id& id, const std::optional<person_record>& p) {
  json j;
  j["id"] = id.str();
  // WARNING: never `nir::str()` here: the export leaves calp.
  j["nir"] = p && p->nir ? json(p->nir->masked()) : json(nullptr);
  j["provisional_id"] =
      p && p->provisional_id ? json(p->provisional_id->str()) : json(nullptr);
  j["provisional_valid_until"] = p ? time_or_null(p->provisional_valid_until) : json(nullptr);
  j["civil_status"] = p && p->civil_status ? civil_status_json(*p->civil_status) : json(nullptr);
  return j;
}

json account_json(const account_record& a) {
  json j;
  j["state"] = to_string(a.state);
  j["terms_version"] = a.terms_version ? json(*a.terms_version) : json(nullptr);
  j["terms_accepted_at"] = time_or_null(a.terms_accepted_at);
  json contacts = json::array();
  for (const contact_point& c : a.contacts) {
    json cj;
    cj["kind"] = to_string(c.kind);
    cj["value"] = c.value;
    cj["verified_at"] = time_or_null(c.verified_at);
    contacts.push_back(std::move(cj));
  }
  j["contacts"] = std::move(contacts);
  // Whether, never what: the subject and the hashes are secrets of the login.
  j["franceconnect_linked"] = a.franceconnect_sub.has_value();
  j["password_set"] = !a.password_hash.empty();
  j["legacy_password_set"] = !a.legacy_password_hash.empty();
  j["civil_status_locked"] = a.civil_status_locked;
  j["created_at"] = format_timestamp(a.created_at);
  j["password_changed_at"] = time_or_null(a.password_changed_at);
  j["delegation_offer_accepted"] =
      a.delegation_offer_accepted ? json(*a.delegation_offer_accepted) : json(nullptr);
  return j;
}

json household_json(const household& h, const member& m) {
  json j;
  j["dossier"] = h.dossier().str();
  j["role"] = to_string(m.role);
  j["birth_date"] = format_date(m.birth_date);
  j["left"] = date_or_null(m.left);
  json benefits = json::array();
  for (const benefit& b : m.benefits) {
    benefits.push_back(json{{"code", b.code}, {"from", format_date(b.from)}, {"until", date_or_null(b.until)}});
  }
  j["benefits"] = std::move(benefits);
  // The délégation goes from the allocataire to the conjoint: the person sees it when
  // they are one of the two, named by the direction only.
  json d = nullptr;
  if (const auto& del = h.delegation()) {
    const bool received = del->to == m.id;
    const bool given = !received && m.role == member_role::allocataire;
    if (given || received) {
      d = json{{"role", given ? "given" : "received"},
               {"granted", format_date(del->granted)},
               {"revoked", date_or_null(del->revoked)}};
    }
  }
  j["delegation"] = std::move(d);
  return j;
}

json event_json(const audit_event& e, const std::string& self,
                const std::map<std::string, std::string, std::less<>>& others) {
  const auto party = [&](const std::string& who) -> json {
    if (who.empty() || who == self || who.starts_with("agent:")) return who;
    if (const auto it = others.find(who); it != others.end()) return it->second;
    return "another_person";
  };
  json j;
  j["seq"] = e.seq;
  j["at"] = format_timestamp(e.at);
  j["kind"] = e.kind;
  j["actor"] = party(e.actor);
  j["subject"] = party(e.subject);
  j["dossier"] = e.dossier;
  j["outcome"] = e.outcome;
  json detail = nullptr;
  if (!e.detail.empty()) {
    detail = json::parse(e.detail, nullptr, /*allow_exceptions=*/false);
    if (detail.is_discarded()) detail = e.detail;
  }
  j["detail"] = std::move(detail);
  return j;
}

}  // namespace

std::optional<std::string> gdpr_export(storage& s, const person_id& person, timestamp now) {
  const auto p = s.find_person(person);
  const auto account = s.find_account(person);
  const auto households = s.find_households_of(person);
  if (!p && !account && households.empty()) return std::nullopt;

  json doc;
  doc["exported_at"] = format_timestamp(now);
  doc["person"] = person_json(person, p ? std::optional<person_record>(p->value) : std::nullopt);
  doc["account"] = account ? account_json(account->value) : json(nullptr);

  // The other members, by id, as the role they have in a shared household: how audit
  // events name them without giving their ids away.
  std::map<std::string, std::string, std::less<>> others;
  json hs = json::array();
  for (const auto& v : households) {
    const household& h = v.value;
    const member* m = h.find(person.str());
    if (m == nullptr) continue;
    hs.push_back(household_json(h, *m));
    for (const member& other : h.members()) {
      if (other.id != person) others.emplace(std::string(other.id.str()), std::string(to_string(other.role)));
    }
  }
  doc["households"] = std::move(hs);

  const std::string self(person.str());
  json ev = json::array();
  for (std::uint64_t after = 0;;) {
    const auto page = audit_events_about(s, person, after, audit_page);
    for (const auto& e : page) ev.push_back(event_json(e, self, others));
    if (page.size() < audit_page) break;
    after = page.back().seq;
  }
  doc["audit_events"] = std::move(ev);
  // Stored strings are UTF-8, but a host's own storage may hand back anything: replace
  // rather than throw.
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace calp
