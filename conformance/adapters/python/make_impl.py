#!/usr/bin/env python3
"""An independent MAKE implementation in Python, speaking the conformance protocol on stdin/stdout.

Written from conformance/PROTOCOL.md, src/make/README.md (messages, key schedule, checks and their
order), the wire schemas (src/wire/messages.ts) and the sim TEE report layout
(src/attestation/sim/format.ts). It shares no code with the TypeScript implementation: it exists to
show that the conformance protocol and vectors are enough for another language. Needs only the
standard library and `cryptography` (Debian: python3-cryptography).

Usage: python3 make_impl.py [--disable-defence NAME]...
  (then: attestflow conformance run --impl "python3 make_impl.py")
--disable-defence switches one of the checks off, with the names of the `Defences` flags of
src/make/types.ts, so the same mutant test runs against this implementation too.
"""
import hashlib
import hmac
import json
import re
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PROTOCOL = "attestflow-make-conformance/1"
VERSION = 1
MAX_MESSAGE = 65536
MAX_EVIDENCE = 49152
RAW = serialization.Encoding.Raw
DEFENCES = ["transcriptBinding", "roleBinding", "nonceFreshness", "policyDigest", "keyConfirmation", "appraisalBeforeRelease", "revocationCheck"]
ON = {d: True for d in DEFENCES}


class Fail(Exception):
    """A handshake failure with a MAKE code (and optional lower-level detail)."""

    def __init__(self, code, detail=None):
        super().__init__(code)
        self.code = code
        self.detail = detail


class WireFail(Exception):
    pass


# ---------------------------------------------------------------- deterministic CBOR (subset)

def _head(major, n):
    if n < 24:
        return bytes([(major << 5) | n])
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([(major << 5) | extra]) + n.to_bytes(size, "big")
    raise ValueError("integer too large")


def cbor(v):
    """Canonical encoding of uint, bytes, str, list and dict (keys sorted by their encoding)."""
    if isinstance(v, bool):
        raise TypeError("no booleans in MAKE")
    if isinstance(v, int):
        return _head(0, v)
    if isinstance(v, (bytes, bytearray)):
        return _head(2, len(v)) + bytes(v)
    if isinstance(v, str):
        b = v.encode()
        return _head(3, len(b)) + b
    if isinstance(v, list):
        return _head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, dict):
        items = sorted((cbor(k), cbor(x)) for k, x in v.items())
        return _head(5, len(v)) + b"".join(k + x for k, x in items)
    raise TypeError(type(v))


def uncbor(data):
    """Strict decoding of exactly one canonical item; raises WireFail with a wire.* code."""
    pos = 0

    def need(n):
        nonlocal pos
        if pos + n > len(data):
            raise WireFail("wire.truncated")
        out = data[pos:pos + n]
        pos += n
        return out

    def item(depth):
        if depth > 8:
            raise WireFail("wire.malformed")
        b = need(1)[0]
        major, info = b >> 5, b & 31
        if info < 24:
            n = info
        elif info <= 27:
            size = 1 << (info - 24)
            n = int.from_bytes(need(size), "big")
            if n < (24 if size == 1 else 1 << (8 * size // 2)):
                raise WireFail("wire.not-canonical")
        else:
            raise WireFail("wire.malformed")
        if major == 0:
            return n
        if major == 2:
            return bytes(need(n))
        if major == 3:
            try:
                return need(n).decode()
            except UnicodeDecodeError:
                raise WireFail("wire.malformed")
        if major == 4:
            return [item(depth + 1) for _ in range(n)]
        if major == 5:
            out, last = {}, None
            for _ in range(n):
                start = pos
                k = item(depth + 1)
                kenc = data[start:pos]
                if not isinstance(k, str):
                    raise WireFail("wire.wrong-type")
                if last is not None and kenc <= last:
                    raise WireFail("wire.duplicate-field" if kenc == last else "wire.not-canonical")
                last = kenc
                out[k] = item(depth + 1)
            return out
        raise WireFail("wire.malformed")

    v = item(0)
    if pos != len(data):
        raise WireFail("wire.trailing-bytes")
    return v


NAME = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
SUITE = re.compile(r"^[\x21-\x7e]{1,64}$")
U32 = 0xFFFFFFFF


def b32(v):
    return isinstance(v, bytes) and len(v) == 32


def uint(v, lo=0, hi=U32):
    return isinstance(v, int) and lo <= v <= hi


SCHEMAS = {
    1: {"t": lambda v: v == 1, "v": lambda v: uint(v, 0, 255), "s": lambda v: isinstance(v, str) and SUITE.match(v),
        "n": b32, "x": b32, "i": lambda v: isinstance(v, str) and NAME.match(v), "r": lambda v: isinstance(v, str) and NAME.match(v),
        "pd": b32, "pv": uint, "e": uint, "spi": lambda v: uint(v, 256)},
    2: {"t": lambda v: v == 2, "n": b32, "y": b32, "pd": b32, "pv": uint, "spi": lambda v: uint(v, 256),
        "ev": lambda v: isinstance(v, bytes) and len(v) <= MAX_EVIDENCE, "mac": b32},
    3: {"t": lambda v: v == 3, "ev": lambda v: isinstance(v, bytes) and len(v) <= MAX_EVIDENCE, "mac": b32},
    4: {"t": lambda v: v == 4, "c": b32},
}


def decode_message(frame):
    if len(frame) > MAX_MESSAGE:
        raise WireFail("wire.oversize")
    m = uncbor(frame)
    if not isinstance(m, dict) or not isinstance(m.get("t"), int) or m["t"] not in SCHEMAS:
        raise WireFail("wire.wrong-type")
    schema = SCHEMAS[m["t"]]
    if set(m) != set(schema):
        raise WireFail("wire.unknown-field" if set(m) - set(schema) else "wire.missing-field")
    for k, ok in schema.items():
        if not ok(m[k]):
            raise WireFail("wire.oversize" if isinstance(m[k], (str, bytes)) and len(m[k]) > 32 else "wire.wrong-type")
    return m


# ---------------------------------------------------------------- key schedule (src/make/README.md)

def H(label, parts):
    return hashlib.sha256(cbor([label, *parts])).digest()


def report_data(label, parts):
    return hashlib.sha512(cbor([label, *parts])).digest()


def kdf(ikm, salt, label, n):
    return HKDF(algorithm=hashes.SHA256(), length=n, salt=salt, info=label.encode()).derive(ikm)


def mac(key, label, parts):
    return hmac.new(key, cbor([label, *parts]), hashlib.sha256).digest()


def x25519_public(secret):
    return X25519PrivateKey.from_private_bytes(secret).public_key().public_bytes(RAW, serialization.PublicFormat.Raw)


def x25519(secret, share):
    try:
        out = X25519PrivateKey.from_private_bytes(secret).exchange(X25519PublicKey.from_public_bytes(share))
    except ValueError:
        return None
    return None if out == bytes(32) else out


def th1(m1):
    return H("MAKE1 th1", [m1["v"], m1["s"], m1["n"], m1["x"], m1["i"], m1["r"], m1["pd"], m1["pv"], m1["e"], m1["spi"]])


def th2(h1, m2):
    return H("MAKE1 th2", [h1, m2["n"], m2["y"], m2["pd"], m2["pv"], m2["spi"]])


def export(dh, h4, m1, spi_r):
    sa = lambda d, spi: {"spi": spi, "key": kdf(dh, h4, f"MAKE1 esp {d} key", 16).hex(), "salt": kdf(dh, h4, f"MAKE1 esp {d} salt", 3).hex()}
    return {"edge": f"{m1['i']}->{m1['r']}", "epoch": m1["e"], "initiatorToResponder": sa("i2r", spi_r), "responderToInitiator": sa("r2i", m1["spi"])}


# ---------------------------------------------------------------- software TEE (src/attestation/sim/format.ts)

ENDORSE = b"AFSIM endorsement v1"


def ed_public(seed):
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(RAW, serialization.PublicFormat.Raw)


def ed_verify(pub, msg, sig):
    try:
        Ed25519PublicKey.from_public_bytes(pub).verify(sig, msg)
        return True
    except (InvalidSignature, ValueError):
        return False


class Tee:
    def __init__(self, spec):
        self.root_pub = bytes.fromhex(spec["rootPublicKey"])
        root = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(spec["rootSeed"]))
        self.device = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(spec["attesterSeed"]))
        self.device_pub = ed_public(bytes.fromhex(spec["attesterSeed"]))
        self.endorsement = self.device_pub + root.sign(ENDORSE + self.device_pub)
        self.measurement = bytes.fromhex(spec["measurement"])
        self.role = bytes.fromhex(spec["role"])

    def attest(self, rd):
        r = bytearray(256)
        r[0:8] = b"AFSIMRPT"
        r[8:10] = VERSION.to_bytes(2, "big")
        r[16:64] = self.measurement
        r[64:96] = self.role
        r[96:160] = rd
        r[160:192] = self.device_pub
        r[192:256] = self.device.sign(bytes(r[0:192]))
        return cbor({"p": "sim", "d": bytes(r), "a": {"endorsement": self.endorsement}})

    def verify(self, evidence):
        """Claims of sim evidence, or raises Fail('make.evidence', detail)."""
        try:
            ev = uncbor(evidence)
        except WireFail as e:
            raise Fail("make.evidence", str(e))
        if not isinstance(ev, dict) or ev.get("p") != "sim" or not isinstance(ev.get("d"), bytes):
            raise Fail("make.evidence", "attestation.sim.parse")
        r, aux = ev["d"], ev.get("a", {})
        end = aux.get("endorsement") if isinstance(aux, dict) else None
        if len(r) != 256 or r[0:8] != b"AFSIMRPT" or int.from_bytes(r[8:10], "big") != 1 or r[10] & ~1 or any(r[11:16]):
            raise Fail("make.evidence", "attestation.sim.parse")
        if not isinstance(end, bytes) or len(end) != 96:
            raise Fail("make.evidence", "attestation.sim.parse")
        if not ed_verify(self.root_pub, ENDORSE + end[:32], end[32:]):
            raise Fail("make.evidence", "attestation.sim.endorsement")
        if end[:32] != r[160:192] or not ed_verify(end[:32], r[:192], r[192:]):
            raise Fail("make.evidence", "attestation.sim.report_signature")
        return {"platform": "sim", "measurement": r[16:64].hex(), "role": r[64:96].hex(), "reportData": r[96:160], "debug": bool(r[10] & 1)}


# ---------------------------------------------------------------- the two parties (checks in the order of src/make/README.md)

class Session:
    def __init__(self, setup, replay_cache, out):
        self.s = setup
        self.id = setup["session"]
        self.policy = setup["policy"]
        self.digest = bytes.fromhex(self.policy["digest"])
        self.tee = Tee(setup["tee"])
        r = setup["random"]
        self.secret, self.nonce, self.spi = bytes.fromhex(r["ephemeral"]), bytes.fromhex(r["nonce"]), r["spi"]
        self.replay_cache = replay_cache
        self.out = out
        self.state = "idle"
        self.done = False

    def send(self, m):
        self.out({"op": "send", "session": self.id, "frame": cbor(m).hex()})

    def ref(self, name):
        return self.policy["components"].get(name)

    def allows(self, a, b):
        return [a, b] in self.policy["edges"]

    def appraise(self, evidence, peer, expected_rd):
        c = self.tee.verify(evidence)
        ref = self.ref(peer)
        if c["platform"] != "sim":
            raise Fail("make.platform")
        if c["measurement"] != ref["measurement"].lower():
            raise Fail("make.measurement")
        if c["debug"]:
            raise Fail("make.debug")
        if ON["roleBinding"] and c["role"] != ref["role"].lower():
            raise Fail("make.role")
        if ON["transcriptBinding"] and not hmac.compare_digest(c["reportData"], expected_rd):
            raise Fail("make.report-data")
        if ON["revocationCheck"] and peer in self.policy.get("revoked", []):
            raise Fail("make.revoked")

    def start(self):
        if self.s["role"] != "initiator":
            return
        peer = self.s["peer"]
        if self.ref(peer) is None:
            raise Fail("make.unknown-component")
        if not self.allows(self.s["self"], peer):
            raise Fail("make.edge-not-allowed")
        self.m1 = {"t": 1, "v": VERSION, "s": self.s["suites"][0], "n": self.nonce, "x": x25519_public(self.secret), "i": self.s["self"],
                   "r": peer, "pd": self.digest, "pv": self.policy["version"], "e": self.s["epoch"], "spi": self.spi}
        self.send(self.m1)
        self.state = "awaitM2"

    def receive(self, frame):
        try:
            m = decode_message(frame)
        except WireFail as e:
            raise Fail("make.malformed", str(e))
        if m["t"] == 1:
            replayed = m["n"].hex() in self.replay_cache
            self.replay_cache.add(m["n"].hex())
        expected = {"idle": 1 if self.s["role"] == "responder" else None, "awaitM2": 2, "awaitM3": 3, "awaitM4": 4}.get(self.state)
        if m["t"] != expected:
            raise Fail("make.unexpected-message", f"recv.m{m['t']}")
        if m["t"] == 1:
            return self.on_m1(m, replayed)
        return getattr(self, f"on_m{m['t']}")(m)

    # responder
    def on_m1(self, m1, replayed):
        me = self.s["self"]
        if m1["v"] != VERSION:
            raise Fail("make.version")
        if m1["s"] not in self.s["suites"]:
            raise Fail("make.suite")
        if m1["r"] != me:
            raise Fail("make.wrong-responder")
        if self.ref(m1["i"]) is None:
            raise Fail("make.unknown-component")
        if not self.allows(m1["i"], me):
            raise Fail("make.edge-not-allowed")
        if ON["policyDigest"] and m1["pv"] < self.policy["version"]:
            raise Fail("make.policy-downgrade")
        if ON["policyDigest"] and m1["pd"] != self.digest:
            raise Fail("make.policy-digest")
        if ON["nonceFreshness"] and (replayed or m1["n"] == self.nonce):
            raise Fail("make.replay")
        self.dh = x25519(self.secret, m1["x"])
        if self.dh is None:
            raise Fail("make.bad-share")
        self.m1 = m1
        core = {"n": self.nonce, "y": x25519_public(self.secret), "pd": self.digest, "pv": self.policy["version"], "spi": self.spi}
        self.h2 = th2(th1(m1), core)
        ev = self.tee.attest(report_data("MAKE1 report R", [self.h2, me, self.digest]))
        mac_r = mac(kdf(self.dh, self.h2, "MAKE1 km R", 32), "MAKE1 mac R", [self.h2, me, ev])
        self.h3 = H("MAKE1 th3", [self.h2, ev, mac_r])
        self.send({"t": 2, **core, "ev": ev, "mac": mac_r})
        self.state = "awaitM3"

    def on_m3(self, m3):
        peer = self.m1["i"]
        want = mac(kdf(self.dh, self.h2, "MAKE1 km I", 32), "MAKE1 mac I", [self.h3, peer, m3["ev"]])
        if ON["keyConfirmation"] and not hmac.compare_digest(want, m3["mac"]):
            raise Fail("make.bad-mac")
        self.appraise(m3["ev"], peer, report_data("MAKE1 report I", [self.h3, peer, self.m1["pd"]]))
        h4 = H("MAKE1 th4", [self.h3, m3["ev"], m3["mac"]])
        self.send({"t": 4, "c": mac(kdf(self.dh, h4, "MAKE1 kc", 32), "MAKE1 confirm", [h4])})
        return export(self.dh, h4, self.m1, self.spi)

    # initiator
    def on_m2(self, m2):
        if ON["policyDigest"] and m2["pv"] < self.policy["version"]:
            raise Fail("make.policy-downgrade")
        if ON["policyDigest"] and m2["pd"] != self.digest:
            raise Fail("make.policy-digest")
        if ON["nonceFreshness"] and m2["n"] == self.nonce:
            raise Fail("make.replay")
        self.dh = x25519(self.secret, m2["y"])
        if self.dh is None:
            raise Fail("make.bad-share")
        peer, me = self.s["peer"], self.s["self"]
        h2 = th2(th1(self.m1), m2)
        want = mac(kdf(self.dh, h2, "MAKE1 km R", 32), "MAKE1 mac R", [h2, peer, m2["ev"]])
        if ON["keyConfirmation"] and not hmac.compare_digest(want, m2["mac"]):
            raise Fail("make.bad-mac")
        self.appraise(m2["ev"], peer, report_data("MAKE1 report R", [h2, peer, m2["pd"]]))
        h3 = H("MAKE1 th3", [h2, m2["ev"], m2["mac"]])
        ev = self.tee.attest(report_data("MAKE1 report I", [h3, me, self.digest]))
        mac_i = mac(kdf(self.dh, h2, "MAKE1 km I", 32), "MAKE1 mac I", [h3, me, ev])
        self.h4 = H("MAKE1 th4", [h3, ev, mac_i])
        self.spi_r = m2["spi"]
        self.send({"t": 3, "ev": ev, "mac": mac_i})
        self.state = "awaitM4"
        if not ON["keyConfirmation"]:
            return export(self.dh, self.h4, self.m1, self.spi_r)

    def on_m4(self, m4):
        want = mac(kdf(self.dh, self.h4, "MAKE1 kc", 32), "MAKE1 confirm", [self.h4])
        if not hmac.compare_digest(want, m4["c"]):
            raise Fail("make.bad-confirm")
        return export(self.dh, self.h4, self.m1, self.spi_r)


def main():
    args = sys.argv[1:]
    while args:
        if len(args) >= 2 and args[0] == "--disable-defence" and args[1] in DEFENCES:
            ON[args[1]] = False
            args = args[2:]
        else:
            sys.stderr.write(f"make_impl.py: bad argument {args[0]} (usage: make_impl.py [--disable-defence NAME]..., NAME one of {', '.join(DEFENCES)})\n")
            sys.exit(2)

    def out(m):
        sys.stdout.write(json.dumps(m) + "\n")
        sys.stdout.flush()

    sessions, replay_cache = {}, set()

    def step(sess, fn, *args):
        try:
            keys = fn(*args)
        except Fail as f:
            sessions.pop(sess.id, None)
            line = {"op": "error", "session": sess.id, "code": f.code}
            if f.detail:
                line["detail"] = f.detail
            out(line)
            return
        if keys is not None:
            sessions.pop(sess.id, None)
            out({"op": "keys", "session": sess.id, "keys": keys})

    for line in sys.stdin:
        if not line.strip():
            continue
        m = json.loads(line)
        op = m.get("op")
        if op == "hello":
            out({"op": "hello", "protocol": PROTOCOL, "impl": "make_impl.py (independent Python implementation)"})
        elif op == "setup":
            sess = Session(m, replay_cache, out)
            sessions[sess.id] = sess
            step(sess, sess.start)
        elif op == "recv" and m["session"] in sessions:
            sess = sessions[m["session"]]
            step(sess, sess.receive, bytes.fromhex(m["frame"]))
        elif op == "close":
            sessions.pop(m["session"], None)


if __name__ == "__main__":
    main()
