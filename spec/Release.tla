------------------------------- MODULE Release -------------------------------
(***************************************************************************)
(* Measurement-bound release and revocation on top of MAKE: each node's     *)
(* agent feeds a finished session to its release machine (src/release):     *)
(* appraise the peer's claims, install the session's keys in the data plane,*)
(* and answer the peer's request for secret S (held by B, released only to  *)
(* A). The three steps happen in any order. A revocation of component A     *)
(* tears down its sessions, keys and secrets and refuses anything new.      *)
(***************************************************************************)
EXTENDS MAKE

VARIABLES
    appraised,  \* sessions whose peer claims the agent appraised and found matching
    closed,     \* sessions the release machine ended (revoked, appraisal failed)
    tried,      \* <<session, step>> pairs the agent already performed
    sas         \* installed data-plane SAs: [node, edge, epoch, sid]

releaseVars == <<appraised, closed, tried, sas>>
vars == <<makeVars, releaseVars>>

ReleaseNodes == {"A", "B"}
SecretS == [name |-> "S", holder |-> "B", allowed |-> {"A"}]
NodeOf(s) == s[1]
EdgeId == "A->B"

ReleaseInit == Init /\ appraised = {} /\ closed = {} /\ tried = {} /\ sas = {}

Matches(s) ==
    /\ sess[s].claims.meas = Ref[PeerOf(s)].meas
    /\ sess[s].claims.role = Ref[PeerOf(s)].role
PeerRevoked(s) == revoked /\ PeerOf(s) = Revocable
Fact(kind, s, to) == [kind |-> kind, sid |-> s, peer |-> PeerOf(s), to |-> to,
                      appraised |-> s \in appraised, afterRevoke |-> PeerRevoked(s)]
Ready(s, step) ==
    /\ NodeOf(s) \in ReleaseNodes
    /\ sess[s].st = "done"
    /\ <<s, step>> \notin tried
    /\ tried' = tried \cup {<<s, step>>}

(* Release events APPRAISED / APPRAISAL_FAILED. *)
AgentAppraise(s) ==
    /\ Ready(s, "appraise")
    /\ IF s \in closed THEN UNCHANGED <<appraised, closed, sas>>
       ELSE IF Matches(s) /\ ~(On("revocationCheck") /\ PeerRevoked(s))
       THEN /\ appraised' = appraised \cup {s}
            /\ UNCHANGED <<closed, sas>>
       ELSE /\ closed' = closed \cup {s}
            /\ sas' = {x \in sas : x.sid # s}
            /\ UNCHANGED appraised
    /\ UNCHANGED makeVars

(* Release event INSTALL_KEY. *)
AgentInstall(s) ==
    /\ Ready(s, "install")
    /\ IF \/ s \in closed
          \/ On("appraisalBeforeRelease") /\ s \notin appraised
          \/ On("revocationCheck") /\ PeerRevoked(s)
       THEN UNCHANGED <<sas, hist>>
       ELSE /\ sas' = sas \cup {[node |-> NodeOf(s), edge |-> EdgeId, epoch |-> sess[s].m1.epoch, sid |-> s]}
            /\ hist' = hist \cup {Fact("install", s, PartnerOf(s))}
    /\ UNCHANGED <<sess, net, seen, revoked, appraised, closed>>

(* Release event REQUEST_SECRET, sent by the peer of a session at the holder. *)
PeerRequest(s) ==
    /\ NodeOf(s) = SecretS.holder
    /\ Ready(s, "request")
    /\ IF \/ s \in closed
          \/ On("appraisalBeforeRelease") /\ s \notin appraised
          \/ On("revocationCheck") /\ PeerRevoked(s)
          \/ PeerOf(s) \notin SecretS.allowed
       THEN UNCHANGED hist
       ELSE hist' = hist \cup {Fact("release", s, PartnerOf(s))}
    /\ UNCHANGED <<sess, net, seen, revoked, appraised, closed, sas>>

(* Release event REVOKE with MAKE's `revoke`: sessions, keys and secrets of A end. *)
RevokeAll ==
    /\ Revoke
    /\ closed' = closed \cup {s \in Sids : sess[s].st = "done" /\ PeerOf(s) = Revocable}
    /\ sas' = {x \in sas : PeerOf(x.sid) # Revocable}
    /\ UNCHANGED <<appraised, tried>>

ReleaseNext ==
    \/ MakeStep /\ UNCHANGED releaseVars
    \/ RevokeAll
    \/ \E s \in Sids : AgentAppraise(s) \/ AgentInstall(s) \/ PeerRequest(s)

ReleaseSpec == ReleaseInit /\ [][ReleaseNext]_vars

-----------------------------------------------------------------------------

(* A secret reaches only a TEE whose launch identity the secret names, and   *)
(* only after the agent appraised it.                                        *)
ReleaseOnlyToAllowed ==
    \A f \in hist : f.kind = "release" =>
        /\ f.appraised
        /\ \E c \in SecretS.allowed : Launch[f.to].meas = Ref[c].meas /\ Launch[f.to].role = Ref[c].role

(* No new session, key or secret for a revoked component; its keys are gone  *)
(* from every other node's data plane.                                        *)
Revocation ==
    /\ RevocationMake
    /\ revoked => \A x \in sas : x.node # Revocable => PeerOf(x.sid) # Revocable
=============================================================================
