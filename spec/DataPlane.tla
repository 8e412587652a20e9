------------------------------ MODULE DataPlane ------------------------------
(***************************************************************************)
(* The data-plane state on top of release: which node holds which SA for    *)
(* which edge and epoch (Release.tla's `sas`), and packets. A node sends on *)
(* an edge only under an installed SA (default deny: without one nothing    *)
(* leaves, so no plaintext on a policy edge); during a rekey the SAs of two *)
(* epochs overlap. The attacker injects packets under any key it knows, or  *)
(* in plaintext; a node accepts a packet only under an SA it holds for that *)
(* edge and epoch. In code: src/dataplane (SA install/remove through the    *)
(* adapter) and the eBPF programs in bpf/.                                   *)
(***************************************************************************)
EXTENDS Release

VARIABLES
    wire,       \* packets sent: [edge, epoch, key, from]
    delivered   \* packets a node accepted: [edge, epoch, key, from, at]

dpVars == <<wire, delivered>>
allVars == <<vars, dpVars>>

PolicyEdgeIds == {"A->B"}
Plain == <<"plain">>   \* "no encryption", as a term so TLC can compare it with keys
SaKey(x) == EspKey(sess[x.sid].dh, sess[x.sid].h4)
AttackerKeys == {EspKey(sess[s].dh, sess[s].h4) : s \in {t \in Done : AttackerKnows(sess[t].dh)}}

DataPlaneInit == ReleaseInit /\ wire = {} /\ delivered = {}

(* tc egress: encrypt under the SA of the edge and epoch. *)
SendPacket(x) ==
    /\ x \in sas
    /\ wire' = wire \cup {[edge |-> x.edge, epoch |-> x.epoch, key |-> SaKey(x), from |-> x.node]}
    /\ UNCHANGED <<vars, delivered>>

(* The attacker injects packets: in plaintext, or under a key it knows. *)
InjectPacket(k, e) ==
    /\ wire' = wire \cup {[edge |-> "A->B", epoch |-> e, key |-> k, from |-> "M"]}
    /\ UNCHANGED <<vars, delivered>>

(* tc ingress: accept only under an SA this node holds for the edge and epoch. *)
ReceivePacket(p, x) ==
    /\ p \in wire
    /\ x \in sas
    /\ x.node # p.from
    /\ x.edge = p.edge /\ x.epoch = p.epoch /\ SaKey(x) = p.key
    /\ delivered' = delivered \cup {[edge |-> p.edge, epoch |-> p.epoch, key |-> p.key, from |-> p.from, at |-> x.node]}
    /\ UNCHANGED <<vars, wire>>

DataPlaneNext ==
    \/ ReleaseNext /\ UNCHANGED dpVars
    \/ \E x \in sas : SendPacket(x)
    \/ \E k \in AttackerKeys \cup {Plain}, e \in 1..MaxEpoch : InjectPacket(k, e)
    \/ \E p \in wire, x \in sas : ReceivePacket(p, x)

DataPlaneSpec == DataPlaneInit /\ [][DataPlaneNext]_allVars

-----------------------------------------------------------------------------

(* No packet is delivered on an edge the policy does not allow or under a   *)
(* key the attacker knows; no plaintext leaves an honest node on a policy   *)
(* edge; every SA comes from a finished handshake of its node, at most one  *)
(* per node, edge and epoch.                                                  *)
DataPlaneSafety ==
    /\ \A x \in sas :
          /\ x.edge \in PolicyEdgeIds
          /\ x.sid \in Done /\ NodeOf(x.sid) = x.node
          /\ ~AttackerKnows(sess[x.sid].dh)
    /\ \A x, y \in sas : (x.node = y.node /\ x.edge = y.edge /\ x.epoch = y.epoch) => x = y
    /\ \A p \in delivered : p.edge \in PolicyEdgeIds /\ p.key # Plain /\ p.key \notin AttackerKeys
    /\ \A p \in wire : p.from # "M" => p.key # Plain
=============================================================================
