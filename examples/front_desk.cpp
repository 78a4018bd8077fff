// What an agent at the counter may tell a person about their household (R8): for each
// action, allowed or not and the French reason to read out. The front desk gets exactly
// the answer the person would get online, and every answer names the agent.
//
// usage: front_desk --agent ID [--at YYYY-MM-DD] HOUSEHOLD.json [PERSON]
// Without PERSON, every member of the household is shown in turn.

#include <calp/calp.hpp>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

int usage() {
  std::cerr << "usage: front_desk --agent ID [--at YYYY-MM-DD] HOUSEHOLD.json [PERSON]\n";
  return 2;
}

void show(const calp::household& h, std::string_view person, std::string_view agent,
          calp::date at) {
  const calp::standing s = calp::standing_at(h, person, at);
  std::cout << "\nPersonne " << person << " : " << calp::libelle(s.role)
            << (s.has_delegation ? " avec délégation de gestion" : "") << '\n';
  for (const calp::action a : calp::all_actions) {
    const calp::decision d = calp::decide(
        h, {.person = person, .action = a, .at = at, .channel = calp::channel::front_desk,
            .agent = agent});
    std::cout << "  [" << (d.allowed ? "oui" : "non") << "] " << calp::libelle(a) << "\n        "
              << d.message << " (" << d.reason << ")\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string agent;
  std::string at_text;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--agent" || arg == "--at") && i + 1 < argc) {
      (arg == "--agent" ? agent : at_text) = argv[++i];
    } else if (arg.rfind("--", 0) == 0) {
      return usage();
    } else {
      positional.push_back(arg);
    }
  }
  if (agent.empty() || positional.empty() || positional.size() > 2) return usage();

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

  std::cout << "Dossier " << h->dossier().str() << ", le " << calp::format_date(*at)
            << ", agent " << agent << '\n';
  if (positional.size() == 2) {
    if (h->find(positional[1]) == nullptr) {
      std::cerr << "no member `" << positional[1] << "` in this household\n";
      return 2;
    }
    show(*h, positional[1], agent, *at);
  } else {
    for (const calp::member& m : h->members()) show(*h, m.id.str(), agent, *at);
  }
  return 0;
}
