#!/usr/bin/env bash
# A user's session with Debian's real OpenStack clients against a Glint endpoint; every answer is
# checked. Usage: session.sh http://127.0.0.1:PORT WORKDIR
# Each glance call gets a fresh HOME: the glance CLI caches the server's image schema there, and
# glanceclient 4.1 then fails to build its own parser ("--stores" conflicts), against real Glance
# as against Glint.
set -uo pipefail
URL="$1"
WORK="$2"
mkdir -p "$WORK"
fails=0
passes=0

g() {
  local h rc
  h=$(mktemp -d "$WORK/home.XXXXXX")
  HOME="$h" glance --os-image-url "$URL" --os-auth-token x "$@" </dev/null
  rc=$?
  rm -rf "$h"
  return $rc
}
o() {
  HOME="$WORK" openstack --os-auth-type none --os-endpoint "$URL" "$@" </dev/null
}
ok() { passes=$((passes + 1)); echo "ok   - $1"; }
bad() { fails=$((fails + 1)); echo "FAIL - $1"; }
check() { # check NAME COMMAND... : passes when the command exits 0
  local name="$1"; shift
  if "$@" >"$WORK/out" 2>&1; then ok "$name"; else bad "$name"; sed 's/^/       /' "$WORK/out"; fi
}
expect() { # expect NAME PATTERN FILE
  if grep -Eq -- "$2" "$3"; then ok "$1"; else bad "$1 (no /$2/ in output)"; sed 's/^/       /' "$3"; fi
}
field() { # value of a glance table row
  awk -F'|' -v k="$1" '{gsub(/^ +| +$/, "", $2); gsub(/^ +| +$/, "", $3)} $2 == k {print $3; exit}' "$2"
}

head -c 9437185 /dev/urandom >"$WORK/F"   # 9 MiB + 1 byte: three chunks, the last one short
MD5=$(md5sum "$WORK/F" | cut -c1-32)
SHA512=$(sha512sum "$WORK/F" | cut -c1-128)

# --- glance (python3-glanceclient) ------------------------------------------------------------
check "glance image-create --file --progress" g image-create --name session-a --disk-format raw \
  --container-format bare --file "$WORK/F" --progress
cp "$WORK/out" "$WORK/create.out"
ID=$(field id "$WORK/create.out")
[ -n "$ID" ] && ok "image-create printed an id ($ID)" || bad "image-create printed no id"
[ "$(field status "$WORK/create.out")" = active ] && ok "created image is active" || bad "created image is not active"
[ "$(field checksum "$WORK/create.out")" = "$MD5" ] && ok "checksum is the MD5 of the file" || bad "checksum differs"
[ "$(field size "$WORK/create.out")" = "$(stat -c %s "$WORK/F")" ] && ok "size is the file's size" || bad "size differs"

check "glance image-create (second, for filters)" g image-create --name session-b --disk-format qcow2 --container-format bare
ID2=$(field id "$WORK/out")

check "glance image-list --property-filter name=session-a" g image-list --property-filter name=session-a
expect "filtered list shows the image" "$ID" "$WORK/out"
grep -q "$ID2" "$WORK/out" && bad "filtered list shows the other image" || ok "filtered list leaves the other image out"

check "glance image-list --sort name:asc" g image-list --sort name:asc
A=$(grep -n "session-a" "$WORK/out" | cut -d: -f1); B=$(grep -n "session-b" "$WORK/out" | cut -d: -f1)
[ -n "$A" ] && [ -n "$B" ] && [ "$A" -lt "$B" ] && ok "name:asc puts session-a before session-b" || bad "sort order wrong"

check "glance image-list --sort name:desc --limit 1 pages through" g image-list --sort name:desc --page-size 1
expect "paged list has both images" "$ID2" "$WORK/out"

check "glance image-show" g image-show "$ID"
[ "$(field os_hash_value "$WORK/out" | tr -d ' \n')" != "" ] && ok "image-show has os_hash_value" || bad "no os_hash_value"

check "glance image-update --property k=v" g image-update --property k=v "$ID"
[ "$(field k "$WORK/out")" = v ] && ok "property k=v is set" || bad "property k not shown"

check "glance image-tag-update" g image-tag-update "$ID" session-tag
check "glance image-show after tag" g image-show "$ID"
expect "tag is on the image" "session-tag" "$WORK/out"

check "glance image-update --visibility shared" g image-update --visibility shared "$ID"
check "glance member-create" g member-create "$ID" session-project
expect "member is pending" "session-project +\| pending" "$WORK/out"

check "glance image-download --file G" g image-download --file "$WORK/G" "$ID"
cmp -s "$WORK/F" "$WORK/G" && ok "downloaded file is identical" || bad "downloaded file differs"

check "glance image-deactivate" g image-deactivate "$ID"
check "glance image-show (deactivated)" g image-show "$ID"
[ "$(field status "$WORK/out")" = deactivated ] && ok "status is deactivated" || bad "status is not deactivated"
check "glance image-reactivate" g image-reactivate "$ID"

# --- glance cache-* (the cache API, v2.14+) ---------------------------------------------------
check "glance cache-queue" g cache-queue "$ID"
cached=no
for _ in $(seq 1 100); do # the prefetch runs in the background: poll (bounded) until it is listed
  g cache-list >"$WORK/cache.out" 2>&1 && grep -q "$ID.*cached" "$WORK/cache.out" && { cached=yes; break; }
  sleep 0.2
done
[ "$cached" = yes ] && ok "glance cache-list shows the image cached" || { bad "image not cached"; sed 's/^/       /' "$WORK/cache.out"; }
check "glance cache-delete" g cache-delete "$ID"
check "glance cache-list (after delete)" g cache-list
grep -q "$ID" "$WORK/out" && bad "evicted image still listed" || ok "evicted image not listed"
check "glance cache-clear" g cache-clear
g cache-queue 00000000-0000-0000-0000-000000000000 >"$WORK/out" 2>&1 # glanceclient exits 0 here, printing the error
expect "queuing an unknown image is a 404" "404 Not Found" "$WORK/out"

check "glance image-delete" g image-delete "$ID" "$ID2"
if g image-show "$ID" >"$WORK/out" 2>&1; then bad "deleted image is still shown"; else expect "deleted image is 404" "404" "$WORK/out"; fi

# --- openstack (python3-openstackclient over openstacksdk) -------------------------------------
check "openstack image create --file" o image create --disk-format raw --container-format bare --file "$WORK/F" session-osc
check "openstack image list" o image list
expect "openstack lists the image" "session-osc" "$WORK/out"
check "openstack image show" o image show session-osc -f value -c status -c checksum
expect "openstack shows it active" "active" "$WORK/out"
expect "openstack shows the MD5" "$MD5" "$WORK/out"
check "openstack image save" o image save --file "$WORK/H" session-osc
cmp -s "$WORK/F" "$WORK/H" && ok "saved file is identical" || bad "saved file differs"
check "openstack image show -f json" o image show session-osc -f json
expect "os_hash_value is the SHA-512 of the file" "$SHA512" "$WORK/out"
check "openstack image delete" o image delete session-osc
check "openstack image list (after delete)" o image list
grep -q session-osc "$WORK/out" && bad "deleted image still listed" || ok "deleted image not listed"

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
