#!/usr/bin/python3
"""Side-by-side parity check of Glint against the real OpenStack Glance.

Why: the spec (/work/shared/spec/glance-v2-api.md) is our reading of Glance; this script asks a
running Glance the same questions as Glint and shows where the answers differ, so that every
difference is either fixed in Glint or knowingly accepted.

It sends the SAME sequence of requests to both servers (interleaved: each step goes to Glance,
then to Glint) and compares, per request:
  * the status code;
  * the headers that matter (Content-Type, Location, OpenStack-image-import-methods, Allow,
    Accept-Patch, Content-MD5, Content-Range, Content-Length of data, x-openstack-request-id
    presence, OpenStack-image-store-ids presence);
  * the JSON body: same keys and value types everywhere; scalar values too, except those that
    legitimately differ (timestamps, owners, store names, task ids, free-text messages); image and
    member ids are normalised (client-supplied ids are shared by both servers, server-generated
    ones are replaced by a name), the servers' base URLs by "<base>";
  * error bodies: the title line (HTML/text) or message/code/title keys (JSON);
  * data bodies: byte equality.

Only the Python 3 standard library is used. It is a report, not a gate: it always exits 0.

    /usr/bin/python3 bench/glance_parity.py --glance http://127.0.0.1:9395 --glint http://127.0.0.1:9396
"""

import argparse
import hashlib
import http.client
import json
import re
import sys
import time
import urllib.parse
import uuid

ZERO_ID = "00000000-0000-0000-0000-000000000000"
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
PATCH21 = "application/openstack-images-v2.1-json-patch"
PATCH20 = "application/openstack-images-v2.0-json-patch"
OCTET = "application/octet-stream"
REQUEST_TIMEOUT_SECONDS = 60
WAIT_TIMEOUT_SECONDS = 90

# Scalars under these keys are compared by type only: they legitimately differ between servers.
TYPE_ONLY_KEYS = {
    "created_at", "updated_at", "owner", "stores", "expires_at", "request_id", "user_id", "message",
    "description", "os_glance_import_task", "os_glance_importing_to_stores", "os_glance_failed_import",
    "deleted_at", "last_accessed", "last_modified", "result", "input",
}
# Lists with set semantics.
UNORDERED_LIST_KEYS = {"tags", "enum", "type", "required", "value"}
# Headers whose value (not only presence) is compared, with how to normalise it.
HEADER_SETS = {"openstack-image-import-methods", "allow", "accept-patch"}
HEADER_VALUES = {"location", "content-md5", "content-range"}
HEADER_PRESENCE = {"x-openstack-request-id", "openstack-image-store-ids"}


# --------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------

class Resp:
    """One HTTP answer: status, lower-cased headers, raw body, parsed JSON (or None)."""

    def __init__(self, status=0, headers=None, body=b"", error=None):
        self.status = status
        self.headers = headers or {}
        self.body = body
        self.error = error
        self.json = None
        self.json_ok = False
        if body:
            try:
                self.json = json.loads(body.decode("utf-8"))
                self.json_ok = True
            except (ValueError, UnicodeDecodeError):
                pass

    def ctype(self):
        return self.headers.get("content-type", "")


class Server:
    def __init__(self, name, base):
        self.name = name
        self.base = base.rstrip("/")
        u = urllib.parse.urlsplit(self.base)
        if u.scheme != "http":
            raise SystemExit("only http:// URLs are supported: " + base)
        self.host = u.hostname
        self.port = u.port or 80
        self.prefix = u.path

    def request(self, method, path, body=None, headers=None, chunks=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_TIMEOUT_SECONDS)
        try:
            conn.putrequest(method, self.prefix + path, skip_accept_encoding=True)
            names = set()
            for k, v in (headers or {}).items():
                if v is None:
                    continue
                conn.putheader(k, v)
                names.add(k.lower())
            if chunks is not None:
                conn.putheader("Transfer-Encoding", "chunked")
                conn.endheaders()
                try:
                    for c in chunks:
                        conn.send(b"%x\r\n" % len(c) + c + b"\r\n")
                    conn.send(b"0\r\n\r\n")
                except OSError:
                    pass  # the server may answer early and close; read what it said
            else:
                if body is not None and "content-length" not in names:
                    conn.putheader("Content-Length", str(len(body)))
                conn.endheaders()
                if body:
                    try:
                        conn.send(body)
                    except OSError:
                        pass
            r = conn.getresponse()
            data = r.read()
            hdrs = {}
            for k, v in r.getheaders():
                k = k.lower()
                hdrs[k] = hdrs[k] + ", " + v if k in hdrs else v
            return Resp(r.status, hdrs, data)
        except (OSError, http.client.HTTPException) as e:
            return Resp(0, {}, b"", error=type(e).__name__ + ": " + str(e))
        finally:
            conn.close()


# --------------------------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------------------------

class Step:
    """One request sent to both servers and compared.

    path/body/headers may contain {name} placeholders filled from the server's context (shared
    client ids, the run tag, ids the server generated earlier).
    """

    def __init__(self, label, method, path, jbody=None, *, body=None, headers=None, chunks=None,
                 save=None, values=True, ordered=True, value_keys=(), header_values=(), note=None):
        self.label = label
        self.method = method
        self.path = path
        self.jbody = jbody
        self.body = body
        self.headers = headers or {}
        self.chunks = chunks
        self.save = save or {}
        self.values = values          # False: compare JSON keys and types only
        self.ordered = ordered        # False: the "images" list is compared as a set
        self.value_keys = set(value_keys)  # keys normally type-only whose values must match here
        self.header_values = set(header_values)  # headers normally presence-only whose values must match
        self.note = note


class Wait:
    """Polls GET path on each server until pred(json) holds; not part of the table."""

    def __init__(self, label, path, pred):
        self.label = label
        self.path = path
        self.pred = pred


class Ctx(dict):
    """A server's placeholder values; knows which values are ids to normalise in answers."""

    def __init__(self, server, shared):
        super().__init__(shared)
        self.server = server
        self.id_names = {v: k for k, v in shared.items() if isinstance(v, str) and UUID_RE.fullmatch(v)}

    def remember(self, name, value):
        self[name] = value
        if isinstance(value, str) and UUID_RE.fullmatch(value):
            self.id_names[value] = name


def fill(obj, ctx):
    if isinstance(obj, str):
        return PLACEHOLDER_RE.sub(lambda m: str(ctx.get(m.group(1), m.group(0))), obj)
    if isinstance(obj, list):
        return [fill(x, ctx) for x in obj]
    if isinstance(obj, dict):
        return {fill(k, ctx): fill(v, ctx) for k, v in obj.items()}
    return obj


def norm(s, ctx):
    """Replaces the server's base URL and known ids by names, and other UUIDs by <uuid>."""
    if not isinstance(s, str):
        return s
    s = s.replace(ctx.server.base, "<base>")
    return UUID_RE.sub(lambda m: "<" + ctx.id_names.get(m.group(0).lower(), "uuid") + ">", s)


def run_step(step, ctx):
    headers = fill(dict(step.headers), ctx)
    if not any(k.lower() == "accept" for k in headers):
        headers["Accept"] = "*/*"  # what glanceclient (python-requests) sends; None = no Accept at all
    body = None
    if step.jbody is not None:
        body = json.dumps(fill(step.jbody, ctx)).encode("utf-8")
        if not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "application/json"
    elif step.body is not None:
        body = step.body if isinstance(step.body, bytes) else fill(step.body, ctx).encode("utf-8")
    resp = ctx.server.request(step.method, fill(step.path, ctx), body, headers, step.chunks)
    for name, fn in step.save.items():
        try:
            v = fn(resp)
        except (KeyError, TypeError, AttributeError, IndexError):
            v = None
        if v is not None:
            ctx.remember(name, v)
    return resp


def run_wait(w, ctx, deadline_seconds=WAIT_TIMEOUT_SECONDS):
    deadline = time.monotonic() + deadline_seconds
    last = None
    while time.monotonic() < deadline:
        r = ctx.server.request("GET", fill(w.path, ctx))
        last = r.json if r.json_ok else r.status
        if r.json_ok and w.pred(r.json):
            return None
        if r.status in (0, 404):
            break  # no server, or no such image: nothing to wait for
        time.sleep(0.5)
    return "wait '%s' timed out on %s (last: %s)" % (w.label, ctx.server.name, str(last)[:200])


# --------------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------------

def jtype(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "str"
    if isinstance(v, list):
        return "list"
    return "object"


def short(v, n=60):
    s = json.dumps(v) if not isinstance(v, str) else repr(v)
    return s if len(s) <= n else s[:n - 3] + "..."


class JsonComparer:
    def __init__(self, step, cg, cl):
        self.step = step
        self.cg = cg
        self.cl = cl
        self.reasons = []

    def diff(self, text):
        self.reasons.append(text)

    def cmp(self, g, l, path, key=None):
        tg, tl = jtype(g), jtype(l)
        if tg != tl:
            self.diff("%s: type %s vs %s (%s vs %s)" % (path or "body", tg, tl, short(g, 40), short(l, 40)))
            return
        if tg == "object":
            self.cmp_object(g, l, path)
        elif tg == "list":
            self.cmp_list(g, l, path, key)
        else:
            type_only = (key in TYPE_ONLY_KEYS and key not in self.step.value_keys) or not self.step.values
            if not type_only:
                ng, nl = norm(g, self.cg), norm(l, self.cl)
                if key in ("first", "next") and isinstance(ng, str) and isinstance(nl, str):
                    ng, nl = canon_link(ng), canon_link(nl)
                if ng != nl:
                    self.diff("%s: %s vs %s" % (path or "body", short(ng), short(nl)))

    def cmp_object(self, g, l, path):
        if path.endswith("properties") and "stores" in g and "stores" in l:
            pass  # store-related schema property: compared below like the others, both present
        only_g = sorted(set(g) - set(l))
        only_l = sorted(set(l) - set(g))
        if only_g:
            self.diff("%s: keys only in Glance: %s" % (path or "body", ", ".join(only_g)))
        if only_l:
            self.diff("%s: keys only in Glint: %s" % (path or "body", ", ".join(only_l)))
        for k in sorted(set(g) & set(l)):
            self.cmp(g[k], l[k], (path + "." if path else "") + k, k)

    def cmp_list(self, g, l, path, key):
        if key in UNORDERED_LIST_KEYS and all(not isinstance(x, (dict, list)) for x in g + l):
            sg = sorted(json.dumps(norm(x, self.cg)) for x in g)
            sl = sorted(json.dumps(norm(x, self.cl)) for x in l)
            if sg != sl and self.step.values:
                self.diff("%s: %s vs %s" % (path, short(sorted(set(sg) - set(sl)), 50),
                                            short(sorted(set(sl) - set(sg)), 50)))
            elif sg != sl:
                self.cmp_lengths(g, l, path)
            elif key == "enum" and g != l and self.step.values:
                self.diff("%s: same values, order %s vs %s" % (path, short(g, 50), short(l, 50)))
            return
        if key in ("images", "members", "tasks") and all(isinstance(x, dict) for x in g + l):
            idk = {"images": "id", "members": "member_id", "tasks": "id"}[key]
            ig = [norm(x.get(idk), self.cg) for x in g]
            il = [norm(x.get(idk), self.cl) for x in l]
            if key == "tasks":
                pass  # task ids are random on both sides; compare count and shapes only
            elif not self.step.ordered or key == "members":
                if sorted(map(str, ig)) != sorted(map(str, il)) and self.step.values:
                    self.diff("%s: ids %s vs %s" % (path, short(sorted(map(str, ig))), short(sorted(map(str, il)))))
                g = [x for _, x in sorted(zip(map(str, ig), g), key=lambda p: p[0])]
                l = [x for _, x in sorted(zip(map(str, il), l), key=lambda p: p[0])]
            elif ig != il and self.step.values:
                self.diff("%s: order/ids %s vs %s" % (path, short(ig), short(il)))
        if len(g) != len(l):
            self.diff("%s: %d items vs %d" % (path, len(g), len(l)))
        for i, (a, b) in enumerate(zip(g, l)):
            self.cmp(a, b, "%s[%d]" % (path, i), key)

    def cmp_lengths(self, g, l, path):
        if len(g) != len(l):
            self.diff("%s: %d items vs %d" % (path, len(g), len(l)))


def canon_link(s):
    """A next/first link as path plus sorted query parameters (parameter order is not significant)."""
    u = urllib.parse.urlsplit(s)
    q = sorted(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
    return u.path + ("?" + "&".join("%s=%s" % kv for kv in q) if q else "")


def ct_norm(v):
    return v.replace(" ", "").lower()


def error_title(resp):
    ct = resp.ctype().lower()
    text = resp.body.decode("utf-8", "replace")
    if "html" in ct:
        m = re.search(r"<title>(.*?)</title>", text, re.S)
        return m.group(1).strip() if m else text[:40]
    if "json" in ct:
        return None
    return text.strip().split("\n")[0].strip()


def compare(step, rg, rl, cg, cl):
    reasons = []
    if rg.error or rl.error:
        if rg.error:
            reasons.append("Glance: " + rg.error)
        if rl.error:
            reasons.append("Glint: " + rl.error)
        return reasons
    if rg.status != rl.status:
        reasons.append("status %d vs %d%s" % (rg.status, rl.status, status_hint(rg, rl)))
        return reasons
    hg, hl = rg.headers, rl.headers
    if rg.body or rl.body:
        if ct_norm(hg.get("content-type", "")) != ct_norm(hl.get("content-type", "")):
            reasons.append("Content-Type %r vs %r" % (hg.get("content-type"), hl.get("content-type")))
    for h in sorted(HEADER_SETS | HEADER_VALUES | HEADER_PRESENCE):
        if (h in hg) != (h in hl):
            reasons.append("header %s only in %s (%s)" % (h, "Glance" if h in hg else "Glint",
                                                         hg.get(h) if h in hg else hl.get(h)))
            continue
        if h not in hg:
            continue
        if h in HEADER_SETS:
            sg = sorted(x.strip().lower() for x in hg[h].split(",") if x.strip())
            sl = sorted(x.strip().lower() for x in hl[h].split(",") if x.strip())
            if sg != sl:
                reasons.append("%s %r vs %r" % (h, hg[h], hl[h]))
        elif h in HEADER_VALUES or h in step.header_values:
            if norm(hg[h], cg) != norm(hl[h], cl):
                reasons.append("%s %r vs %r" % (h, norm(hg[h], cg), norm(hl[h], cl)))
    octet = OCTET in hg.get("content-type", "") or OCTET in hl.get("content-type", "")
    if octet and hg.get("content-length") != hl.get("content-length"):
        reasons.append("Content-Length %s vs %s" % (hg.get("content-length"), hl.get("content-length")))
    # body
    if bool(rg.body) != bool(rl.body) and step.method != "HEAD":
        reasons.append("body: %d bytes vs %d" % (len(rg.body), len(rl.body)))
        return reasons
    if not rg.body:
        return reasons
    if rg.status >= 400:
        reasons.extend(compare_error_body(rg, rl))
        return reasons
    if octet:
        if rg.body != rl.body:
            reasons.append("data bytes differ (%d vs %d bytes)" % (len(rg.body), len(rl.body)))
        return reasons
    if rg.json_ok != rl.json_ok:
        reasons.append("body JSON in %s only" % ("Glance" if rg.json_ok else "Glint"))
        return reasons
    if rg.json_ok:
        jc = JsonComparer(step, cg, cl)
        jc.cmp(rg.json, rl.json, "")
        reasons.extend(jc.reasons)
    return reasons


def compare_error_body(rg, rl):
    reasons = []
    for name, r in (("Glance", rg), ("Glint", rl)):
        if "json" in r.ctype().lower():
            if not r.json_ok or not isinstance(r.json, dict):
                reasons.append("%s: JSON error body does not parse as an object" % name)
                continue
            missing = [k for k in ("message", "code", "title") if k not in r.json]
            if missing:
                reasons.append("%s: JSON error lacks %s" % (name, ", ".join(missing)))
    if rg.json_ok and rl.json_ok and isinstance(rg.json, dict) and isinstance(rl.json, dict):
        for k in ("code", "title"):
            if rg.json.get(k) != rl.json.get(k):
                reasons.append("error %s %r vs %r" % (k, rg.json.get(k), rl.json.get(k)))
    else:
        tg, tl = error_title(rg), error_title(rl)
        if tg != tl:
            reasons.append("error title %r vs %r" % (tg, tl))
    return reasons


def status_hint(rg, rl):
    """A few words of each side's error text, to make a status DIFF self-explaining."""
    def words(r):
        if r.status < 400 or not r.body:
            return ""
        t = r.body.decode("utf-8", "replace")
        if r.json_ok and isinstance(r.json, dict) and "message" in r.json:
            t = str(r.json["message"])
        t = re.sub(r"<[^>]+>", " ", t)
        t = re.sub(r"\b\d{3} [A-Z][A-Za-z ]+\b", " ", t, count=1)
        t = re.sub(r"\s+", " ", t).strip()
        return t[:70]
    wg, wl = words(rg), words(rl)
    out = []
    if wg:
        out.append("Glance: " + wg)
    if wl:
        out.append("Glint: " + wl)
    return (" [" + " | ".join(out) + "]") if out else ""


# --------------------------------------------------------------------------------------------
# The request sequence
# --------------------------------------------------------------------------------------------

DATA = b"".join(hashlib.sha256(b"glance-parity-%d" % i).digest() for i in range(100))[:3000]
QCOW_LIKE = b"\0" * 2048  # not a qcow2 header


def image_id(r):
    return r.json["id"]


def build_steps(run):
    S = Step
    s = []
    # -------------------------------------------------------------- versions
    s += [
        S("GET /", "GET", "/"),
        S("GET /versions", "GET", "/versions"),
        S("GET /v1/x", "GET", "/v1/x"),
        S("GET /v3/images", "GET", "/v3/images"),
        S("GET /v2.1/images?limit=0", "GET", "/v2.1/images?limit=0"),
        S("GET /v2.9/images?limit=0", "GET", "/v2.9/images?limit=0"),
        S("GET /v2.99/images", "GET", "/v2.99/images"),
        S("GET /images Accept vnd.openstack.images-v2", "GET", "/images?limit=0",
          headers={"Accept": "application/vnd.openstack.images-v2"}),
        S("GET /healthcheck", "GET", "/healthcheck"),
    ]
    # -------------------------------------------------------------- schemas
    for name in ("image", "images", "member", "members", "task", "tasks",
                 "metadefs/namespace", "metadefs/resource_type"):
        s.append(S("GET /v2/schemas/" + name, "GET", "/v2/schemas/" + name))
    # -------------------------------------------------------------- create
    s += [
        S("POST images {} (defaults)", "POST", "/v2/images", {}, save={"D": image_id}),
        S("GET image D (defaults)", "GET", "/v2/images/{D}"),
        S("POST images full, client id A", "POST", "/v2/images",
          {"id": "{A}", "name": "parity-a", "disk_format": "raw", "container_format": "bare",
           "min_disk": 1, "min_ram": 64, "tags": ["t1", "t2"], "protected": False, "os_hidden": False,
           "visibility": "private", "hw_disk_bus": "virtio", "os_distro": "cirros"}),
        S("POST images duplicate id A", "POST", "/v2/images", {"id": "{A}"}),
        S("POST images id not a uuid", "POST", "/v2/images", {"id": "not-a-uuid"}),
        S("POST images name int", "POST", "/v2/images", {"name": 5}),
        S("POST images name 256 chars", "POST", "/v2/images", {"name": "n" * 256}),
        S("POST images visibility bogus", "POST", "/v2/images", {"visibility": "bogus"}),
        S("POST images protected 'yes'", "POST", "/v2/images", {"protected": "yes"}),
        S("POST images os_hidden 1", "POST", "/v2/images", {"os_hidden": 1}),
        S("POST images min_ram '1'", "POST", "/v2/images", {"min_ram": "1"}),
        S("POST images min_disk -1", "POST", "/v2/images", {"min_disk": -1}),
        S("POST images tags 'a'", "POST", "/v2/images", {"tags": "a"}),
        S("POST images tags [1]", "POST", "/v2/images", {"tags": [1]}),
        S("POST images tag 256 chars", "POST", "/v2/images", {"tags": ["t" * 256]}),
        S("POST images disk_format bogus", "POST", "/v2/images", {"disk_format": "bogus"}),
        S("POST images container_format bogus", "POST", "/v2/images", {"container_format": "bogus"}),
        S("POST images extra value int", "POST", "/v2/images", {"foo": 1}),
        S("POST images extra value null", "POST", "/v2/images", {"foo": None}),
        S("POST images extra key 256 chars", "POST", "/v2/images", {"k" * 256: "v"}),
        S("POST images extra key 255 chars", "POST", "/v2/images", {"k" * 255: "v", "tags": ["k255"]}),
        S("POST images kernel_id not uuid", "POST", "/v2/images", {"kernel_id": "nope"}),
        S("POST images cinder_..._policy bogus", "POST", "/v2/images",
          {"cinder_encryption_key_deletion_policy": "bogus"}),
    ]
    for ro in ("status", "checksum", "size", "virtual_size", "created_at", "updated_at"):
        val = {"status": "active", "checksum": "0" * 32, "size": 5, "virtual_size": 5,
               "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z"}[ro]
        s.append(S("POST images read-only %s" % ro, "POST", "/v2/images", {ro: val}))
    s += [
        S("POST images os_hash_algo (ro)", "POST", "/v2/images", {"os_hash_algo": "sha512", "tags": ["hash"]},
          note="project choice §4.1 step 6: Glint 403"),
        S("POST images os_hash_value (ro)", "POST", "/v2/images", {"os_hash_value": "ab", "tags": ["hash"]},
          note="project choice §4.1 step 6: Glint 403"),
    ]
    for gen in ("self", "file", "schema", "direct_url", "stores"):
        s.append(S("POST images generated %s" % gen, "POST", "/v2/images", {gen: "x"}))
    s += [
        S("POST images locations []", "POST", "/v2/images", {"locations": []}),
        S("POST images reserved location", "POST", "/v2/images", {"location": "http://x/"}),
        S("POST images reserved deleted", "POST", "/v2/images", {"deleted": "true"}),
        S("POST images reserved deleted_at", "POST", "/v2/images", {"deleted_at": "x"}),
        S("POST images reserved os_glance_foo", "POST", "/v2/images", {"os_glance_foo": "x"}),
        S("POST images owner other-project", "POST", "/v2/images",
          {"owner": "other-project", "tags": ["owned"]}, value_keys=("owner",)),
        S("POST images visibility public", "POST", "/v2/images", {"visibility": "public", "tags": ["pub"]}),
        S("POST images visibility community", "POST", "/v2/images", {"visibility": "community", "tags": ["com"]}),
        S("POST images body []", "POST", "/v2/images", [], ),
        S("POST images body \"x\"", "POST", "/v2/images", "x"),
        S("POST images malformed JSON", "POST", "/v2/images", body="{bad",
          headers={"Content-Type": "application/json"}),
        S("POST images empty body", "POST", "/v2/images", body="",
          headers={"Content-Type": "application/json"}),
        S("POST images no body", "POST", "/v2/images", headers={"Content-Type": "application/json"}),
        S("POST images JSON as text/plain", "POST", "/v2/images", body='{"tags": ["textplain"]}',
          headers={"Content-Type": "text/plain"}),
    ]
    # -------------------------------------------------------------- show
    s += [
        S("GET image A", "GET", "/v2/images/{A}"),
        S("GET image not a uuid", "GET", "/v2/images/not-a-uuid"),
        S("GET image unknown uuid", "GET", "/v2/images/{NONE}"),
        S("GET image A with a body", "GET", "/v2/images/{A}", body='{"x": 1}',
          headers={"Content-Type": "application/json"}),
        S("HEAD image A", "HEAD", "/v2/images/{A}"),
        S("GET /v2/images/{A}/tasks", "GET", "/v2/images/{A}/tasks"),
    ]
    # -------------------------------------------------------------- list fixtures
    fixtures = [
        ("L1", {"name": "lst-1", "visibility": "public", "disk_format": "raw", "container_format": "bare",
                "protected": True, "min_ram": 512}),
        ("L2", {"name": "lst-2", "visibility": "private", "disk_format": "qcow2", "container_format": "bare"}),
        ("L3", {"name": "lst-3", "visibility": "shared", "disk_format": "raw", "container_format": "ovf",
                "flavor": "blue"}),
        ("L4", {"name": "lst-4", "visibility": "community", "disk_format": "iso", "container_format": "bare"}),
        ("L5", {"name": "lst-5", "disk_format": "raw", "container_format": "bare", "flavor": "red"}),
        ("H", {"name": "lst-hidden", "os_hidden": True, "disk_format": "raw", "container_format": "bare"}),
    ]
    for key, props in fixtures:
        body = dict(props, id="{%s}" % key, tags=["{run}", "lst"])
        s.append(S("POST images list fixture %s" % key, "POST", "/v2/images", body))
    L = "/v2/images?tag={run}"
    lists = [
        ("list tag=run (default sort)", L, False),
        ("list sort_key=name asc", L + "&sort_key=name&sort_dir=asc", True),
        ("list sort=name:desc", L + "&sort=name:desc", True),
        ("list sort=disk_format:asc,name:asc", L + "&sort=disk_format:asc,name:asc", True),
        ("list sort_key=disk_format,name dir=asc", L + "&sort_key=disk_format&sort_key=name&sort_dir=asc", True),
        ("list sort=name (no dir)", L + "&sort=name", True),
        ("list name=lst-2", L + "&name=lst-2", True),
        ("list name=eq:lst-2", L + "&name=eq:lst-2", True),
        ("list name=in:lst-1,lst-3", L + "&name=in:lst-1,lst-3&sort_key=name", True),
        ("list id=in:L1,L2", L + "&id=in:{L1},{L2}", False),
        ("list status=queued", L + "&status=queued", False),
        ("list status=active", L + "&status=active", False),
        ("list disk_format=qcow2", L + "&disk_format=qcow2", False),
        ("list disk_format=in:qcow2,iso", L + "&disk_format=in:qcow2,iso", False),
        ("list container_format=ovf", L + "&container_format=ovf", False),
        ("list visibility=public", L + "&visibility=public", False),
        ("list visibility=private", L + "&visibility=private", False),
        ("list visibility=shared", L + "&visibility=shared", False),
        ("list visibility=community", L + "&visibility=community", False),
        ("list visibility=all", L + "&visibility=all", False),
        ("list member_status=all", L + "&member_status=all", False),
        ("list protected=true", L + "&protected=true", False),
        ("list protected=false", L + "&protected=false", False),
        ("list os_hidden=true", L + "&os_hidden=true", False),
        ("list os_hidden=TRUE", L + "&os_hidden=TRUE", False),
        ("list os_hidden=false", L + "&os_hidden=false", False),
        ("list extra prop flavor=blue", L + "&flavor=blue", False),
        ("list min_ram=512", L + "&min_ram=512", False),
        ("list created_at=gt:2000-01-01T00:00:00Z", L + "&created_at=gt:2000-01-01T00:00:00Z", False),
        ("list updated_at=lt:2000-01-01T00:00:00Z", L + "&updated_at=lt:2000-01-01T00:00:00Z", False),
        ("list size_min=0", L + "&size_min=0", False),
        ("list limit=0", L + "&limit=0", True),
        ("list limit=2000 (capped)", L + "&limit=2000&sort_key=name", True),
        ("list tag=run&tag=lst", L + "&tag=lst&sort_key=name", True),
        ("list tag=run&tag=nope", L + "&tag=nope", True),
    ]
    for label, path, ordered in lists:
        s.append(S(label, "GET", path, ordered=ordered))
    bad_lists = [
        ("list limit=-1", "/v2/images?limit=-1"),
        ("list limit=abc", "/v2/images?limit=abc"),
        ("list marker=unknown uuid", "/v2/images?marker={NONE}"),
        ("list marker=not-a-uuid", "/v2/images?marker=not-a-uuid"),
        ("list sort_key=bogus", "/v2/images?sort_key=bogus"),
        ("list sort_key=owner", "/v2/images?sort_key=owner&tag={run}"),
        ("list sort_dir=up", "/v2/images?sort_dir=up"),
        ("list sort=name:up", "/v2/images?sort=name:up"),
        ("list sort and sort_key both", "/v2/images?sort=name&sort_key=name"),
        ("list 2 keys 3 dirs", "/v2/images?sort_key=name&sort_key=size&sort_dir=asc&sort_dir=desc&sort_dir=asc"),
        ("list visibility=bogus", "/v2/images?visibility=bogus"),
        ("list member_status=bogus", "/v2/images?member_status=bogus"),
        ("list os_hidden=maybe", "/v2/images?os_hidden=maybe"),
        ("list protected=True", "/v2/images?protected=True&tag={run}"),
        ("list protected=maybe", "/v2/images?protected=maybe"),
        ("list size_min=abc", "/v2/images?size_min=abc"),
        ("list size_max=abc", "/v2/images?size_max=abc"),
        ("list name=gt:a", "/v2/images?name=gt:a"),
        ("list name=a:b", "/v2/images?name=a:b"),
        ("list name=in:\"a,b (unbalanced)", "/v2/images?name=in:%22a,b"),
        ("list created_at=bogus", "/v2/images?created_at=bogus"),
        ("list created_at=foo:2000-01-01T00:00:00Z", "/v2/images?created_at=foo:2000-01-01T00:00:00Z"),
        ("list changes-since", "/v2/images?changes-since=2000-01-01T00:00:00Z"),
        ("list status=bogus", "/v2/images?status=bogus&tag={run}"),
    ]
    for label, path in bad_lists:
        s.append(S(label, "GET", path))
    s += [
        S("list page 1 limit=2 sort name asc", "GET", L + "&sort_key=name&sort_dir=asc&limit=2",
          save={"next1": lambda r: r.json.get("next")}),
        S("list page 2 (follow next)", "GET", "{next1}", save={"next2": lambda r: r.json.get("next")}),
        S("list page 3 (follow next)", "GET", "{next2}", save={"next3": lambda r: r.json.get("next")}),
        S("list marker=L2 sort=name:asc", "GET", L + "&sort=name:asc&marker={L2}"),
        S("list limit=1 tag twice: next link", "GET", L + "&tag=lst&limit=1&sort_key=name"),
        S("list limit=5 exact: next link", "GET", L + "&limit=5&sort_key=name"),
        S("list (no filter) shape only", "GET", "/v2/images?limit=3", values=False),
    ]
    # -------------------------------------------------------------- PATCH
    # K takes the operations that succeed (its state is then compared after each step); K2 takes
    # the probes that should fail, so that a probe one server accepts does not spill over into
    # the comparison of later steps.
    K = "/v2/images/{K}"
    K2 = "/v2/images/{K2}"
    s.append(S("POST images K (patch target)", "POST", "/v2/images",
               {"id": "{K}", "name": "patch-me", "disk_format": "raw", "container_format": "bare",
                "foo": "bar"}))
    s.append(S("POST images K2 (patch probes)", "POST", "/v2/images",
               {"id": "{K2}", "name": "probe-me", "disk_format": "raw", "container_format": "bare",
                "foo": "bar"}))

    def P(label, ops, ctype=PATCH21, raw=None, target=K):
        h = {"Content-Type": ctype} if ctype else {}
        if raw is not None:
            return S(label, "PATCH", target, body=raw, headers=h)
        return S(label, "PATCH", target, ops, headers=h)

    def Q(label, ops, ctype=PATCH21, raw=None):
        return P(label, ops, ctype, raw, target=K2)

    s += [
        Q("PATCH Content-Type application/json", [{"op": "replace", "path": "/name", "value": "x"}],
          ctype="application/json"),
        Q("PATCH Content-Type json-patch+json", [{"op": "replace", "path": "/name", "value": "x"}],
          ctype="application/json-patch+json"),
        S("PATCH no Content-Type", "PATCH", K2, body='[]'),
        P("PATCH replace /name", [{"op": "replace", "path": "/name", "value": "patched"}]),
        P("PATCH v2.1 with ;charset=UTF-8", [{"op": "replace", "path": "/name", "value": "patched2"}],
          ctype=PATCH21 + "; charset=UTF-8"),
        P("PATCH add /newprop", [{"op": "add", "path": "/newprop", "value": "v"}]),
        P("PATCH add /foo (existing extra)", [{"op": "add", "path": "/foo", "value": "bar2"}]),
        P("PATCH replace /foo (existing extra)", [{"op": "replace", "path": "/foo", "value": "bar3"}]),
        P("PATCH remove /newprop", [{"op": "remove", "path": "/newprop"}]),
        P("PATCH add /a~1b (escaped /)", [{"op": "add", "path": "/a~1b", "value": "slash"}]),
        P("PATCH add /t~0x (escaped ~)", [{"op": "add", "path": "/t~0x", "value": "tilde"}]),
        P("PATCH empty list", []),
        P("PATCH tags with duplicates", [{"op": "replace", "path": "/tags", "value": ["b", "a", "b"]}]),
        P("PATCH name null", [{"op": "replace", "path": "/name", "value": None}]),
        P("PATCH owner (admin)", [{"op": "replace", "path": "/owner", "value": "other-project"}],),
        P("PATCH visibility public (admin)", [{"op": "replace", "path": "/visibility", "value": "public"}]),
        P("PATCH disk_format qcow2 while queued", [{"op": "replace", "path": "/disk_format", "value": "qcow2"}]),
        P("PATCH several ops", [{"op": "replace", "path": "/name", "value": "multi"},
                                {"op": "add", "path": "/os_distro", "value": "fedora"},
                                {"op": "replace", "path": "/min_ram", "value": 128},
                                {"op": "replace", "path": "/protected", "value": False}]),
        P("PATCH atomic: good op then 409", [{"op": "replace", "path": "/name", "value": "not-kept"},
                                             {"op": "replace", "path": "/absent", "value": "v"}]),
        S("GET K after failed multi-op", "GET", K),
        P("PATCH v2.0 replace /name", [{"replace": "/name", "value": "draft4"}], ctype=PATCH20),
        P("PATCH v2.0 add new /d4prop", [{"add": "/d4prop", "value": "x"}], ctype=PATCH20),
        P("PATCH v2.0 remove /d4prop", [{"remove": "/d4prop"}], ctype=PATCH20),
        Q("PATCH replace /absent", [{"op": "replace", "path": "/absent", "value": "v"}]),
        Q("PATCH remove /absent", [{"op": "remove", "path": "/absent"}]),
        Q("PATCH remove /name (core)", [{"op": "remove", "path": "/name"}]),
        Q("PATCH remove /tags (core)", [{"op": "remove", "path": "/tags"}]),
        Q("PATCH replace /status", [{"op": "replace", "path": "/status", "value": "active"}]),
        Q("PATCH replace /id", [{"op": "replace", "path": "/id", "value": "{NONE}"}]),
        Q("PATCH add /checksum", [{"op": "add", "path": "/checksum", "value": "0" * 32}]),
        Q("PATCH replace /size", [{"op": "replace", "path": "/size", "value": 1}]),
        Q("PATCH replace /os_hash_value", [{"op": "replace", "path": "/os_hash_value", "value": "ab"}]),
        Q("PATCH replace /created_at", [{"op": "replace", "path": "/created_at", "value": "x"}]),
        Q("PATCH replace /self", [{"op": "replace", "path": "/self", "value": "x"}]),
        Q("PATCH replace /stores", [{"op": "replace", "path": "/stores", "value": "x"}]),
        Q("PATCH add /os_glance_x (reserved)", [{"op": "add", "path": "/os_glance_x", "value": "v"}]),
        Q("PATCH add /location (reserved)", [{"op": "add", "path": "/location", "value": "v"}]),
        Q("PATCH add /deleted (reserved)", [{"op": "add", "path": "/deleted", "value": "v"}]),
        Q("PATCH add /locations/-", [{"op": "add", "path": "/locations/-",
                                      "value": {"url": "http://x/y", "metadata": {}}}]),
        Q("PATCH replace /locations []", [{"op": "replace", "path": "/locations", "value": []}]),
        Q("PATCH path 'name' (no slash)", [{"op": "replace", "path": "name", "value": "v"}]),
        Q("PATCH path /a/b (depth 2)", [{"op": "add", "path": "/a/b", "value": "v"}]),
        Q("PATCH path /name/ (trailing)", [{"op": "replace", "path": "/name/", "value": "v"}]),
        Q("PATCH path //name", [{"op": "replace", "path": "//name", "value": "v"}]),
        Q("PATCH path /bad~2", [{"op": "add", "path": "/bad~2", "value": "v"}]),
        Q("PATCH op test", [{"op": "test", "path": "/name", "value": "x"}]),
        Q("PATCH op move", [{"op": "move", "from": "/foo", "path": "/bar"}]),
        Q("PATCH no value", [{"op": "replace", "path": "/name"}]),
        Q("PATCH no path", [{"op": "replace", "value": "x"}]),
        Q("PATCH no op", [{"path": "/name", "value": "x"}]),
        Q("PATCH body is an object", {"op": "replace", "path": "/name", "value": "x"}),
        Q("PATCH element not an object", None, raw="[1]"),
        Q("PATCH malformed JSON", None, raw="[{"),
        Q("PATCH empty body", None, raw=""),
        Q("PATCH min_ram 'x'", [{"op": "replace", "path": "/min_ram", "value": "x"}]),
        Q("PATCH min_ram -1", [{"op": "replace", "path": "/min_ram", "value": -1}]),
        Q("PATCH min_disk null", [{"op": "replace", "path": "/min_disk", "value": None}]),
        Q("PATCH visibility bogus", [{"op": "replace", "path": "/visibility", "value": "bogus"}]),
        Q("PATCH protected 'yes'", [{"op": "replace", "path": "/protected", "value": "yes"}]),
        Q("PATCH name 256 chars", [{"op": "replace", "path": "/name", "value": "n" * 256}]),
        Q("PATCH add extra int value", [{"op": "add", "path": "/extra", "value": 5}]),
        Q("PATCH add key 256 chars", [{"op": "add", "path": "/" + "k" * 256, "value": "v"}]),
        Q("PATCH kernel_id not uuid", [{"op": "add", "path": "/kernel_id", "value": "nope"}]),
        Q("PATCH tags ['x'*256]", [{"op": "replace", "path": "/tags", "value": ["x" * 256]}]),
        Q("PATCH v2.0 add existing /name", [{"add": "/name", "value": "x"}], ctype=PATCH20),
        Q("PATCH v2.0 two op members", [{"add": "/x1", "replace": "/x2", "value": "x"}], ctype=PATCH20),
        Q("PATCH v2.0 v2.1-style op", [{"op": "replace", "path": "/name", "value": "x"}], ctype=PATCH20),
        S("PATCH unknown image", "PATCH", "/v2/images/{NONE}", [], headers={"Content-Type": PATCH21}),
        S("PATCH non-uuid image", "PATCH", "/v2/images/nope", [], headers={"Content-Type": PATCH21}),
    ]
    # -------------------------------------------------------------- delete / protected
    Pp = "/v2/images/{P}"
    s += [
        S("POST images P protected", "POST", "/v2/images", {"id": "{P}", "protected": True}),
        S("DELETE protected image P", "DELETE", Pp),
        S("PATCH P protected=false", "PATCH", Pp, [{"op": "replace", "path": "/protected", "value": False}],
          headers={"Content-Type": PATCH21}),
        S("DELETE image P", "DELETE", Pp),
        S("GET deleted image P", "GET", Pp),
        S("DELETE image P again", "DELETE", Pp),
        S("PATCH deleted image P", "PATCH", Pp, [], headers={"Content-Type": PATCH21}),
        S("POST images reuse deleted id P", "POST", "/v2/images", {"id": "{P}"}),
        S("DELETE non-uuid image", "DELETE", "/v2/images/nope"),
        S("DELETE image with a body", "DELETE", "/v2/images/{D}", body='{"x":1}',
          headers={"Content-Type": "application/json"}),
    ]
    # -------------------------------------------------------------- tags
    T = "/v2/images/{T}"
    s += [
        S("POST images T (tags)", "POST", "/v2/images", {"id": "{T}", "tags": ["x"]}),
        S("PUT tag a", "PUT", T + "/tags/a"),
        S("PUT tag a again (idempotent)", "PUT", T + "/tags/a"),
        S("PUT tag 'b c' (escaped)", "PUT", T + "/tags/b%20c"),
        S("PUT tag 256 chars", "PUT", T + "/tags/" + "t" * 256),
        S("PUT tag with a body", "PUT", T + "/tags/z", body='{"x":1}', headers={"Content-Type": "application/json"}),
        S("GET T (tags)", "GET", T),
        S("DELETE tag a", "DELETE", T + "/tags/a"),
        S("DELETE tag a again", "DELETE", T + "/tags/a"),
        S("PUT tag on unknown image", "PUT", "/v2/images/{NONE}/tags/a"),
        S("DELETE tag on unknown image", "DELETE", "/v2/images/{NONE}/tags/a"),
        S("GET tag (method)", "GET", T + "/tags/x"),
        S("GET /tags collection", "GET", T + "/tags"),
        S("POST images T2 (utf-8 tag)", "POST", "/v2/images", {"id": "{T2}"}),
        S("PUT tag 'Ünï' (utf-8, escaped)", "PUT", "/v2/images/{T2}/tags/%C3%9Cn%C3%AF"),
        S("GET T2 (utf-8 tag)", "GET", "/v2/images/{T2}"),
    ]
    # -------------------------------------------------------------- members
    M = "/v2/images/{M}/members"
    s += [
        S("POST images M shared", "POST", "/v2/images", {"id": "{M}", "visibility": "shared"}),
        S("POST members on private image A", "POST", "/v2/images/{A}/members", {"member": "proj-b"}),
        S("GET members on private image A", "GET", "/v2/images/{A}/members"),
        S("GET member on private image A", "GET", "/v2/images/{A}/members/proj-b"),
        S("POST member proj-b", "POST", M, {"member": "proj-b"}),
        S("POST member proj-b again", "POST", M, {"member": "proj-b"}),
        S("POST member {}", "POST", M, {}),
        S("POST member ''", "POST", M, {"member": ""}),
        S("POST images M2 shared", "POST", "/v2/images", {"id": "{M2}", "visibility": "shared"}),
        S("POST member 5 (int, on M2)", "POST", "/v2/images/{M2}/members", {"member": 5}),
        S("GET members of M2", "GET", "/v2/images/{M2}/members"),
        S("POST member body []", "POST", M, []),
        S("POST member no body", "POST", M),
        S("POST member proj-c", "POST", M, {"member": "proj-c"}),
        S("GET members", "GET", M),
        S("GET member proj-b", "GET", M + "/proj-b"),
        S("GET member unknown", "GET", M + "/proj-z"),
        S("PUT member proj-b accepted", "PUT", M + "/proj-b", {"status": "accepted"}),
        S("PUT member proj-c rejected", "PUT", M + "/proj-c", {"status": "rejected"}),
        S("PUT member status bogus", "PUT", M + "/proj-b", {"status": "bogus"}),
        S("PUT member {}", "PUT", M + "/proj-b", {}),
        S("PUT member unknown", "PUT", M + "/proj-z", {"status": "accepted"}),
        S("PUT member on private image A", "PUT", "/v2/images/{A}/members/proj-b", {"status": "accepted"}),
        S("GET members after updates", "GET", M),
        S("list member_status=pending (M)", "GET", "/v2/images?id={M}&member_status=pending"),
        S("DELETE member proj-b", "DELETE", M + "/proj-b"),
        S("DELETE member proj-b again", "DELETE", M + "/proj-b"),
        S("DELETE member on private image A", "DELETE", "/v2/images/{A}/members/proj-c"),
        S("POST member on unknown image", "POST", "/v2/images/{NONE}/members", {"member": "p"}),
        S("GET members on unknown image", "GET", "/v2/images/{NONE}/members"),
        S("PATCH M visibility private", "PATCH", "/v2/images/{M}",
          [{"op": "replace", "path": "/visibility", "value": "private"}], headers={"Content-Type": PATCH21}),
        S("GET members after going private", "GET", M),
        S("PUT members collection (method)", "PUT", M, {"member": "x"}),
    ]
    # -------------------------------------------------------------- upload
    U = "/v2/images/{U}"

    def mk(key, **props):
        body = {"id": "{%s}" % key, "name": "img-" + key.lower()}
        body.update(props)
        return S("POST images %s" % key, "POST", "/v2/images", body)

    up_h = {"Content-Type": OCTET}
    s += [
        mk("U", disk_format="raw", container_format="bare"),
        S("PUT file U (Content-Length)", "PUT", U + "/file", body=DATA, headers=up_h),
        S("GET image U after upload", "GET", U),
        S("PUT file U again (active)", "PUT", U + "/file", body=DATA, headers=up_h),
        mk("UC", disk_format="raw", container_format="bare"),
        S("PUT file UC chunked + image-size", "PUT", "/v2/images/{UC}/file",
          chunks=[DATA[:1000], DATA[1000:2500], DATA[2500:]],
          headers={"Content-Type": OCTET, "x-openstack-image-size": str(len(DATA))}),
        S("GET image UC after chunked upload", "GET", "/v2/images/{UC}"),
        mk("UM", disk_format="raw", container_format="bare"),
        S("PUT file image-size mismatch", "PUT", "/v2/images/{UM}/file", body=DATA,
          headers={"Content-Type": OCTET, "x-openstack-image-size": "10"}),
        S("GET UM after size mismatch", "GET", "/v2/images/{UM}"),
        mk("UA", disk_format="raw", container_format="bare"),
        S("PUT file image-size 'abc'", "PUT", "/v2/images/{UA}/file", body=DATA,
          headers={"Content-Type": OCTET, "x-openstack-image-size": "abc"}),
        mk("UT", disk_format="raw", container_format="bare"),
        S("PUT file Content-Type text/plain", "PUT", "/v2/images/{UT}/file", body=DATA,
          headers={"Content-Type": "text/plain"}),
        S("PUT file no Content-Type", "PUT", "/v2/images/{UT}/file", body=DATA),
        S("GET UT after refused uploads", "GET", "/v2/images/{UT}"),
        mk("US", disk_format="raw", container_format="bare"),
        S("PUT file octet-stream;charset=x", "PUT", "/v2/images/{US}/file", body=DATA[:10],
          headers={"Content-Type": OCTET + "; charset=binary"}),
        S("GET US after charset upload", "GET", "/v2/images/{US}"),
        mk("UN"),
        S("PUT file no disk/container format", "PUT", "/v2/images/{UN}/file", body=DATA, headers=up_h),
        S("GET UN after refused upload", "GET", "/v2/images/{UN}"),
        mk("UQ", disk_format="qcow2", container_format="bare"),
        S("PUT file qcow2 image with raw bytes", "PUT", "/v2/images/{UQ}/file", body=QCOW_LIKE, headers=up_h),
        S("GET UQ after upload", "GET", "/v2/images/{UQ}"),
        mk("UE", disk_format="raw", container_format="bare"),
        S("PUT file empty body", "PUT", "/v2/images/{UE}/file", body=b"", headers=up_h),
        S("GET UE after empty upload", "GET", "/v2/images/{UE}"),
        S("PUT file unknown image", "PUT", "/v2/images/{NONE}/file", body=DATA, headers=up_h),
        S("PATCH U disk_format while active", "PATCH", U,
          [{"op": "replace", "path": "/disk_format", "value": "qcow2"}], headers={"Content-Type": PATCH21}),
        S("DELETE /file (method)", "DELETE", U + "/file"),
    ]
    # -------------------------------------------------------------- download
    s += [
        S("GET file U", "GET", U + "/file"),
        S("GET file U Range 0-99", "GET", U + "/file", headers={"Range": "bytes=0-99"}),
        S("GET file U Range 100-", "GET", U + "/file", headers={"Range": "bytes=100-"}),
        S("GET file U Range -100", "GET", U + "/file", headers={"Range": "bytes=-100"}),
        S("GET file U Range -5000 (> size)", "GET", U + "/file", headers={"Range": "bytes=-5000"}),
        S("GET file U Range 2990-9999", "GET", U + "/file", headers={"Range": "bytes=2990-9999"}),
        S("GET file U Range 5000- (>= size)", "GET", U + "/file", headers={"Range": "bytes=5000-"}),
        S("GET file U Range 0-1,5-6", "GET", U + "/file", headers={"Range": "bytes=0-1,5-6"}),
        S("GET file U Range garbage", "GET", U + "/file", headers={"Range": "bytes=x-y"}),
        S("GET file U Range 10-5 (reversed)", "GET", U + "/file", headers={"Range": "bytes=10-5"}),
        S("GET file U legacy Content-Range", "GET", U + "/file", headers={"Content-Range": "bytes 0-9/*"}),
        S("GET file U Accept: application/json", "GET", U + "/file", headers={"Accept": "application/json"}),
        S("HEAD file U", "HEAD", U + "/file"),
        S("GET file UC (chunked upload)", "GET", "/v2/images/{UC}/file"),
        S("GET file of queued image (UN)", "GET", "/v2/images/{UN}/file"),
        S("GET file of queued image Range", "GET", "/v2/images/{UN}/file", headers={"Range": "bytes=0-1"}),
        S("GET file of empty image (UE)", "GET", "/v2/images/{UE}/file"),
        S("GET file unknown image", "GET", "/v2/images/{NONE}/file"),
        S("GET file with ?prefer=fs9", "GET", U + "/file?prefer=fs9", note="store-specific"),
    ]
    # -------------------------------------------------------------- deactivate / reactivate
    X = "/v2/images/{X}"
    s += [
        S("deactivate queued image UN", "POST", "/v2/images/{UN}/actions/deactivate"),
        S("reactivate queued image UN", "POST", "/v2/images/{UN}/actions/reactivate"),
        mk("X", disk_format="raw", container_format="bare"),
        S("PUT file X", "PUT", X + "/file", body=DATA, headers=up_h),
        S("reactivate active X (no-op)", "POST", X + "/actions/reactivate"),
        S("deactivate X", "POST", X + "/actions/deactivate"),
        S("GET X deactivated", "GET", X),
        S("deactivate X again (no-op)", "POST", X + "/actions/deactivate"),
        S("GET file of deactivated X (admin)", "GET", X + "/file"),
        S("PATCH deactivated X name", "PATCH", X, [{"op": "replace", "path": "/name", "value": "deact"}],
          headers={"Content-Type": PATCH21}),
        S("list status=deactivated", "GET", "/v2/images?status=deactivated&id={X}"),
        S("deactivate with a body", "POST", X + "/actions/deactivate", body='{"x":1}',
          headers={"Content-Type": "application/json"}),
        S("reactivate X", "POST", X + "/actions/reactivate"),
        S("GET X reactivated", "GET", X),
        S("deactivate unknown image", "POST", "/v2/images/{NONE}/actions/deactivate"),
        S("POST actions/bogus", "POST", X + "/actions/bogus"),
        S("GET actions/deactivate (method)", "GET", X + "/actions/deactivate"),
    ]
    # -------------------------------------------------------------- stage / import
    SI = "/v2/images/{SI}"
    imp = lambda name: {"method": {"name": name}}
    s += [
        S("GET /v2/info/import", "GET", "/v2/info/import"),
        mk("SI", disk_format="raw", container_format="bare"),
        S("PUT stage Content-Type text/plain", "PUT", SI + "/stage", body=DATA, headers={"Content-Type": "text/plain"}),
        S("POST import glance-direct (queued)", "POST", SI + "/import", imp("glance-direct")),
        S("PUT stage SI", "PUT", SI + "/stage", body=DATA, headers=up_h),
        S("GET SI after stage", "GET", SI),
        S("GET file of staged image", "GET", SI + "/file"),
        S("PUT stage SI again", "PUT", SI + "/stage", body=DATA, headers=up_h),
        S("PUT file on staged image", "PUT", SI + "/file", body=DATA, headers=up_h),
        S("POST import body {}", "POST", SI + "/import", {}),
        S("POST import no body", "POST", SI + "/import"),
        S("POST import method bogus", "POST", SI + "/import", imp("bogus")),
        S("POST import method {}", "POST", SI + "/import", {"method": {}}),
        S("POST import web-download (disabled)", "POST", SI + "/import",
          {"method": {"name": "web-download", "uri": "http://127.0.0.1:1/x"}}),
        S("POST import all_stores 'yes'", "POST", SI + "/import",
          {"method": {"name": "glance-direct"}, "all_stores": "yes"}),
        S("POST import unknown store", "POST", SI + "/import",
          {"method": {"name": "glance-direct"}, "stores": ["nope"]}, note="store-specific"),
        S("POST import glance-direct SI", "POST", SI + "/import", imp("glance-direct")),
        Wait("SI active", SI, lambda j: j.get("status") in ("active", "queued", "killed")),
        S("GET SI after import", "GET", SI),
        S("GET file SI after import", "GET", SI + "/file"),
        S("GET /v2/images/{SI}/tasks", "GET", SI + "/tasks"),
        S("POST import glance-direct on active", "POST", SI + "/import", imp("glance-direct")),
        S("PUT stage on active image", "PUT", SI + "/stage", body=DATA, headers=up_h),
        S("POST import copy-image no stores", "POST", SI + "/import",
          {"method": {"name": "copy-image"}}, note="store-specific"),
        S("POST import unknown image", "POST", "/v2/images/{NONE}/import", imp("glance-direct")),
        S("PUT stage unknown image", "PUT", "/v2/images/{NONE}/stage", body=DATA, headers=up_h),
        mk("SN"),
        S("PUT stage without formats", "PUT", "/v2/images/{SN}/stage", body=DATA, headers=up_h),
        S("POST import without formats", "POST", "/v2/images/{SN}/import", imp("glance-direct")),
        S("GET SN", "GET", "/v2/images/{SN}"),
        mk("SC", disk_format="raw", container_format="bare"),
        S("PUT stage chunked", "PUT", "/v2/images/{SC}/stage", chunks=[DATA[:1500], DATA[1500:]],
          headers={"Content-Type": OCTET}),
        S("DELETE staged image SC", "DELETE", "/v2/images/{SC}"),
    ]
    # -------------------------------------------------------------- info
    s += [
        S("GET /v2/info/stores", "GET", "/v2/info/stores", values=False, note="store config"),
        S("GET /v2/info/stores/detail", "GET", "/v2/info/stores/detail", values=False, note="store config"),
        S("GET /v2/info/usage", "GET", "/v2/info/usage"),
        S("GET /v2/info/bogus", "GET", "/v2/info/bogus"),
    ]
    # -------------------------------------------------------------- routing, errors, negotiation
    s += [
        S("GET /v2/bogus", "GET", "/v2/bogus"),
        S("GET /v2/images/{A}/bogus", "GET", "/v2/images/{A}/bogus"),
        S("GET /v2/images/{A}/members/x/y", "GET", "/v2/images/{A}/members/x/y"),
        S("GET /v2/schemas/bogus", "GET", "/v2/schemas/bogus"),
        S("PUT /v2/images (405)", "PUT", "/v2/images", {}),
        S("DELETE /v2/images (405)", "DELETE", "/v2/images"),
        S("POST /v2/images/{A} (405)", "POST", "/v2/images/{A}", {}),
        S("PUT /v2/images/{A} (405)", "PUT", "/v2/images/{A}", {}),
        S("DELETE /v2/schemas/image (405)", "DELETE", "/v2/schemas/image"),
        S("POST /v2/info/import (405)", "POST", "/v2/info/import", {}),
        S("POST /versions (405?)", "POST", "/versions", {}),
        S("FOO /v2/images (unknown method)", "FOO", "/v2/images"),
        S("FOO /nowhere (unknown method)", "FOO", "/nowhere"),
        S("OPTIONS /v2/images", "OPTIONS", "/v2/images"),
        S("GET /v2/tasks", "GET", "/v2/tasks"),
        S("GET /v2/metadefs/namespaces", "GET", "/v2/metadefs/namespaces", values=False),
        S("GET /v2/cache", "GET", "/v2/cache"),
        S("X-OpenStack-Request-ID echoed", "GET", "/v2/images?limit=0",
          headers={"X-OpenStack-Request-ID": "req-parity-0001"}, header_values=("x-openstack-request-id",)),
        S("X-OpenStack-Request-ID without req-", "GET", "/v2/images?limit=0",
          headers={"X-OpenStack-Request-ID": "parity-0002"}, header_values=("x-openstack-request-id",)),
        S("X-OpenStack-Request-ID 100 chars", "GET", "/v2/images?limit=0",
          headers={"X-OpenStack-Request-ID": "req-" + "a" * 96}),
    ]
    accepts = [("absent", None), ("*/*", "*/*"), ("application/json", "application/json"),
               ("text/plain", "text/plain"), ("text/html", "text/html"), ("empty", ""),
               ("json;q=1,html;q=0.5", "application/json;q=1.0, text/html;q=0.5")]
    for label, acc in accepts:
        h = {"Accept": acc}
        s.append(S("404 Accept %s" % label, "GET", "/v2/images/{NONE}", headers=h))
    for label, acc in accepts[:4]:
        h = {"Accept": acc}
        s.append(S("400 bad limit Accept %s" % label, "GET", "/v2/images?limit=abc", headers=h))
    for label, acc in (("application/json", "application/json"), ("text/plain", "text/plain")):
        s.append(S("405 Accept %s" % label, "PUT", "/v2/images", {}, headers={"Accept": acc}))
        s.append(S("415 PATCH Accept %s" % label, "PATCH", K, [],
                   headers={"Content-Type": "application/json", "Accept": acc}))
        s.append(S("409 dup id Accept %s" % label, "POST", "/v2/images", {"id": "{A}"}, headers={"Accept": acc}))
        s.append(S("403 read-only Accept %s" % label, "POST", "/v2/images", {"status": "active"},
                   headers={"Accept": acc}))
    # -------------------------------------------------------------- final state of the run's images
    s += [
        S("final list of the run's images", "GET", "/v2/images?tag={run}&os_hidden=false&sort_key=name&sort_dir=asc"),
        S("final GET K", "GET", K),
        S("final GET K2", "GET", K2),
        S("final GET T", "GET", T),
        S("final GET M", "GET", "/v2/images/{M}"),
        S("DELETE image A", "DELETE", "/v2/images/{A}"),
        S("DELETE image D", "DELETE", "/v2/images/{D}"),
    ]
    return s


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--glance", default="http://127.0.0.1:9395", help="base URL of the reference Glance")
    ap.add_argument("--glint", default="http://127.0.0.1:9292", help="base URL of Glint")
    ap.add_argument("--only", default=None, help="run only steps whose label contains this text (ids still set up)")
    ap.add_argument("--no-details", action="store_true", help="omit the per-DIFF details after the table")
    args = ap.parse_args()

    glance, glint = Server("glance", args.glance), Server("glint", args.glint)
    run = "parity-" + uuid.uuid4().hex[:8]
    shared = {"run": run, "NONE": str(uuid.uuid4())}
    for k in ("A", "K", "K2", "P", "T", "T2", "M", "M2", "U", "UC", "UM", "UA", "UT", "US", "UN", "UQ", "UE",
              "X", "SI", "SN", "SC",
              "L1", "L2", "L3", "L4", "L5", "H"):
        shared[k] = str(uuid.uuid4())
    cg, cl = Ctx(glance, shared), Ctx(glint, shared)
    steps = build_steps(run)

    print("Glance parity check: Glance %s vs Glint %s (run tag %s)" % (glance.base, glint.base, run))
    down = [srv.name + " (" + srv.base + "): " + (r.error or str(r.status))
            for srv, r in ((srv, srv.request("GET", "/versions")) for srv in (glance, glint)) if r.status == 0]
    if down:
        print("not answering: " + "; ".join(down) + " -- nothing compared")
        print()
        print("0 same, 0 different")
        return 0
    print()
    fmt = "%-4s %-46s %-6s %-6s %-4s  %s"
    print(fmt % ("#", "request", "Glance", "Glint", "", "reason"))
    print("-" * 120)
    same = diff = 0
    details = []
    notes = []
    n = 0
    for st in steps:
        if isinstance(st, Wait):
            for c in (cg, cl):
                msg = run_wait(st, c)
                if msg:
                    notes.append(msg)
            continue
        rg = run_step(st, cg)
        rl = run_step(st, cl)
        if args.only and args.only not in st.label:
            continue
        n += 1
        reasons = compare(st, rg, rl, cg, cl)
        verdict = "DIFF" if reasons else "SAME"
        if reasons:
            diff += 1
            details.append((n, st, rg, rl, reasons))
        else:
            same += 1
        reason = "; ".join(reasons)
        if len(reason) > 150:
            reason = reason[:147] + "..."
        if st.note and reasons:
            reason = "(%s) %s" % (st.note, reason)
        print(fmt % (n, st.label[:46], rg.status or "ERR", rl.status or "ERR", verdict, reason))
    print("-" * 120)
    for m in notes:
        print("note: " + m)
    if details and not args.no_details:
        print()
        print("Details of every DIFF (bodies normalised: <base> = server URL, <NAME> = run id, <uuid> = other id)")
        for n_, st, rg, rl, reasons in details:
            print()
            print("[%d] %s  %s %s" % (n_, st.label, st.method, st.path))
            if st.jbody is not None:
                print("    request body: %s" % short(st.jbody, 200))
            if st.headers:
                print("    request headers: %s" % short(st.headers, 200))
            for r in reasons:
                print("    - " + r)
            for name, r, c in (("Glance", rg, cg), ("Glint", rl, cl)):
                hdrs = {k: norm(v, c) for k, v in r.headers.items()
                        if k in HEADER_SETS | HEADER_VALUES | {"content-type", "content-length"}}
                body = r.body.decode("utf-8", "replace")
                body = re.sub(r"\s+", " ", norm(body, c)).strip()
                print("    %-6s %s %s %s" % (name, r.status or r.error, json.dumps(hdrs, sort_keys=True),
                                          body[:400] if not OCTET in r.ctype() else "<%d data bytes>" % len(r.body)))
    print()
    print("%d same, %d different" % (same, diff))
    return 0


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
    sys.exit(0)
