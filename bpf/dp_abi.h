/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * The layout of every map the attestflow data plane shares with user space. src/dataplane/abi.ts
 * mirrors these structs byte for byte; a test compares the sizes the kernel reports for the loaded
 * maps against that mirror, so a drift between the two fails loudly.
 * Addresses are IPv4 in network byte order; ports and everything else in host byte order.
 */
#ifndef AF_DP_ABI_H
#define AF_DP_ABI_H

/* Largest ESP ciphertext (payload + trailer) handled: a 1500-byte MTU minus IP and ESP overhead. */
#define DP_MAX_PT 1448
/* Scratch buffer: B0 | B1 | payload rounded up to a block, plus a block of slack for the tag. */
#define DP_BUF (32 + DP_MAX_PT + 32)
#define DP_MAX_BLOCKS ((DP_MAX_PT + 15) / 16)
#define DP_SLOTS 256
#define DP_ICV 16
#define DP_ESP_HDR 16 /* SPI, sequence number, explicit IV */

#define DP_DIR_OUT 0
#define DP_DIR_IN 1

#define DP_PORT_DST 0
#define DP_PORT_SRC 1

/* A flow selector as seen in one packet on this node. */
struct dp_sel {
	__u32 saddr;
	__u32 daddr;
	__u8 proto;
	__u8 port_kind; /* DP_PORT_DST: match the destination port; DP_PORT_SRC: the source port */
	__u16 port;
	__u32 pad;
};

/*
 * What a selector means: a policy edge, expected as ESP (in) or sealed (out) with the outbound SA
 * out_spi, whose key (and sequence counter) is in crypto slot out_slot.
 */
struct dp_sel_val {
	__u32 edge_id;
	__u32 dir;
	__u32 out_spi;  /* 0: no outbound SA installed yet (traffic is dropped, never sent in clear) */
	__u32 out_slot; /* crypto slot of out_spi's key */
};

/*
 * The selector index, by addresses, protocol and direction (the ports are left out, so one lookup
 * serves selectors of either port kind): entry dp_sel_fast_index(saddr, daddr, proto, dir) is
 *   0           no selector of that direction hashes here: deny, no hash lookup;
 *   SPI << 32 | slot + 1
 *               exactly one selector of that direction hashes here, and slot holds the key of SA
 *               SPI on it (out: the SA in use, which seals it): a packet on it is sealed (out) or is
 *               plaintext on an edge (in), any other packet is denied, without a hash lookup;
 *   DP_SEL_MANY several selectors hash here: ask dp_sel.
 * User space recomputes an entry from the selectors it books whenever one of them changes. A slot
 * named here is still only a hint: it records its SPI, direction and selector, and a packet uses
 * it only if they match (else dp_sel decides), so a stale or torn entry can never send a flow
 * under another flow's key. src/dataplane/abi.ts computes the same index.
 */
#define DP_SEL_MANY 0xffffffffULL
#define DP_SEL_FAST 1024
#define DP_SEL_FAST_BITS 10
/* The same for inbound SAs by SPI (dp_spi_fast): entry (spi * 0x9e3779b1) >> 22 holds slot + 1. */

struct dp_sa_key {
	__u32 spi;
	__u32 dir;
};

/* Anti-replay window: DP_WIN_WORDS words of [block index (32 bits) | bitmap of its 32 sequence
 * numbers], word (seq / 32) % DP_WIN_WORDS, kept in the inbound SA's crypto slot and updated
 * lock-free with compare-and-swap (replay_commit in attestflow_dp.bpf.c); 4 words cover the
 * 64-packet window plus a block. */
#define DP_WIN_WORDS 4

/*
 * An SA as user space books it; the state packets use (key, salt, counter, window, selector) is in
 * its crypto slot, where one array lookup finds it (see dp_ctx_req).
 */
struct dp_sa {
	__u32 edge_id;
	__u32 slot;  /* crypto context slot in dp_ctx */
	__u32 epoch;
	struct dp_sel inner; /* in: the only inner flow this SA may deliver; out: the flow it seals */
};

struct dp_cfg {
	__u16 ctrl_port; /* the MAKE control port: the only plaintext exception (0: none) */
	__u16 flags;     /* DP_CFG_* */
	__u32 bench_slot; /* crypto slot used by the raw-AES baseline program */
};

/*
 * Benchmark only: egress treats every packet as CHECKSUM_PARTIAL (checksum left to the device),
 * the state of local TCP/UDP on veth, which BPF_PROG_TEST_RUN cannot give a packet. Harmless on
 * live traffic: both paths seal every packet correctly, this one at a higher cost.
 */
#define DP_CFG_BENCH_PARTIAL 1

/*
 * Argument of the SYSCALL program that keys a crypto slot for an SA, or clears it. The slot keeps
 * the SA's SPI, salt and (outbound) selector and sequence counter with the key: the counter belongs
 * to the key, so whichever selector names the slot, a sequence number is never used twice.
 */
struct dp_ctx_req {
	__u32 slot;
	__u32 op;  /* 1: set key, 0: clear */
	__u32 spi; /* the SA the key belongs to: packets check it, so a reused slot is never mistaken */
	__u32 dir; /* DP_DIR_OUT or DP_DIR_IN: only an outbound key ever seals */
	__u8 salt[4];
	struct dp_sel sel; /* outbound: the flow this key seals; inbound: the only inner flow it delivers */
	__u64 seq;         /* the counter's start (0; tests start near the end) */
	__u8 key[32];
	__u32 key_len;
	__s32 err;
};

/* Verdicts, counted per direction at index dir * DP_V_MAX + verdict. */
enum dp_verdict {
	DP_V_PASS_NONIP = 0,
	DP_V_PASS_CTRL,
	DP_V_SEALED,
	DP_V_OPENED,
	DP_V_DENY,
	DP_V_PLAINTEXT_ON_EDGE,
	DP_V_NO_SA,
	DP_V_NO_KEY,
	DP_V_REPLAY,
	DP_V_OUT_OF_WINDOW,
	DP_V_AUTH_FAIL,
	DP_V_WRONG_EDGE,
	DP_V_MALFORMED,
	DP_V_TOO_BIG,
	DP_V_GSO,
	DP_V_FRAG,
	DP_V_SEQ_EXHAUSTED,
	DP_V_CRYPTO_ERR,
	DP_V_ADJUST_ERR,
	DP_V_WINDOW_BUSY, /* the window word kept changing under concurrent packets (never seen; bounded retries) */
	DP_V_MAX = 32,
};

/* Header of a CCM known-answer request (test program dp_ccm_kat), after a 14-byte Ethernet header. */
struct dp_kat_hdr {
	__u8 slot;
	__u8 m;       /* tag length */
	__u8 l;       /* length-field size, nonce is 15 - l bytes */
	__u8 aad_len; /* 1..14 */
	__u16 len;    /* payload length */
	__u8 decrypt; /* 0: data -> ciphertext || tag; 1: ciphertext || tag -> data, retval 0 iff tag ok */
	__u8 pad;
	__u8 nonce[13];
	__u8 aad[14];
	__u8 pad2[5];
};

#endif
