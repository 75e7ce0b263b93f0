#!/usr/bin/env bash
# Build the local stack's FerretDB (this directory's wrapper) into $1, with one expression of
# FerretDB v1.24.2's SQLite backend changed so that lookups by _id use the _id index.
#
# Why: FerretDB creates each collection's unique _id index on the SQLite expression
# `_ferretdb_sjson->"_id"` but filters by `_ferretdb_sjson->'$._id'`. Both name the same
# value, yet SQLite uses an index on an expression only for a query that writes that
# expression the same way, so every find, update and delete by _id read and parsed every
# document of its collection (`EXPLAIN QUERY PLAN`: SCAN instead of SEARCH ... USING INDEX).
# The cost of each operation grew with everything stored beside it. Writing the filter as
# `->'_id'` (SQLite reads a label without `$` as `$.label`) gives the same results from the
# index.
#
# The change is applied to a copy of the module taken from Go's module cache at build time,
# in a scratch directory under the stack's cache: nothing of FerretDB is kept in this repo.
set -euo pipefail

out="$1"
scratch="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module="github.com/FerretDB/FerretDB"
file="internal/backends/sqlite/metadata/metadata.go"
before="IDColumn = DefaultColumn + \"->'\$._id'\""
after="IDColumn = DefaultColumn + \"->'_id'\""

cd "$here"
export GOTOOLCHAIN=local
version="$(go list -m -f '{{.Version}}' "$module")"
go mod download "$module"
source_dir="$(go list -m -f '{{.Dir}}' "$module")"

rm -rf "$scratch"
mkdir -p "$scratch"
cp -R "$source_dir" "$scratch/src"
chmod -R u+w "$scratch/src"
target="$scratch/src/$file"
if [ "$(grep -cF "$before" "$target")" != 1 ]; then
  echo "FerretDB $version: $file does not hold the expected _id expression; the patch in" \
    "deploy/local/ferretdb/build.sh needs a look" >&2
  exit 1
fi
sed -i "s/IDColumn = DefaultColumn + \"->'\\\$\\._id'\"/IDColumn = DefaultColumn + \"->'_id'\"/" "$target"
grep -qF "$after" "$target" || { echo "the _id expression was not replaced in $file" >&2; exit 1; }

cp go.mod "$scratch/go.mod"
cp go.sum "$scratch/go.sum"
printf '\nreplace %s => %s\n' "$module" "$scratch/src" >>"$scratch/go.mod"
go build -modfile="$scratch/go.mod" -o "$out.tmp" .
mv "$out.tmp" "$out"
