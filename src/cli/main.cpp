#include <exception>
#include <fmt/format.h>
#include <iostream>
#include <vector>

#include "calp/storage.hpp"
#include "calp/version.hpp"
#include "cli/cli.hpp"
#include "detail/input_text.hpp"
#include "detail/json_input.hpp"

namespace calp::cli {

namespace {

struct command {
  std::vector<std::string_view> words;
  std::string_view summary;
  std::string_view help;
  int (*handler)(std::span<const std::string_view>, const streams&);
};

const std::vector<command>& commands() {
  static const std::vector<command> all = {
      {{"nir", "check"},
       "check and normalise a NIR",
       "usage: calp nir check VALUE [--lenient]\n\n"
       "Checks a NIR (R1, R2). Spaces, no-break spaces, dots and hyphens are removed and\n"
       "letters upper-cased first.\n\n"
       "  --lenient   also accept the sex digits 3, 4, 7 and 8 (persons being registered)\n\n"
       "Valid: exit 0, the normalised 15-character NIR alone on stdout.\n"
       "Invalid: exit 1, the error (stable code and message) on stderr.\n",
       nir_check},
      {{"password", "check"},
       "check a new password against the rules (R12)",
       "usage: calp password check [--nir NIR] [--birth-date YYYY-MM-DD] [--name NAMES]\n\n"
       "Reads the password from standard input, never from the arguments: the first\n"
       "line is the password, a second line, if any, its confirmation (without one the\n"
       "password counts as typed twice the same). A final '\\r' on a line is ignored;\n"
       "a third line is an error. The password is never printed.\n\n"
       "  --nir NIR             refuse a password containing this NIR (13-digit body,\n"
       "                        spaces, dots and hyphens in the password ignored)\n"
       "  --birth-date DATE     refuse a password containing this date (12031985,\n"
       "                        12/03/1985, 1985-03-12, 120385, ...)\n"
       "  --name NAMES          family and given names, comma-separated; refuse a password\n"
       "                        containing any of them (3 letters or more; case and\n"
       "                        accents ignored)\n\n"
       "Prints one JSON object: {\"valid\": ..., \"rules\": {\"length\", \"digit\", \"lower\",\n"
       "\"upper\", \"confirmation\", \"not_common\", \"no_personal_data\", \"valid_utf8\",\n"
       "\"no_control_characters\"}, \"refusals\": [{\"code\": ..., \"message\": ...}]}.\n"
       "Exit 0 when the password is valid, 1 when it is not, 2 on bad usage (message on\n"
       "stderr, nothing on stdout).\n",
       password_check},
      {{"decide"},
       "decide what a person may do in a household",
       "usage: calp decide --household FILE --person ID --action NAME [--at YYYY-MM-DD]\n"
       "                   [--channel online|front-desk] [--agent ID] [--policy FILE]\n"
       "       calp decide --household FILE --requests FILE.jsonl [--at ...] [--channel ...]\n"
       "                   [--agent ...] [--policy FILE]\n"
       "       calp decide --db PATH_OR_URI --dossier NUMBER (--person ID --action NAME |\n"
       "                   --requests FILE.jsonl) [--at ...] [--channel ...] [--agent ...]\n\n"
       "  --household FILE   household in the interchange format (DESIGN.md §3); - for stdin\n"
       "  --db LOCATION      read the household from a database instead (see db init)\n"
       "  --dossier NUMBER   with --db: the dossier number of the household\n"
       "  --person ID        the person asking, by member id\n"
       "  --action NAME      own_data.read, own_contact.update, own_password.change,\n"
       "                     separation.declare, dossier.read, changes.declare,\n"
       "                     benefit.request, delegation.manage\n"
       "  --at DATE          the day of the decision (default: today, local time)\n"
       "  --channel NAME     online (default) or front-desk; front-desk needs --agent\n"
       "  --agent ID         the front-desk agent answering\n"
       "  --policy FILE      a reviewed policy instead of the Caf default\n"
       "  --requests FILE    one JSON request per line: {\"person\": ..., \"action\": ...,\n"
       "                     \"at\": ..., \"channel\": ..., \"agent\": ...} (the last three\n"
       "                     default to the options); - for stdin\n\n"
       "One request: prints {\"allowed\": ..., \"reason\": ..., \"message\": ...} and exits\n"
       "0 when allowed, 1 when denied, 2 on bad input (message on stderr, nothing on\n"
       "stdout).\n"
       "Requests file: prints one decision per request line, in order (blank lines are\n"
       "skipped); a bad line prints {\"error\": {\"code\", \"message\", \"line\", ...}}\n"
       "instead and the exit status is then 2, else 0.\n",
       decide},
      {{"explain"},
       "explain what a person may do in a stored dossier, and why",
       "usage: calp explain --dossier NUMBER --person ID [--agent ID] [--at YYYY-MM-DD]\n"
       "                    [--json] [--audit-key FILE] [--db PATH_OR_URI]\n\n"
       "For every action: allowed or not, the French reason to read out, and the facts\n"
       "it rests on (role and its French label, benefits with their dates, the\n"
       "délégation with its dates, whether the person is a member at that date).\n\n"
       "  --agent ID   a front-desk consultation (R8): each decision names the agent and\n"
       "               is written to the audit trail; without it nothing is written and\n"
       "               the decisions are the online ones\n"
       "  --at DATE    the day of the decisions (default: today, local time)\n"
       "  --json       one JSON object for tools instead of the text for an agent\n"
       "  --audit-key FILE  chain the audit events written (else CALP_AUDIT_KEY_FILE;\n"
       "               see calp audit key)\n\n"
       "Exit 0; 2 on bad input, an unknown dossier or a database that cannot be used.\n",
       explain},
      {{"policy", "table"},
       "print the role x action table of a policy",
       "usage: calp policy table [--policy FILE]\n\n"
       "Prints the role x action table, as in DESIGN.md §3, computed from what the\n"
       "policy decides (the Caf default, or FILE).\n",
       policy_table},
      {{"policy", "check"},
       "validate a policy document",
       "usage: calp policy check FILE\n\n"
       "Loads a policy document (calp.policy.v1). Valid: exit 0. Invalid: exit 1, the\n"
       "error and the place in the document on stderr.\n",
       policy_check},
      {{"policy", "default"},
       "print the Caf default policy document",
       "usage: calp policy default\n\n"
       "Prints the policy document built into calp, to start a reviewed variant.\n",
       policy_default},
      {{"household", "check"},
       "validate a household file",
       "usage: calp household check FILE\n\n"
       "Reads a household (DESIGN.md §3; - for stdin). Valid: exit 0 and the household\n"
       "in canonical form on stdout. Invalid: exit 1, the error naming the field on\n"
       "stderr.\n",
       household_check},
      {{"household", "import"},
       "store households in a database",
       "usage: calp household import FILE [--replace] [--db PATH_OR_URI]\n\n"
       "Reads FILE (- for stdin): one household, or a JSON array of households, at most\n"
       "64 MiB. Every household is checked before anything is written: one bad household\n"
       "writes nothing, and the error names it (`[3].members[1].role`). A dossier already\n"
       "in the database is an error unless --replace, which overwrites it.\n"
       "Prints {\"imported\": N, \"created\": N, \"replaced\": N}; exit 0, or 2 on bad\n"
       "input or a database error.\n",
       household_import},
      {{"household", "export"},
       "print a stored household",
       "usage: calp household export DOSSIER [--db PATH_OR_URI]\n\n"
       "Prints the household of DOSSIER in the interchange format, as stored now.\n"
       "Exit 0; 1 when the database has no such dossier; 2 on bad input.\n",
       household_export},
      {{"gdpr", "export"},
       "print everything calp holds about one person (GDPR Art. 15)",
       "usage: calp gdpr export --person ID [--db PATH_OR_URI]\n\n"
       "Prints one JSON object: the person (NIR masked), their account (never a hash, a\n"
       "code or the FranceConnect subject), their place in each household with their own\n"
       "benefits and the délégation they gave or received, and every audit event they are\n"
       "the subject or the actor of. Other members' ids are not exported.\n"
       "Exit 0; 2 on bad input, an unknown person or a database that cannot be used.\n",
       gdpr_export},
      {{"audit", "key"},
       "print a new audit key",
       "usage: calp audit key\n\n"
       "Prints 64 hex digits from the system's CSPRNG: the key that chains the audit\n"
       "trail (R19). Keep it in a file outside the database (`calp audit key >\n"
       "/etc/calp/audit.key`, mode 0600) and give every process that writes the trail\n"
       "the same one, with --audit-key FILE or CALP_AUDIT_KEY_FILE.\n",
       audit_key_new},
      {{"audit", "verify"},
       "check that no audit event was edited, removed or moved",
       "usage: calp audit verify [--audit-key FILE] [--json] [--db PATH_OR_URI]\n\n"
       "Recomputes every link of the trail with the key (--audit-key, else the file\n"
       "CALP_AUDIT_KEY_FILE names). Intact: exit 0, and the tail link to keep outside\n"
       "the database (comparing it later detects the removal of the newest events).\n"
       "Broken: exit 1 and the first event that does not follow. 2 on bad input.\n",
       audit_verify},
      {{"audit", "purge"},
       "remove old audit events, keeping the chain verifiable",
       "usage: calp audit purge --before DATE --by NAME [--audit-key FILE]\n"
       "                        [--db PATH_OR_URI]\n\n"
       "Removes the events at the start of the trail stamped before DATE (YYYY-MM-DD,\n"
       "00:00 UTC, or YYYY-MM-DDTHH:MM:SSZ) and records an audit.purged event by NAME\n"
       "that anchors the kept events, in one transaction. Needs the audit key. Prints\n"
       "{\"removed\": N, \"first_kept_seq\": N, \"event_seq\": N}; exit 0, 2 on bad input.\n",
       audit_purge},
      {{"audit", "events"},
       "list the audit events about a person, or of a front-desk agent",
       "usage: calp audit events (--person ID | --agent ID) [--after SEQ] [--limit N]\n"
       "                         [--db PATH_OR_URI]\n\n"
       "One JSON event per line, in seq order: with --person, those the person is the\n"
       "subject or the actor of (their own access); with --agent, those the agent\n"
       "answered at the front desk (control). At most --limit (1000); continue with\n"
       "--after the last seq printed.\n",
       audit_events},
      {{"db", "init"},
       "create a database, or bring its schema up to date",
       "usage: calp db init [--db PATH_OR_URI]\n\n"
       "Creates the SQLite file if it does not exist, or connects to PostgreSQL, and\n"
       "applies the schema migrations. Other commands never create a database: a\n"
       "mistyped path is an error, not a new empty database. A database written by a\n"
       "newer calp is refused and left untouched.\n",
       db_init},
  };
  return all;
}

void print_usage(std::ostream& out) {
  out << fmt::format("calp {} - personal accounts and one policy for Caf households\n\n",
                     version_string)
      << "usage: calp COMMAND [OPTIONS]\n\ncommands:\n";
  for (const auto& c : commands()) {
    std::string words;
    for (const auto w : c.words) words += fmt::format("{}{}", words.empty() ? "" : " ", w);
    out << fmt::format("  {:<17} {}\n", words, c.summary);
  }
  out << "\noptions for every command that reads a database:\n"
         "  --db LOCATION   a SQLite file path or a postgresql:// URI; default: the CALP_DB\n"
         "                  environment variable (keeps a password out of the process list)\n"
         "\n`calp COMMAND --help` tells more. Exit status: 0 ok or allowed, 1 denied or\n"
         "invalid, 2 bad input, usage or a database that cannot be used.\n";
}

bool wants_help(std::span<const std::string_view> args) {
  return std::find_if(args.begin(), args.end(), [](std::string_view a) {
           return a == "--help" || a == "-h";
         }) != args.end();
}

}  // namespace

int run(std::span<const std::string_view> args, const streams& io) {
  if (args.empty()) {
    print_usage(io.err);
    return exit_bad_input;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_usage(io.out);
    return exit_ok;
  }
  if (args[0] == "--version") {
    io.out << version_string << '\n';
    return exit_ok;
  }
  // `calp --db LOCATION COMMAND …` is `calp COMMAND … --db LOCATION`.
  std::vector<std::string_view> moved;
  if (args[0] == "--db" || args[0].substr(0, 5) == "--db=") {
    const std::size_t taken = args[0] == "--db" ? 2 : 1;
    if (args.size() <= taken) {
      io.err << "calp: --db needs a value and a command\n";
      return exit_bad_input;
    }
    moved.assign(args.begin() + static_cast<std::ptrdiff_t>(taken), args.end());
    moved.insert(moved.end(), args.begin(), args.begin() + static_cast<std::ptrdiff_t>(taken));
    args = moved;
  }
  for (const auto& c : commands()) {
    if (args.size() < c.words.size() ||
        !std::equal(c.words.begin(), c.words.end(), args.begin())) {
      continue;
    }
    const auto rest = args.subspan(c.words.size());
    if (wants_help(rest)) {
      io.out << c.help;
      return exit_ok;
    }
    try {
      return c.handler(rest, io);
    } catch (const usage_error& e) {
      io.err << "calp: " << e.message << '\n';
    } catch (const detail::input_error& e) {
      io.err << "calp: " << to_string(e.error.code) << ": " << e.error.message << '\n';
    } catch (const storage_error& e) {
      // The message names the location with any password removed.
      io.err << "calp: " << e.what() << '\n';
    }
    return exit_bad_input;
  }
  io.err << fmt::format("calp: unknown command `{}`\n\n", detail::echo(args[0]));
  print_usage(io.err);
  return exit_bad_input;
}

}  // namespace calp::cli

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  try {
    return calp::cli::run(args, {std::cout, std::cerr, std::cin});
  } catch (const std::exception& e) {
    std::cerr << "calp: internal error: " << e.what() << '\n';
    return 3;
  }
}
