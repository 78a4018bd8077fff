// What an agent at the counter may tell a person about their household (R8): for each
// action, allowed or not and the French reason to read out. The front desk gets exactly
// the answer the person would get online, and every answer names the agent.
//
// usage: front_desk --agent ID [--at YYYY-MM-DD] [--db LOCATION [--audit-key FILE]]
//                   HOUSEHOLD.json [PERSON]
// Without PERSON, every member of the household is shown in turn. With --db (a SQLite
// path or a postgresql:// URI, as `calp --db` takes it), the household is stored there
// if it is not yet, and every answer comes from the stored facts through
// calp::storage_authorizer, which records each front-desk answer in the audit trail (R8).
// With --audit-key (64 hex digits, `calp audit key`), the trail is chained with that key
// and verified at the end (R19).

#include <calp/calp.hpp>
#include <calp/storage/open.hpp>
#include <calp/storage_authorizer.hpp>
#include <memory>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

int usage() {
  std::cerr << "usage: front_desk --agent ID [--at YYYY-MM-DD] [--db LOCATION [--audit-key FILE]] "
               "HOUSEHOLD.json [PERSON]\n";
  return 2;
}

// One answer, whichever way it was decided.
struct answer_text {
  bool allowed = false;
  std::string reason;
  std::string message;
};

// Where the answers come from: the pure core on the file's facts, or the storage through
// the audited authorizer.
struct answers {
  calp::storage_authorizer* stored = nullptr;

  answer_text operator()(const calp::household& h, std::string_view person,
                                 calp::action a, std::string_view agent, calp::date at) const {
    if (stored == nullptr) {
      const calp::decision d = calp::decide(h, {.person = person, .action = a, .at = at,
                                                .channel = calp::channel::front_desk,
                                                .agent = agent});
      return {d.allowed, std::string(d.reason), std::string(d.message)};
    }
    const auto r =
        stored->authorize(person, h.dossier(), a, calp::channel::front_desk, agent, at);
    if (!r) throw std::runtime_error(r.error().message);  // an unaudited answer is no answer
    return {r->allowed, r->reason, r->message};
  }
};

void show(const calp::household& h, std::string_view person, std::string_view agent,
          calp::date at, const answers& answer) {
  const calp::standing s = calp::standing_at(h, person, at);
  std::cout << "\nPersonne " << person << "\u00a0: " << calp::libelle(s.role)
            << (s.has_delegation ? " avec délégation de gestion" : "") << '\n';
  for (const calp::action a : calp::all_actions) {
    const auto d = answer(h, person, a, agent, at);
    std::cout << "  [" << (d.allowed ? "oui" : "non") << "] " << calp::libelle(a) << "\n        "
              << d.message << " (" << d.reason << ")\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string agent;
  std::string at_text;
  std::string db;
  std::string key_file;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--agent" || arg == "--at" || arg == "--db" || arg == "--audit-key") &&
        i + 1 < argc) {
      (arg == "--agent" ? agent : arg == "--at" ? at_text : arg == "--db" ? db : key_file) = argv[++i];
    } else if (arg.rfind("--", 0) == 0) {
      return usage();
    } else {
      positional.push_back(arg);
    }
  }
  if (agent.empty() || positional.empty() || positional.size() > 2) return usage();
  if (!key_file.empty() && db.empty()) return usage();

  // The key is read once; the storage holds it for every event it appends.
  std::shared_ptr<const calp::audit_key> key;
  if (!key_file.empty()) {
    std::ifstream in(key_file);
    std::string hex;
    std::getline(in, hex);
    auto parsed = calp::audit_key::from_hex(hex);
    if (!parsed) {
      std::cerr << key_file << ": " << parsed.error().message << '\n';
      return 2;
    }
    key = std::make_shared<const calp::audit_key>(std::move(*parsed));
  }

  // A real host takes the date from its clock; the examples pin it to stay reproducible.
  const auto at = calp::parse_date(at_text.empty() ? "2026-11-28" : at_text);
  if (!at) {
    std::cerr << at.error().message << '\n';
    return 2;
  }
  std::ifstream file(positional[0]);
  std::stringstream text;
  text << file.rdbuf();
  const auto h = calp::household::from_json(text.str());
  if (!file || !h) {
    std::cerr << positional[0] << ": "
              << (h ? std::string("cannot read the file") : h.error().message) << '\n';
    return 2;
  }

  // With a database, the stored facts decide: the file only fills an empty dossier.
  std::unique_ptr<calp::storage> store;
  std::unique_ptr<calp::storage_authorizer> audited;
  answers answer;
  if (!db.empty()) {
    try {
      store = calp::open_storage(db, calp::open_mode::create_if_missing, key);
      if (!store->find_household(h->dossier())) {
        calp::write_batch batch;
        batch.put(*h, 0);
        if (auto done = store->commit(batch); !done) throw std::runtime_error(done.error().message);
      }
    } catch (const std::exception& e) {
      std::cerr << "front_desk: " << e.what() << '\n';
      return 2;
    }
    audited = std::make_unique<calp::storage_authorizer>(*store);
    answer.stored = audited.get();
  }

  std::cout << "Dossier " << h->dossier().str() << ", le " << calp::format_date(*at)
            << ", agent " << agent << (store ? " (faits lus dans la base, réponses tracées)" : "")
            << '\n';
  if (positional.size() == 2) {
    if (h->find(positional[1]) == nullptr) {
      std::cerr << "no member `" << positional[1] << "` in this household\n";
      return 2;
    }
    show(*h, positional[1], agent, *at, answer);
  } else {
    for (const calp::member& m : h->members()) show(*h, m.id.str(), agent, *at, answer);
  }
  if (store) {
    std::cout << "\nJournal d'audit\u00a0: "
              << calp::audit_events_of_agent(*store, agent, 0, 100000).size()
              << " réponses de l'agent " << agent << " enregistrées.\n";
  }
  if (key) {
    const calp::audit_verification v = calp::verify_audit_trail(*store, *key);
    if (!v.intact) {
      std::cout << "Journal d'audit altéré à l'évènement " << v.broken_at << ".\n";
      return 1;
    }
    std::cout << "Journal d'audit intact\u00a0: " << v.events << " évènements chaînés.\n";
  }
  return 0;
}
