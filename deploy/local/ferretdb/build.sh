#!/usr/bin/env bash
# Build the local stack's FerretDB (this directory's wrapper) into $1, with FerretDB v1.24.2's
# SQLite backend changed in two places so that every lookup naming an _id uses the _id index.
# $2 is a scratch directory (under the stack's cache).
#
# Why: on SQLite, FerretDB keeps each collection's documents as JSON text and a unique index on
# the expression `_ferretdb_sjson->"_id"`, and
#  1. filters by `_ferretdb_sjson->'$._id'`: the same value, but SQLite uses an index on an
#     expression only for a query that writes that expression the same way, so every find,
#     update and delete by _id read and parsed every document of its collection
#     (`EXPLAIN QUERY PLAN`: SCAN instead of SEARCH ... USING INDEX);
#  2. hands the _id to SQLite only when it is the filter's one key, so a compare-and-set such
#     as {_id, owner, status} read every document too.
# Each operation's cost grew with everything stored beside it, unlike on MongoDB. The build
# writes the filter as `->'_id'` (SQLite reads a label without `$` as `$.label`) and passes the
# _id down whatever else the filter holds; FerretDB still applies the whole filter to what
# SQLite returns (find, count, distinct, update, delete, findAndModify all do), so results
# are unchanged.
#
# The changes are made to a copy of the module taken from Go's module cache at build time:
# nothing of FerretDB is kept in this repository.
set -euo pipefail

out="$1"
scratch="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module="github.com/FerretDB/FerretDB"

cd "$here"
export GOTOOLCHAIN=local
version="$(go list -m -f '{{.Version}}' "$module")"
go mod download "$module"
source_dir="$(go list -m -f '{{.Dir}}' "$module")"

rm -rf "$scratch"
mkdir -p "$scratch"
cp -R "$source_dir" "$scratch/src"
chmod -R u+w "$scratch/src"

replace() { # file, how many lines hold it, text, replacement
  local file="$scratch/src/$1" found
  found="$(grep -cF -- "$3" "$file" || true)"
  if [ "$found" != "$2" ]; then
    echo "FerretDB $version: expected $2 line(s) with [$3] in $1, found $found;" \
      "deploy/local/ferretdb/build.sh needs a look" >&2
    exit 1
  fi
  FROM="$3" TO="$4" perl -pi -e 's/\Q$ENV{FROM}\E/$ENV{TO}/g' "$file"
  grep -qF -- "$4" "$file" || { echo "[$3] was not replaced in $1" >&2; exit 1; }
}

replace internal/backends/sqlite/metadata/metadata.go 1 \
  "IDColumn = DefaultColumn + \"->'\$._id'\"" \
  "IDColumn = DefaultColumn + \"->'_id'\""
# Query and Explain; a filter with a repeated key keeps the old path (Get would panic on it).
replace internal/backends/sqlite/collection.go 2 \
  "if params.Filter.Len() == 1 {" \
  "if params.Filter.Len() >= 1 && len(params.Filter.Map()) == params.Filter.Len() {"

cp go.mod "$scratch/go.mod"
cp go.sum "$scratch/go.sum"
printf '\nreplace %s => %s\n' "$module" "$scratch/src" >>"$scratch/go.mod"
go build -modfile="$scratch/go.mod" -o "$out.tmp" .
mv "$out.tmp" "$out"
