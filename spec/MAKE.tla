-------------------------------- MODULE MAKE --------------------------------
(***************************************************************************)
(* MAKE, the mutually attested key exchange of attestflow, between an      *)
(* initiator TEE and responder TEEs, with a Dolev-Yao network attacker and  *)
(* symbolic crypto. SIGMA-style: each side's TEE evidence commits, through  *)
(* its 64 bytes of report data, to the transcript, its component and the    *)
(* policy digest; identities are MACed under keys from the DH secret; the   *)
(* responder confirms the key (message 4).                                  *)
(*                                                                         *)
(* The same system is explored exhaustively, from the XState machines of   *)
(* src/make and src/release, by src/model (npm run model-check); README.md  *)
(* beside this file maps every action and invariant to the code.           *)
(*                                                                         *)
(* Cast. Policy v2 (current) names components A and B (measurement, launch  *)
(* role) and the edge A->B; v1 is an older version. Instance A initiates,   *)
(* at epochs 1..MaxEpoch (a rekey runs the exchange again with fresh        *)
(* evidence), under the policy its untrusted host gave it. Instances B and  *)
(* C respond; C runs B's image (same measurement) launched in another role  *)
(* and its host tells it that it is B. The attacker owns the network, has   *)
(* its own DH secret and nonce, and runs a genuine TEE E whose image the     *)
(* policy does not name; E attests any report data the attacker asks for.  *)
(* A responder's nonce and DH share are the same in all its sessions (the   *)
(* conservative assumption: freshness must come from the replay check).     *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets, TLC

CONSTANTS
    Defences,           \* the defences switched on (DefenceNames in production)
    MaxEpoch,           \* epochs A keys the edge at
    RespB, RespC,       \* responder sessions of instances B and C
    AttackerInitiates   \* the attacker may open handshakes of its own

VARIABLES
    sess,       \* session id -> session record
    net,        \* every message sent: the attacker has seen them all
    seen,       \* responders' replay caches: m1 nonces received
    revoked,    \* component A has been revoked
    hist        \* history variable: facts recorded when a session finished

makeVars == <<sess, net, seen, revoked, hist>>

DefenceNames == {"transcriptBinding", "roleBinding", "nonceFreshness", "policyDigest",
                 "keyConfirmation", "appraisalBeforeRelease", "revocationCheck"}
On(d) == d \in Defences

-----------------------------------------------------------------------------
(* The cast *)

Components == {"A", "B"}
Ref == [A |-> [meas |-> "meas-a", role |-> "role-a"],
        B |-> [meas |-> "meas-b", role |-> "role-b"]]
Edges == {<<"A", "B">>}
Launch == [A |-> [self |-> "A", meas |-> "meas-a", role |-> "role-a"],
           B |-> [self |-> "B", meas |-> "meas-b", role |-> "role-b"],
           C |-> [self |-> "B", meas |-> "meas-b", role |-> "role-c"],
           M |-> [self |-> "A", meas |-> "meas-e", role |-> "role-e"]]
CurPolicy == [digest |-> "pd.v2", version |-> 2]
OldPolicy == [digest |-> "pd.v1", version |-> 1]
Revocable == "A"

Sids == {<<"A", e>> : e \in 1..MaxEpoch}
        \cup {<<"B", k>> : k \in 1..RespB} \cup {<<"C", k>> : k \in 1..RespC}
IsInit(s) == s[1] = "A"

-----------------------------------------------------------------------------
(* Symbolic terms: only TEEs build evidence; a DH secret is known to whoever *)
(* holds one of its two exponents; hashes, KDFs and MACs are free terms.    *)

NoVal == <<>>   \* a term not set yet (a tuple, so TLC can compare it with terms)
Secret(s) == IF IsInit(s) THEN <<"sec", "A", s[2]>> ELSE <<"sec", s[1], 0>>
AttSecret == <<"sec", "M", 0>>
NonceOf(s) == IF IsInit(s) THEN <<"nonce", "A", s[2]>> ELSE <<"nonce", s[1], 0>>
AttNonce == <<"nonce", "M", 0>>
G(x) == <<"g", x>>
DH(x, share) == IF share[1] = "g" THEN <<"dh", {x, share[2]}>> ELSE <<"bad">>
H(label, parts) == <<"h", label, parts>>
RD(label, parts) == <<"rd", label, parts>>
KDF(k, salt, label) == <<"kdf", k, salt, label>>
MAC(k, label, parts) == <<"mac", k, label, parts>>
Ev(meas, role, rd) == <<"ev", meas, role, rd>>
IsEv(t) == t[1] = "ev"
ClaimsOf(t) == [meas |-> t[2], role |-> t[3], rd |-> t[4]]
AttackerKnows(dh) == dh[1] = "dh" /\ AttSecret \in dh[2]

(* The key schedule of src/make/machines/schedule.ts (labels shortened). *)
Th1(m1) == H("th1", <<m1.nonce, m1.share, m1.initiator, m1.responder, m1.pd, m1.pv, m1.epoch>>)
Th2(h1, m2) == H("th2", <<h1, m2.nonce, m2.share, m2.pd, m2.pv>>)
ReportR(h2, resp, pd) == RD("report R", <<h2, resp, pd>>)
MacKeyR(dh, h2) == KDF(dh, h2, "km R")
MacR(km, h2, resp, ev) == MAC(km, "mac R", <<h2, resp, ev>>)
Th3(h2, ev, mac) == H("th3", <<h2, ev, mac>>)
ReportI(h3, init, pd) == RD("report I", <<h3, init, pd>>)
MacKeyI(dh, h2) == KDF(dh, h2, "km I")
MacI(km, h3, init, ev) == MAC(km, "mac I", <<h3, init, ev>>)
Th4(h3, ev, mac) == H("th4", <<h3, ev, mac>>)
Confirm(dh, h4) == MAC(KDF(dh, h4, "kc"), "confirm", <<h4>>)
EspKey(dh, h4) == KDF(dh, h4, "esp")

-----------------------------------------------------------------------------
(* Sessions *)

EmptySession == [st |-> "idle", pol |-> CurPolicy, m1 |-> NoVal, h1 |-> NoVal, m2 |-> NoVal,
                 dh |-> NoVal, h2 |-> NoVal, h3 |-> NoVal, h4 |-> NoVal, claims |-> NoVal]

PeerOf(s) == IF IsInit(s) THEN "B" ELSE sess[s].m1.initiator
SelfOf(s) == Launch[s[1]].self
Done == {s \in Sids : sess[s].st = "done"}

(* Ground truth: the instance holding the other exponent of the session's key. *)
PartnerOf(s) == (CHOOSE x \in sess[s].dh[2] : x # Secret(s))[2]
DoneFact(s, peer) == [kind |-> "done", sid |-> s, peer |-> peer, to |-> "none",
                      appraised |-> TRUE, afterRevoke |-> revoked /\ peer = Revocable]

-----------------------------------------------------------------------------
(* What the attacker can send: anything recorded (replay, relay, reorder),   *)
(* its own message 1, and man-in-the-middle messages built with its own DH   *)
(* secret, with evidence it has seen or its own TEE E's evidence.            *)

AttM1 == [type |-> "m1", nonce |-> AttNonce, share |-> G(AttSecret), initiator |-> "A",
          responder |-> "B", pd |-> CurPolicy.digest, pv |-> CurPolicy.version, epoch |-> 1]
SeenEvidence == {m.ev : m \in {x \in net : x.type \in {"m2", "m3"}}}
AttCore(s) == [nonce |-> AttNonce, share |-> G(AttSecret), pd |-> sess[s].m1.pd, pv |-> sess[s].m1.pv]
ForgeM2(s, ev) ==
    LET h2 == Th2(sess[s].h1, AttCore(s))
        dh == DH(AttSecret, sess[s].m1.share)
    IN [type |-> "m2", nonce |-> AttNonce, share |-> G(AttSecret), pd |-> sess[s].m1.pd,
        pv |-> sess[s].m1.pv, ev |-> ev, mac |-> MacR(MacKeyR(dh, h2), h2, "B", ev)]
EvilM2(s) == ForgeM2(s, Ev(Launch.M.meas, Launch.M.role,
                           ReportR(Th2(sess[s].h1, AttCore(s)), "B", sess[s].m1.pd)))
ForgeM3(s, ev) ==
    [type |-> "m3", ev |-> ev,
     mac |-> MacI(MacKeyI(sess[s].dh, sess[s].h2), sess[s].h3, sess[s].m1.initiator, ev)]
EvilM3(s) == ForgeM3(s, Ev(Launch.M.meas, Launch.M.role,
                           ReportI(sess[s].h3, sess[s].m1.initiator, sess[s].m1.pd)))

CandM1 == {m \in net : m.type = "m1"} \cup (IF AttackerInitiates THEN {AttM1} ELSE {})
CandM2(s) == {m \in net : m.type = "m2"} \cup {ForgeM2(s, ev) : ev \in SeenEvidence} \cup {EvilM2(s)}
CandM3(s) == {m \in net : m.type = "m3"}
             \cup (IF AttackerKnows(sess[s].dh)
                   THEN {ForgeM3(s, ev) : ev \in SeenEvidence} \cup {EvilM3(s)} ELSE {})
CandM4(s) == {m \in net : m.type = "m4"}
             \cup (IF AttackerKnows(sess[s].dh)
                   THEN {[type |-> "m4", confirm |-> Confirm(sess[s].dh, sess[s].h4)]} ELSE {})

-----------------------------------------------------------------------------
(* Actions. Each is one event of a machine in src/make (README.md).          *)

Init ==
    /\ sess = [s \in Sids |-> EmptySession]
    /\ net = {}
    /\ seen = [i \in {"B", "C"} |-> {}]
    /\ revoked = FALSE
    /\ hist = {}

(* Initiator event `start`: epoch 1, or a rekey once the previous epoch finished. *)
IStart(s, pol) ==
    /\ IsInit(s)
    /\ sess[s].st = "idle"
    /\ s[2] = 1 \/ sess[<<"A", s[2] - 1>>].st = "done"
    /\ LET m1 == [type |-> "m1", nonce |-> NonceOf(s), share |-> G(Secret(s)), initiator |-> "A",
                  responder |-> "B", pd |-> pol.digest, pv |-> pol.version, epoch |-> s[2]]
       IN /\ sess' = [sess EXCEPT ![s] = [@ EXCEPT !.st = "awaitM2", !.pol = pol, !.m1 = m1, !.h1 = Th1(m1)]]
          /\ net' = net \cup {m1}
    /\ UNCHANGED <<seen, revoked, hist>>

(* Responder event `recv.m1` (then checkM1, attest, send m2). *)
RRecvM1(s, m) ==
    LET i == s[1]
        me == Launch[i]
        replayed == m.nonce \in seen[i]
        dh == DH(Secret(s), m.share)
        core == [nonce |-> NonceOf(s), share |-> G(Secret(s)), pd |-> CurPolicy.digest, pv |-> CurPolicy.version]
        h2 == Th2(Th1(m), core)
        ok == /\ m.responder = me.self
              /\ m.initiator \in Components
              /\ <<m.initiator, me.self>> \in Edges
              /\ ~(On("policyDigest") /\ (m.pv < CurPolicy.version \/ m.pd # CurPolicy.digest))
              /\ ~(On("nonceFreshness") /\ (replayed \/ m.nonce = NonceOf(s)))
              /\ dh # <<"bad">>
        ev == Ev(me.meas, me.role, ReportR(h2, me.self, CurPolicy.digest))
        mac == MacR(MacKeyR(dh, h2), h2, me.self, ev)
        m2 == [type |-> "m2", nonce |-> core.nonce, share |-> core.share, pd |-> core.pd,
               pv |-> core.pv, ev |-> ev, mac |-> mac]
    IN /\ ~IsInit(s)
       /\ sess[s].st = "idle"
       /\ \A k \in 1..(s[2] - 1) : sess[<<i, k>>].st # "idle"
       /\ m \in CandM1
       /\ seen' = [seen EXCEPT ![i] = @ \cup {m.nonce}]
       /\ IF ok
          THEN /\ sess' = [sess EXCEPT ![s] = [@ EXCEPT !.st = "awaitM3", !.m1 = m, !.dh = dh,
                                                       !.h2 = h2, !.h3 = Th3(h2, ev, mac)]]
               /\ net' = net \cup {m2}
          ELSE /\ sess' = [sess EXCEPT ![s].st = "failed"]
               /\ UNCHANGED net
       /\ UNCHANGED <<revoked, hist>>

(* Initiator event `recv.m2` (then checkM2, verify, checkR, attest, send m3). *)
IRecvM2(s, m) ==
    LET x == sess[s]
        dh == DH(Secret(s), m.share)
        h2 == Th2(x.h1, m)
        c == ClaimsOf(m.ev)
        ok == /\ ~(On("policyDigest") /\ (m.pv < x.pol.version \/ m.pd # x.pol.digest))
              /\ ~(On("nonceFreshness") /\ m.nonce = x.m1.nonce)
              /\ dh # <<"bad">>
              /\ ~(On("keyConfirmation") /\ m.mac # MacR(MacKeyR(dh, h2), h2, "B", m.ev))
              /\ IsEv(m.ev)
              /\ c.meas = Ref.B.meas
              /\ ~(On("roleBinding") /\ c.role # Ref.B.role)
              /\ ~(On("transcriptBinding") /\ c.rd # ReportR(h2, "B", m.pd))
              /\ ~(On("revocationCheck") /\ revoked /\ "B" = Revocable)
        h3 == Th3(h2, m.ev, m.mac)
        ev == Ev(Launch.A.meas, Launch.A.role, ReportI(h3, "A", x.pol.digest))
        mac == MacI(MacKeyI(dh, h2), h3, "A", ev)
    IN /\ IsInit(s)
       /\ x.st = "awaitM2"
       /\ m \in CandM2(s)
       /\ IF ok
          THEN /\ sess' = [sess EXCEPT ![s] = [@ EXCEPT
                              !.st = IF On("keyConfirmation") THEN "awaitM4" ELSE "done",
                              !.m2 = m, !.dh = dh, !.h2 = h2, !.h3 = h3,
                              !.h4 = Th4(h3, ev, mac), !.claims = c]]
               /\ net' = net \cup {[type |-> "m3", ev |-> ev, mac |-> mac]}
               /\ hist' = IF On("keyConfirmation") THEN hist ELSE hist \cup {DoneFact(s, "B")}
          ELSE /\ sess' = [sess EXCEPT ![s].st = "failed"]
               /\ UNCHANGED <<net, hist>>
       /\ UNCHANGED <<seen, revoked>>

(* Responder event `recv.m3` (then checkM3, verify, checkI, send m4, export). *)
RRecvM3(s, m) ==
    LET x == sess[s]
        peer == x.m1.initiator
        c == ClaimsOf(m.ev)
        ok == /\ ~(On("keyConfirmation") /\ m.mac # MacI(MacKeyI(x.dh, x.h2), x.h3, peer, m.ev))
              /\ IsEv(m.ev)
              /\ c.meas = Ref[peer].meas
              /\ ~(On("roleBinding") /\ c.role # Ref[peer].role)
              /\ ~(On("transcriptBinding") /\ c.rd # ReportI(x.h3, peer, x.m1.pd))
              /\ ~(On("revocationCheck") /\ revoked /\ peer = Revocable)
        h4 == Th4(x.h3, m.ev, m.mac)
    IN /\ ~IsInit(s)
       /\ x.st = "awaitM3"
       /\ m \in CandM3(s)
       /\ IF ok
          THEN /\ sess' = [sess EXCEPT ![s] = [@ EXCEPT !.st = "done", !.h4 = h4, !.claims = c]]
               /\ net' = net \cup {[type |-> "m4", confirm |-> Confirm(x.dh, h4)]}
               /\ hist' = hist \cup {DoneFact(s, peer)}
          ELSE /\ sess' = [sess EXCEPT ![s].st = "failed"]
               /\ UNCHANGED <<net, hist>>
       /\ UNCHANGED <<seen, revoked>>

(* Initiator event `recv.m4` (key confirmation, then export). *)
IRecvM4(s, m) ==
    /\ IsInit(s)
    /\ sess[s].st = "awaitM4"
    /\ m \in CandM4(s)
    /\ IF m.confirm = Confirm(sess[s].dh, sess[s].h4)
       THEN /\ sess' = [sess EXCEPT ![s].st = "done"]
            /\ hist' = hist \cup {DoneFact(s, "B")}
       ELSE /\ sess' = [sess EXCEPT ![s].st = "failed"]
            /\ UNCHANGED hist
    /\ UNCHANGED <<net, seen, revoked>>

(* Event `revoke` to every running handshake: the owners revoke component A. *)
Revoke ==
    /\ ~revoked
    /\ revoked' = TRUE
    /\ sess' = [s \in Sids |->
                  IF /\ On("revocationCheck")
                     /\ sess[s].st \in {"awaitM2", "awaitM3", "awaitM4"}
                     /\ PeerOf(s) = Revocable
                  THEN [sess[s] EXCEPT !.st = "failed"] ELSE sess[s]]
    /\ UNCHANGED <<net, seen, hist>>

MakeStep ==
    \/ \E s \in Sids, pol \in {CurPolicy, OldPolicy} : IStart(s, pol)
    \/ \E s \in Sids : \E m \in CandM1 : RRecvM1(s, m)
    \/ \E s \in Sids : sess[s].st = "awaitM2" /\ \E m \in CandM2(s) : IRecvM2(s, m)
    \/ \E s \in Sids : sess[s].st = "awaitM3" /\ \E m \in CandM3(s) : RRecvM3(s, m)
    \/ \E s \in Sids : sess[s].st = "awaitM4" /\ \E m \in CandM4(s) : IRecvM4(s, m)

Next == MakeStep \/ Revoke
Spec == Init /\ [][Next]_makeVars

-----------------------------------------------------------------------------
(* Invariants (names shared with src/model/invariants.ts)                   *)

TypeOK ==
    /\ DOMAIN sess = Sids
    /\ \A s \in Sids : sess[s].st \in {"idle", "awaitM2", "awaitM3", "awaitM4", "done", "failed"}
    /\ revoked \in BOOLEAN

(* Injective agreement with key confirmation. *)
Agreement ==
    /\ \A s \in Done : IsInit(s) =>
          \E r \in Done : ~IsInit(r) /\ sess[r].h4 = sess[s].h4
    /\ \A r \in Done : ~IsInit(r) =>
          \E s \in Sids : IsInit(s) /\ sess[s].h4 # NoVal /\ sess[s].h3 = sess[r].h3
                          /\ PeerOf(r) = "A" /\ SelfOf(r) = "B"

Secrecy == \A s \in Done : ~AttackerKnows(sess[s].dh)

ExpectedReport(s) ==
    IF IsInit(s) THEN ReportR(sess[s].h2, "B", sess[s].m2.pd)
    ELSE ReportI(sess[s].h3, sess[s].m1.initiator, sess[s].m1.pd)

(* A key or secret reaches a peer only after its evidence verified against  *)
(* that peer's policy entry and was bound to this transcript.                *)
MeasurementBinding ==
    /\ \A s \in Done :
          /\ sess[s].claims.meas = Ref[PeerOf(s)].meas
          /\ Launch[PartnerOf(s)].meas = sess[s].claims.meas
          /\ sess[s].claims.rd = ExpectedReport(s)
    /\ \A f \in hist : f.kind \in {"install", "release"} => f.appraised

NoDiversion == \A s \in Done : Launch[PartnerOf(s)].role = Ref[PeerOf(s)].role

NoReplay == \A s, r \in Done : (s # r /\ IsInit(s) = IsInit(r)) => sess[s].h4 # sess[r].h4

NoDowngrade ==
    \A s \in Done :
       /\ sess[s].m1.pd = CurPolicy.digest /\ sess[s].m1.pv = CurPolicy.version
       /\ IsInit(s) => (sess[s].m2.pd = CurPolicy.digest /\ sess[s].m2.pv = CurPolicy.version)

(* The handshake half of Revocation (Release.tla adds keys and secrets). *)
RevocationMake == \A f \in hist : ~f.afterRevoke
=============================================================================
