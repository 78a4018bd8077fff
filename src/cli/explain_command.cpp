// `calp explain`: what a person may do in a stored dossier, and why (R8, R9). For an
// agent at the counter (plain French text) or a tool (`--json`). With `--agent` it is a
// front-desk consultation: each decision goes through `storage_authorizer` and is
// written to the audit trail. Without it, nobody is answered: the decisions are the
// online ones, computed by the pure core, and nothing is written.
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "calp/action.hpp"
#include "calp/authorizer.hpp"
#include "calp/household.hpp"
#include "calp/roles.hpp"
#include "calp/storage.hpp"
#include "calp/storage/open.hpp"
#include "calp/storage_authorizer.hpp"
#include "cli/cli.hpp"
#include "detail/input_text.hpp"

namespace calp::cli {

namespace {

std::string describe(const error& e) { return fmt::format("{}: {}", to_string(e.code), e.message); }


struct explained {
  action act;
  authorization answer;
};

nlohmann::ordered_json date_or_null(const std::optional<date>& d) {
  return d ? nlohmann::ordered_json(format_date(*d)) : nlohmann::ordered_json(nullptr);
}

std::string french_date(date d) {
  return fmt::format("{:02}/{:02}/{:04}", static_cast<unsigned>(d.day()), static_cast<unsigned>(d.month()),
                     static_cast<int>(d.year()));
}

nlohmann::ordered_json explanation_json(const household& h, const member* m, const standing& s,
                                        std::string_view person, date at, std::string_view agent,
                                        const std::vector<explained>& answers) {
  nlohmann::ordered_json j;
  j["dossier"] = h.dossier().str();
  j["person"] = person;
  j["at"] = format_date(at);
  j["channel"] = to_string(agent.empty() ? channel::online : channel::front_desk);
  j["agent"] = agent.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(agent);
  j["audited"] = !agent.empty();

  nlohmann::ordered_json facts;
  facts["known_in_dossier"] = m != nullptr;
  facts["member"] = m != nullptr && m->member_at(at);
  facts["recorded_role"] = m != nullptr ? nlohmann::ordered_json(to_string(m->role)) : nlohmann::ordered_json(nullptr);
  facts["role"] = to_string(s.role);
  facts["role_libelle"] = libelle(s.role);
  facts["in_couple"] = s.in_couple;
  facts["has_delegation"] = s.has_delegation;
  facts["birth_date"] = m != nullptr ? nlohmann::ordered_json(format_date(m->birth_date)) : nlohmann::ordered_json(nullptr);
  facts["left"] = m != nullptr ? date_or_null(m->left) : nlohmann::ordered_json(nullptr);
  nlohmann::ordered_json benefits = nlohmann::ordered_json::array();
  if (m != nullptr) {
    for (const benefit& b : m->benefits) {
      nlohmann::ordered_json bj;
      bj["code"] = b.code;
      bj["from"] = format_date(b.from);
      bj["until"] = date_or_null(b.until);
      bj["held"] = b.held_at(at);
      bj["personal"] = b.is_personal();
      benefits.push_back(std::move(bj));
    }
  }
  facts["benefits"] = std::move(benefits);
  // The délégation is a fact about this person only when it is theirs, or when they are
  // the allocataire who gave it: another member learns nothing of it here.
  const auto& d = h.delegation();
  const bool concerns = d && m != nullptr && (d->to == person || m->role == member_role::allocataire);
  if (concerns) {
    nlohmann::ordered_json dj;
    dj["to"] = d->to.str();
    dj["granted"] = format_date(d->granted);
    dj["revoked"] = date_or_null(d->revoked);
    dj["active"] = d->active_at(at);
    facts["delegation"] = std::move(dj);
  } else {
    facts["delegation"] = nullptr;
  }
  j["facts"] = std::move(facts);

  nlohmann::ordered_json decisions = nlohmann::ordered_json::array();
  for (const auto& e : answers) {
    nlohmann::ordered_json dj;
    dj["action"] = to_string(e.act);
    dj["libelle"] = libelle(e.act);
    dj["allowed"] = e.answer.allowed;
    dj["reason"] = e.answer.reason;
    dj["message"] = e.answer.message;
    if (e.answer.audit_seq) dj["audit_seq"] = *e.answer.audit_seq;
    decisions.push_back(std::move(dj));
  }
  j["decisions"] = std::move(decisions);
  return j;
}

std::string explanation_text(const household& h, const member* m, const standing& s,
                             std::string_view person, date at, std::string_view agent,
                             const std::vector<explained>& answers) {
  std::string out = fmt::format("Dossier {} – personne {} – le {}\n", h.dossier().str(), person,
                                french_date(at));
  if (!agent.empty()) {
    out += fmt::format("Consultation à l'accueil par l'agent {}\u00a0: chaque réponse est enregistrée "
                       "dans le journal d'audit.\n",
                       agent);
  }
  out += fmt::format("Rôle à cette date\u00a0: {}\n", libelle(s.role));
  if (m == nullptr) {
    out += "Membre du foyer\u00a0: non (personne inconnue dans ce dossier)\n";
  } else {
    out += fmt::format("Membre du foyer\u00a0: {}", m->member_at(at) ? "oui" : "non");
    if (m->left) out += fmt::format(" (a quitté le foyer le {})", french_date(*m->left));
    out += fmt::format("\nDate de naissance\u00a0: {}\n", french_date(m->birth_date));
    if (m->role != member_role::other) {
      out += fmt::format("En couple à cette date\u00a0: {}\n", s.in_couple ? "oui" : "non");
    }
    if (m->benefits.empty()) {
      out += "Prestations à son nom\u00a0: aucune\n";
    } else {
      out += "Prestations à son nom\u00a0:\n";
      for (const benefit& b : m->benefits) {
        out += fmt::format("  {} du {} {} – {}{}\n", b.code, french_date(b.from),
                           b.until ? "au " + french_date(*b.until) : std::string("sans date de fin"),
                           b.held_at(at) ? "perçue à cette date" : "non perçue à cette date",
                           b.is_personal() ? " (AJPA, BAFA, AAH ou PALA)" : "");
      }
    }
    const auto& d = h.delegation();
    if (d && (d->to == person || m->role == member_role::allocataire)) {
      out += fmt::format("Délégation de gestion\u00a0: à {}, donnée le {}{} – {}\n", d->to.str(),
                         french_date(d->granted),
                         d->revoked ? ", retirée le " + french_date(*d->revoked) : std::string(),
                         d->active_at(at) ? "en vigueur à cette date" : "sans effet à cette date");
    } else if (m->role != member_role::other) {
      out += "Délégation de gestion\u00a0: aucune\n";
    }
  }
  out += '\n';
  for (const auto& e : answers) {
    out += fmt::format("  [{}] {}\n        {} ({})\n", e.answer.allowed ? "oui" : "non", libelle(e.act),
                       e.answer.message, e.answer.reason);
  }
  return out;
}

}  // namespace

int explain(std::span<const std::string_view> raw, const streams& io) {
  constexpr std::string_view valued[] = {"db", "dossier", "person", "agent", "at", "audit-key"};
  constexpr std::string_view flags[] = {"json"};
  const arguments args(raw, valued, flags);
  if (!args.positional().empty()) {
    throw usage_error{fmt::format("unexpected argument `{}`", detail::echo(args.positional()[0]))};
  }
  const auto dossier = dossier_number::parse(args.required("dossier"));
  if (!dossier) throw usage_error{describe(dossier.error())};
  const auto person_text = args.required("person");
  if (const auto p = person_id::parse(person_text); !p) throw usage_error{describe(p.error())};
  const std::string_view agent = args.option("agent").value_or("");
  if (args.option("agent")) {
    if (const auto a = person_id::parse(agent); !a) {
      throw usage_error{fmt::format("--agent: {}", describe(a.error()))};
    }
  }
  date at = local_today();
  if (const auto text = args.option("at")) {
    const auto parsed = parse_date(*text);
    if (!parsed) throw usage_error{describe(parsed.error())};
    at = *parsed;
  }

  const auto db = open_database(args, open_mode::must_exist);
  // One read: the facts shown and the decisions come from the same state of the
  // dossier. Nothing is kept after the command (R10).
  const household h = load_stored_household(*db, dossier->str());
  const member* m = h.find(person_text);
  const standing s = standing_at(h, person_text, at);

  std::vector<explained> answers;
  answers.reserve(all_actions.size());
  if (agent.empty()) {
    for (const action a : all_actions) {
      const decision d = decide(h, request{person_text, a, at, channel::online, {}});
      answers.push_back({a, authorization{d.allowed, std::string(d.reason), std::string(d.message),
                                          d.role, true, std::nullopt}});
    }
  } else {
    storage_authorizer authz(*db);
    for (const action a : all_actions) {
      auto r = authz.authorize_loaded(&h, person_text, *dossier, a, channel::front_desk, agent, at);
      if (!r) throw usage_error{fmt::format("the audit trail could not be written: {}", describe(r.error()))};
      answers.push_back({a, std::move(r).value()});
    }
  }

  if (args.flag("json")) {
    io.out << explanation_json(h, m, s, person_text, at, agent, answers).dump() << '\n';
  } else {
    io.out << explanation_text(h, m, s, person_text, at, agent, answers);
  }
  return exit_ok;
}

}  // namespace calp::cli
