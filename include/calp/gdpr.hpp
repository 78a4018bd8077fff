#pragma once
/// \file
/// The right of access (GDPR Art. 15): everything calp holds about one person, as one
/// JSON document, and nothing about the other members of their households beyond what
/// is theirs to see.
///
/// ```cpp
/// if (auto doc = calp::gdpr_export(store, person, clock.now())) send(*doc);
/// ```
///
/// The document (keys in this order):
///
/// ```json
/// {"exported_at": "2026-11-28T10:00:00Z",
///  "person": {"id", "nir": "2 84 05 ** *** *** 32" | null, "provisional_id": ... | null,
///             "provisional_valid_until": ... | null,
///             "civil_status": {"family_name", "given_names", "gender", "birth_date",
///                              "birth_country", "birth_place", "birth_city",
///                              "parents": [{"family_name", "given_names"}],
///                              "postal_code"} | null},
///  "account": {"state", "terms_version", "terms_accepted_at",
///              "contacts": [{"kind", "value", "verified_at"}],
///              "franceconnect_linked", "password_set", "legacy_password_set",
///              "civil_status_locked", "created_at", "password_changed_at",
///              "delegation_offer_accepted"} | null,
///  "households": [{"dossier", "role", "birth_date", "left", "benefits": [{"code", "from", "until"}],
///                  "delegation": {"role": "given" | "received", "granted", "revoked"} | null}],
///  "audit_events": [{"seq", "at", "kind", "actor", "subject", "dossier", "outcome",
///                    "detail"}]}
/// ```
///
/// What is left out on purpose:
/// - secrets: password hashes (only whether one is set), the FranceConnect subject (only
///   whether one is linked), codes, session tokens, the audit chain's links;
/// - the full NIR: only `nir::masked()`;
/// - the other members: their ids, roles, birth dates and benefits. The délégation names
///   the other party only by its role, through `"given"` (the person is the allocataire
///   who gave it) or `"received"` (the conjoint who holds it). In audit events, an actor
///   or subject who is another person becomes the role they have in a household shared
///   with the person (`"allocataire"`, `"conjoint"`, `"other"`), or `"another_person"`;
///   a front-desk agent stays `agent:<id>` (who consulted the person's data is theirs to
///   know). `detail` is the stored JSON object, parsed, or null when empty.
///
/// Audit events are those whose subject or actor is the person, in `seq` order, read page
/// by page so that none is missed however many there are.

#include <optional>
#include <string>

#include "calp/ids.hpp"
#include "calp/storage.hpp"
#include "calp/time.hpp"

namespace calp {

/// The GDPR export of `person` at `now` (written as `exported_at`), or nothing when the
/// storage has no person record, no account and no household for that id. Reads only;
/// thread-safe as the storage is. Throws `calp::storage_error` on a storage failure.
/// The result is UTF-8 JSON (one line, no trailing newline).
[[nodiscard]] std::optional<std::string> gdpr_export(storage& s, const person_id& person,
                                                     timestamp now);

}  // namespace calp
