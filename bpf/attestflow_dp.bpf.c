// SPDX-License-Identifier: GPL-2.0-only
/*
 * attestflow data plane: per-edge ESP (RFC 4303, transport mode, IPv4) with AES-CCM (RFC 4309:
 * 16-byte ICV, 3-byte salt, 8-byte explicit IV) in tc programs.
 *
 * The kernel exposes only ecb(aes) and cbc(aes) to BPF (bpf_crypto kfuncs), so CCM (RFC 3610) is
 * built here from them: the CBC-MAC is the last block of cbc(aes) with a zero IV over B0 | B1 | P,
 * and the CTR keystream is ecb(aes) over the counter blocks A0..An. Crypto needs linear memory, so
 * every packet is copied into a per-CPU scratch buffer, processed there and written back.
 *
 * Egress seals flows on a policy edge; ingress opens ESP by SPI after a 64-packet anti-replay check
 * and delivers it only when the inner flow is the SA's edge. Everything else IPv4 is dropped except
 * the MAKE control port (its messages protect themselves) and non-IP frames such as ARP.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "dp_abi.h"

char LICENSE[] SEC("license") = "GPL";

/* The bpf_crypto kfuncs (Linux 6.10+); libbpf-dev 1.1 headers predate them. */
extern struct bpf_crypto_ctx *bpf_crypto_ctx_create(const struct bpf_crypto_params *params, __u32 params__sz,
						    int *err) __ksym;
extern void bpf_crypto_ctx_release(struct bpf_crypto_ctx *ctx) __ksym;
extern int bpf_crypto_encrypt(struct bpf_crypto_ctx *ctx, const struct bpf_dynptr *src,
			      const struct bpf_dynptr *dst, const struct bpf_dynptr *siv__nullable) __ksym;
extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

/* One untorn load the compiler may not repeat or drop (the words below change under other CPUs). */
#define READ_ONCE(x) (*(volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))
#define compiler_barrier() asm volatile("" ::: "memory")

#define TC_ACT_OK 0
#define TC_ACT_SHOT 2
#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define IPPROTO_ESP 50
#define IP_OFF ETH_HLEN
#define L4_OFF (ETH_HLEN + 20)

struct dp_ctx_slot {
	__u32 spi; /* the SA whose key this is (0: none); see slot_begin() */
	__u8 salt[3];
	__u8 dir;           /* DP_DIR_OUT or DP_DIR_IN */
	__u64 seq;          /* outbound: last sequence number sealed with this key */
	struct dp_sel sel;  /* outbound: the only flow this key seals; inbound: the only one it delivers */
	__u64 top;          /* inbound: highest sequence number accepted */
	__u64 win[DP_WIN_WORDS]; /* inbound: the anti-replay window (see replay_commit) */
	struct bpf_crypto_ctx __kptr *ecb;
	struct bpf_crypto_ctx __kptr *cbc;
};

/*
 * The buffers are 8-byte aligned and also typed as __u64 arrays: the mode loops then compile to
 * 8-byte loads and stores (through a __u8 pointer clang must assume misalignment and emits eight
 * byte accesses per word, which made the XOR cost more than the AES it wraps).
 */
#define U64_VIEW(name) \
	union { \
		__u8 name[DP_BUF]; \
		__u64 name##64[DP_BUF / 8]; \
	}

/*
 * The 8 bytes at byte offset off of a scratch buffer. Loops index by byte offset: written as
 * buf64[k + o / 8], clang recomputes the word index and scales it back on every access (5-6
 * instructions each in the JIT output), where base + offset is one.
 */
#define U64_AT(buf, off) (*(__u64 *)((__u8 *)(buf) + (off)))

struct dp_scratch {
	/* Once B0 and B1 are spent, mac[16..32) holds the ESP header right before the ciphertext, so
	 * the ESP part of a sealed packet is written in one store. */
	U64_VIEW(mac);     /* B0 | B1 | payload (| tag once sealed) */
	U64_VIEW(mac_out);
	U64_VIEW(ctr);     /* A0 .. An */
	U64_VIEW(ks);      /* E(K, A0) .. E(K, An) */
	__u64 iv[2];
	__u64 tag[2];
	__u64 eth[2]; /* seal: the Ethernet header, rewritten after the packet grows */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct dp_sel);
	__type(value, struct dp_sel_val);
} dp_sel SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct dp_sa_key);
	__type(value, struct dp_sa);
} dp_sa SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DP_SLOTS);
	__type(key, __u32);
	__type(value, struct dp_ctx_slot);
} dp_ctx SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dp_cfg);
} dp_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DP_SEL_FAST);
	__type(key, __u32);
	__type(value, __u64);
} dp_sel_fast SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DP_SEL_FAST);
	__type(key, __u32);
	__type(value, __u32);
} dp_spi_fast SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * DP_V_MAX);
	__type(key, __u32);
	__type(value, __u64);
} dp_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dp_scratch);
} dp_scratch SEC(".maps");

static __always_inline int verdict(__u32 dir, __u32 v, int act)
{
	__u32 idx = dir * DP_V_MAX + v;
	__u64 *c = bpf_map_lookup_elem(&dp_counters, &idx);

	if (c)
		*c += 1; /* per-CPU slot: no atomics needed */
	return act;
}

/* ---------------------------------------------------------------- CCM from ecb(aes) and cbc(aes) */

/*
 * The three blocks that depend on nonce, lengths and associated data, as little-endian 64-bit
 * words of their bytes: B0, B1 (2-byte length, then up to 14 bytes of associated data) and A0
 * (counter 0). The ESP path computes them with a few shifts, the known-answer path from bytes.
 */
struct ccm_init {
	__u64 b0[2];
	__u64 b1[2];
	__u64 a[2];
};

/* Writes B0 and B1 into s->mac and A0..An into s->ctr. */
static __always_inline void ccm_blocks(struct dp_scratch *s, const struct ccm_init *p, __u32 nblocks)
{
	__u64 a0 = p->a[0], a1 = p->a[1];
	__u32 i;

	s->mac64[0] = p->b0[0];
	s->mac64[1] = p->b0[1];
	s->mac64[2] = p->b1[0];
	s->mac64[3] = p->b1[1];
	/* A_i = A0 with the counter i (< 65536) in its last two bytes, big-endian. Two blocks per
	 * iteration; at most one block past A_nblocks is written (the buffer has room). */
	for (i = 0; i <= DP_MAX_BLOCKS; i += 2) {
		__u32 o = i * 16, j = i + 1;

		if (i > nblocks)
			break;
		barrier_var(o); /* keep the bound the verifier must see on the offset itself */
		if (o > DP_BUF - 32)
			break;
		U64_AT(s->ctr, o) = a0;
		U64_AT(s->ctr, o + 8) = a1 | ((__u64)(i >> 8) << 48) | ((__u64)(i & 0xff) << 56);
		U64_AT(s->ctr, o + 16) = a0;
		U64_AT(s->ctr, o + 24) = a1 | ((__u64)(j >> 8) << 48) | ((__u64)(j & 0xff) << 56);
	}
}

/*
 * 8 bytes at any byte offset of the MAC buffer, as little-endian words: two aligned 8-byte
 * accesses and shifts. Through a __u8 pointer clang emits one access per byte (about 25
 * instructions per word instead of 8).
 */
static __always_inline int mac_get(struct dp_scratch *s, __u32 off, __u64 *v)
{
	__u32 q = off / 8, sh = (off & 7) * 8;

	barrier_var(q);
	if (q > DP_BUF / 8 - 2)
		return -1;
	*v = sh ? (s->mac64[q] >> sh) | (s->mac64[q + 1] << (64 - sh)) : s->mac64[q];
	return 0;
}

static __always_inline int mac_put(struct dp_scratch *s, __u32 off, __u64 v)
{
	__u32 q = off / 8, sh = (off & 7) * 8;
	__u64 keep;

	barrier_var(q);
	if (q > DP_BUF / 8 - 2)
		return -1;
	if (!sh) {
		s->mac64[q] = v;
		return 0;
	}
	keep = (1ULL << sh) - 1; /* the bytes below off in word q */
	s->mac64[q] = (s->mac64[q] & keep) | (v << sh);
	s->mac64[q + 1] = (s->mac64[q + 1] & ~keep) | (v >> (64 - sh));
	return 0;
}

/* Zeroes the bytes after the payload up to the next block boundary (CBC-MAC padding). */
static __always_inline void ccm_zero_tail(struct dp_scratch *s, __u32 len)
{
	if (mac_put(s, 32 + len, 0) == 0)
		mac_put(s, 32 + len + 8, 0);
}

/*
 * One bpf_crypto_encrypt over n bytes of src into dst (cbc: with a zero IV). The dynptrs are made
 * with the exact length (bounded for the verifier), so there is no bpf_dynptr_adjust call.
 */
static __always_inline int aes_run(struct bpf_crypto_ctx *c, __u8 *src, __u8 *dst, __u32 n, struct dp_scratch *s,
				   int with_iv)
{
	struct bpf_dynptr ps, pd, pi;

	barrier_var(n);
	if (n > DP_BUF)
		return -1;
	bpf_dynptr_from_mem(src, n, 0, &ps);
	bpf_dynptr_from_mem(dst, n, 0, &pd);
	if (!with_iv)
		return bpf_crypto_encrypt(c, &ps, &pd, NULL);
	s->iv[0] = 0;
	s->iv[1] = 0;
	bpf_dynptr_from_mem(s->iv, 16, 0, &pi);
	return bpf_crypto_encrypt(c, &ps, &pd, &pi);
}

/*
 * XORs the keystream (from A1) into the payload in place, 32 bytes per iteration (BPF has no wider
 * registers; fewer iterations means fewer loop checks). It may run up to 31 bytes past len: the
 * buffers have room, and the caller zeroes or overwrites what lies past len.
 */
static __always_inline void ccm_xor(struct dp_scratch *s, __u32 len)
{
	__u32 i;

	for (i = 0; i < (DP_MAX_PT + 31) / 32; i++) {
		__u32 o = i * 32;

		if (o >= len)
			break;
		barrier_var(o);
		if (o > DP_MAX_PT)
			break;
		U64_AT(s->mac, 32 + o) ^= U64_AT(s->ks, 16 + o);
		U64_AT(s->mac, 40 + o) ^= U64_AT(s->ks, 24 + o);
		U64_AT(s->mac, 48 + o) ^= U64_AT(s->ks, 32 + o);
		U64_AT(s->mac, 56 + o) ^= U64_AT(s->ks, 40 + o);
	}
}

/*
 * Encrypt: s->mac[32..32+len) holds the plaintext, zeros after it up to the block; afterwards s->ks[16..] the keystream that turns
 * it into ciphertext (ccm_seal_in_place or the caller's own pass) and s->tag the tag.
 * Decrypt: s->mac[32..32+len) ciphertext -> plaintext, the expected tag in s->tag.
 * Returns 0, or a negative error from the kernel's AES.
 */
static __always_inline int ccm(struct dp_scratch *s, struct dp_ctx_slot *cs, const struct ccm_init *p, __u32 len,
			       int decrypt)
{
	struct bpf_crypto_ctx *ecb = cs->ecb, *cbc = cs->cbc;
	__u32 nb = (len + 15) / 16, i, maclen;
	__u64 t0, t1;
	int err;

	if (!ecb || !cbc)
		return -2;
	if (len > DP_MAX_PT || nb > DP_MAX_BLOCKS)
		return -3;
	ccm_blocks(s, p, nb);
	err = aes_run(ecb, s->ctr, s->ks, (nb + 1) * 16, s, 0);
	if (err)
		return err;
	/* The CBC-MAC pads with zeros: decrypting, the XOR just left keystream bytes there. (The
	 * encrypting caller has zeroed them.) */
	if (decrypt) {
		ccm_xor(s, len);
		ccm_zero_tail(s, len);
	}
	maclen = 32 + nb * 16;
	err = aes_run(cbc, s->mac, s->mac_out, maclen, s, 1);
	if (err)
		return err;
	/* T xor S0: the tag. */
	i = maclen - 16;
	barrier_var(i);
	if (i > DP_BUF - 16)
		return -3;
	t0 = U64_AT(s->mac_out, i) ^ s->ks64[0];
	t1 = U64_AT(s->mac_out, i + 8) ^ s->ks64[1];
	s->tag[0] = t0;
	s->tag[1] = t1;
	return 0;
}

/* After ccm() encrypting: ciphertext in place in s->mac[32..32+len), the tag right after it. */
static __always_inline int ccm_seal_in_place(struct dp_scratch *s, __u32 len)
{
	__u32 i;

	ccm_xor(s, len);
	i = 32 + len;
	barrier_var(i);
	if (i > DP_BUF - 16)
		return -3;
	/* i = 32 + len need not be 8-aligned */
	if (mac_put(s, i, s->tag[0]) || mac_put(s, i + 8, s->tag[1]))
		return -3;
	return 0;
}

/* ---------------------------------------------------------------- packet helpers */

/*
 * Sets the IPv4 total length (network order) and protocol and updates the header checksum
 * incrementally (RFC 1624, eqn. 3) instead of summing the header again: cheaper, and a header
 * whose checksum was wrong stays wrong, so the stack still drops it.
 */
static __always_inline void ip_rewrite(struct iphdr *ip, __u16 tot_len_be, __u8 proto)
{
	__u16 old_w = ip->ttl | ((__u16)ip->protocol << 8), new_w = ip->ttl | ((__u16)proto << 8);
	__u32 sum = (__u16)~ip->check;

	sum += (__u16)~ip->tot_len + tot_len_be + (__u16)~old_w + new_w;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ip->tot_len = tot_len_be;
	ip->protocol = proto;
	ip->check = ~sum;
}

/*
 * Writes the words of the IPv4 header that ip_rewrite() changes (0..4: total length; 8..12:
 * protocol and checksum) from k->ip; the rest of the header is the same on the wire.
 */
static __always_inline int ip_store_changed(struct __sk_buff *skb, const struct iphdr *ip)
{
	void *data, *end;
	__u32 *w;

	barrier_var(skb); /* a fresh load of data and data_end: clang must not reuse ctx addresses */
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	w = data + IP_OFF;
	if ((void *)(w + 3) > end)
		return bpf_skb_store_bytes(skb, IP_OFF, ip, sizeof(*ip), 0);
	w[0] = ((const __u32 *)ip)[0];
	w[2] = ((const __u32 *)ip)[2];
	return 0;
}

struct pkt {
	struct iphdr ip;
	__u16 sport;
	__u16 dport;
};

/* Parses Ethernet + IPv4 (+ ports for TCP/UDP). Returns -1 for non-IPv4 (caller decides), or a verdict. */
static __always_inline int parse(struct __sk_buff *skb, struct pkt *k, __u32 dir, int *act)
{
	__u16 ports[2];

	if (skb->protocol != bpf_htons(ETH_P_IP)) {
		if (skb->protocol == bpf_htons(ETH_P_ARP)) {
			*act = verdict(dir, DP_V_PASS_NONIP, TC_ACT_OK);
			return 1;
		}
		*act = verdict(dir, DP_V_DENY, TC_ACT_SHOT);
		return 1;
	}
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;

	/* Direct packet access when the headers are linear (the common case), a copy otherwise. */
	if (data + L4_OFF + 4 <= end) {
		/* Typed pointers: word loads (x86 and arm64 take them unaligned), not one load per byte. */
		const struct iphdr *iph = data + IP_OFF;
		const __u32 *pw = data + L4_OFF;
		__u32 w;

		k->ip = *iph;
		w = *pw;
		ports[0] = w & 0xffff;
		ports[1] = w >> 16;
	} else if (bpf_skb_load_bytes(skb, IP_OFF, &k->ip, sizeof(k->ip))) {
		*act = verdict(dir, DP_V_MALFORMED, TC_ACT_SHOT);
		return 1;
	} else if (bpf_skb_load_bytes(skb, L4_OFF, ports, sizeof(ports))) {
		ports[0] = ports[1] = 0; /* shorter than an L4 header: only fine for non-TCP/UDP */
	}
	if (k->ip.version != 4 || k->ip.ihl != 5 ||
	    bpf_ntohs(k->ip.tot_len) < 20 || skb->len < ETH_HLEN + bpf_ntohs(k->ip.tot_len)) {
		*act = verdict(dir, DP_V_MALFORMED, TC_ACT_SHOT);
		return 1;
	}
	if (k->ip.frag_off & bpf_htons(0x3fff)) {
		*act = verdict(dir, DP_V_FRAG, TC_ACT_SHOT);
		return 1;
	}
	k->sport = k->dport = 0;
	if (k->ip.protocol == IPPROTO_TCP || k->ip.protocol == IPPROTO_UDP) {
		if (bpf_ntohs(k->ip.tot_len) < 20 + 8) {
			*act = verdict(dir, DP_V_MALFORMED, TC_ACT_SHOT);
			return 1;
		}
		k->sport = bpf_ntohs(ports[0]);
		k->dport = bpf_ntohs(ports[1]);
	}
	return 0;
}

static __always_inline struct dp_sel_val *sel_lookup(const struct pkt *k)
{
	struct dp_sel sel = {};
	struct dp_sel_val *v;

	sel.saddr = k->ip.saddr;
	sel.daddr = k->ip.daddr;
	sel.proto = k->ip.protocol;
	sel.port_kind = DP_PORT_DST;
	sel.port = k->dport;
	v = bpf_map_lookup_elem(&dp_sel, &sel);
	if (v)
		return v;
	sel.port_kind = DP_PORT_SRC;
	sel.port = k->sport;
	return bpf_map_lookup_elem(&dp_sel, &sel);
}

/* The selector index entry (dp_abi.h); src/dataplane/abi.ts selFastIndex() computes the same. */
static __always_inline __u32 sel_fast_index(__u32 saddr, __u32 daddr, __u8 proto, __u32 dir)
{
	__u32 h = saddr ^ daddr ^ (proto | (dir << 8));

	return (h * 0x9e3779b1U) >> (32 - DP_SEL_FAST_BITS);
}

/* The selector index entry for this packet and direction: 0 (no selector), SPI << 32 | slot + 1, or MANY. */
static __always_inline __u64 sel_fast_entry(const struct pkt *k, __u32 dir)
{
	__u32 idx = sel_fast_index(k->ip.saddr, k->ip.daddr, k->ip.protocol, dir);
	__u64 *e;

	e = bpf_map_lookup_elem(&dp_sel_fast, &idx);
	return e ? *e : DP_SEL_MANY;
}

/*
 * A crypto slot is reached through a selector, an SA or the selector index, so a packet can meet a
 * slot that is being cleared or given to another SA. dp_ctx_set clears the slot's SPI before it
 * touches anything else and sets it last; a packet reads the SPI before it reads anything of the
 * slot (slot_begin) and again after it used the key (slot_end), and goes on only if both are the
 * SPI it expects. So a packet only ever uses the key, salt, selector and counter of one SA.
 * x86 keeps loads in order, so plain loads do; elsewhere an atomic gives the full barrier.
 */
static __always_inline __u32 slot_spi(struct dp_ctx_slot *cs)
{
	__u32 spi;

#if defined(__TARGET_ARCH_x86)
	spi = READ_ONCE(cs->spi);
#else
	spi = __sync_fetch_and_add(&cs->spi, 0);
#endif
	compiler_barrier();
	return spi;
}
#define slot_begin slot_spi
static __always_inline int slot_end(struct dp_ctx_slot *cs, __u32 spi)
{
	compiler_barrier();
	return slot_spi(cs) == spi;
}

/*
 * What an index entry that names one SA says about this packet (dp_sel_fast): the SA's selector is
 * the only one of direction dir that hashes here, so the packet is on it (1, with the slot and the
 * SPI) or on no selector of that direction at all (0). -1: the slot does not hold that SA's key
 * right now (it is changing hands): ask dp_sel.
 */
static __always_inline int sel_fast_match(const struct pkt *k, __u64 e, __u32 dir, struct dp_ctx_slot **csp, __u32 *spi)
{
	__u32 slot = (__u32)e - 1;
	struct dp_ctx_slot *cs;

	cs = bpf_map_lookup_elem(&dp_ctx, &slot);
	if (!cs)
		return -1;
	*spi = slot_begin(cs);
	/* The entry names the SA (its SPI) as well as the slot: a slot that changed hands since, or a
	 * torn entry, does not match, and dp_sel decides. */
	if (!*spi || *spi != (__u32)(e >> 32) || cs->dir != dir)
		return -1;
	*csp = cs;
	return cs->sel.saddr == k->ip.saddr && cs->sel.daddr == k->ip.daddr && cs->sel.proto == k->ip.protocol &&
	       cs->sel.port == (cs->sel.port_kind == DP_PORT_DST ? k->dport : k->sport);
}

static __always_inline int is_ctrl(const struct pkt *k, const struct dp_cfg *cfg)
{
	if (!cfg || !cfg->ctrl_port)
		return 0;
	if (k->ip.protocol != IPPROTO_TCP && k->ip.protocol != IPPROTO_UDP)
		return 0;
	return k->sport == cfg->ctrl_port || k->dport == cfg->ctrl_port;
}

/*
 * RFC 4309 blocks: nonce = salt (3) | explicit IV (8), L = 4, M = 16, associated data = SPI |
 * sequence number. iv, spi_be and seq_be hold their bytes in wire order.
 */
static __always_inline void esp_blocks(struct ccm_init *p, const __u8 *salt3, __u32 spi_be, __u32 seq_be, __u64 iv,
				       __u32 plen)
{
	__u64 salt = salt3[0] | ((__u64)salt3[1] << 8) | ((__u64)salt3[2] << 16);

	/* B0 flags: Adata | (M-2)/2 << 3 | (L-1) = 0x40 | 7 << 3 | 3 = 0x7b; A flags: L-1 = 3. */
	p->b0[0] = 0x7b | (salt << 8) | (iv << 32);
	p->b0[1] = (iv >> 32) | ((__u64)bpf_htonl(plen) << 32);
	p->a[0] = 0x03 | (salt << 8) | (iv << 32);
	p->a[1] = iv >> 32;
	/* B1: length 8 (bytes 00 08), SPI, sequence number, zero padding. */
	p->b1[0] = (0x08ULL << 8) | ((__u64)spi_be << 16) | ((__u64)(seq_be & 0xffff) << 48);
	p->b1[1] = seq_be >> 16;
}

/*
 * Copies n bytes (a multiple of 4, 8..max) between buf and the packet at offset at, with direct
 * packet access: below a few hundred bytes this costs less than bpf_skb_store_bytes or
 * bpf_skb_load_bytes. at, max and to_pkt are constants at every call, so each use compiles to its
 * own straight copy. 16 bytes per iteration (one packet bound check and one loop test per two
 * words), then the last n % 16 (0, 4, 8 or 12). Returns -1 when the packet is not linear that far
 * or n is out of range; the caller then uses the helper (which rewrites anything this wrote).
 */
#define DP_FAST_STORE 320
#define DP_FAST_LEN 256
static __always_inline int pkt_copy(struct __sk_buff *skb, __u32 at, __u8 *buf, __u32 n, __u32 max, int to_pkt)
{
	void *data, *end;
	__u32 i, o;
	__u8 *p;

	barrier_var(skb); /* a fresh load of data and data_end: clang must not reuse ctx addresses */
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	if (n > max || n < 8 || (n & 3))
		return -1;
	for (i = 0; i < max / 16; i++) {
		o = i * 16;
		if (o + 16 > n)
			break;
		barrier_var(o);
		if (o > max - 16)
			return -1;
		p = data + at + o;
		if ((void *)(p + 16) > end)
			return -1;
		if (to_pkt) {
			*(__u64 *)p = *(const __u64 *)(buf + o);
			*(__u64 *)(p + 8) = *(const __u64 *)(buf + o + 8);
		} else {
			*(__u64 *)(buf + o) = *(const __u64 *)p;
			*(__u64 *)(buf + o + 8) = *(const __u64 *)(p + 8);
		}
	}
	if (n & 8) {
		o = n & ~15U;
		barrier_var(o);
		if (o > max - 8)
			return -1;
		p = data + at + o;
		if ((void *)(p + 8) > end)
			return -1;
		if (to_pkt)
			*(__u64 *)p = *(const __u64 *)(buf + o);
		else
			*(__u64 *)(buf + o) = *(const __u64 *)p;
	}
	if (n & 4) {
		o = n - 4;
		barrier_var(o);
		if (o > max - 4)
			return -1;
		p = data + at + o;
		if ((void *)(p + 4) > end)
			return -1;
		if (to_pkt)
			*(__u32 *)p = *(const __u32 *)(buf + o);
		else
			*(__u32 *)(buf + o) = *(const __u32 *)p;
	}
	return 0;
}

static __always_inline int store_fast(struct __sk_buff *skb, __u32 at, __u8 *src, __u32 n)
{
	return pkt_copy(skb, at, src, n, DP_FAST_STORE, 1);
}

/* ---------------------------------------------------------------- egress: seal */

/*
 * Completes the TCP/UDP checksum of the plaintext in s->mac[32..32+len). With checksum offload
 * the stack leaves only the pseudo-header sum there for the device to finish, but a device cannot
 * checksum inside ciphertext: without this, the peer (ours or any RFC 4303 host) would get a
 * segment whose checksum does not verify.
 */
/* The pseudo header's 16-bit words as they lie in memory, summed here rather than by a call. */
static __always_inline __u64 pseudo_sum(const struct pkt *k, __u32 len)
{
	return (k->ip.saddr & 0xffff) + (k->ip.saddr >> 16) + (k->ip.daddr & 0xffff) + (k->ip.daddr >> 16) +
	       ((__u32)k->ip.protocol << 8) + bpf_htons((__u16)len);
}

/* Folds an unfolded sum (pseudo header included) and writes the checksum field at off. */
static __always_inline void csum_put(struct dp_scratch *s, const struct pkt *k, __u32 off, __u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	if (sum == 0 && k->ip.protocol == IPPROTO_UDP)
		sum = 0xffff; /* 0 would mean "no checksum" */
	*(__u16 *)&s->mac[32 + off] = sum;
}

static __always_inline int l4_csum(struct dp_scratch *s, const struct pkt *k, __u32 len)
{
	__u32 off = k->ip.protocol == IPPROTO_TCP ? 16 : 6, len4 = (len + 3) & ~3U, o, i;
	__s64 sum;

	if (len < off + 2 || len > DP_MAX_PT)
		return -1;
	s->mac[32 + off] = 0;
	s->mac[33 + off] = 0;
	/* csum_diff works on 4-byte words: zero the bytes up to the next word (the trailer comes after). */
	o = 32 + len;
	barrier_var(o);
	if (o > DP_BUF - 4)
		return -1;
	s->mac[o] = 0;
	s->mac[o + 1] = 0;
	s->mac[o + 2] = 0;
	sum = pseudo_sum(k, len);
	for (i = 0; i < 3; i++) {
		__u32 n;

		o = i * 512;
		if (o >= len4 || sum < 0)
			break;
		n = len4 - o;
		if (n > 512)
			n = 512;
		barrier_var(o);
		if (o > DP_MAX_PT)
			break;
		sum = bpf_csum_diff(NULL, 0, (__be32 *)&s->mac[32 + o], n, (__u32)sum);
	}
	if (sum < 0)
		return -1;
	csum_put(s, k, off, sum);
	return 0;
}

/*
 * Small packets: copy the segment into the scratch buffer with direct packet access and sum it for
 * the checksum in the same pass, instead of bpf_skb_load_bytes plus bpf_csum_diff. Two helper calls
 * cost more than this loop below DP_FAST_LEN bytes; above it the helpers' memcpy and csum_partial
 * win, so larger packets keep them. The bytes after len up to the next word are zeroed (the checksum
 * and the CBC-MAC padding need zeros there). Returns the 64-bit unfolded sum (checksum field
 * included as it stands), or -1 when the packet is not linear that far (the caller takes the
 * helper path).
 */
static __always_inline __s64 load_sum_fast(struct __sk_buff *skb, struct dp_scratch *s, __u32 len)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u32 nw = len / 8, r = len & 7, i, o;
	__u64 sum = 0, w;

	if (len > DP_FAST_LEN || len < 8)
		return -1;
	/* Two words per iteration (one bound check and loop test for both), then an odd last word. */
	for (i = 0; i < DP_FAST_LEN / 16; i++) {
		__u64 w2;
		__u8 *p;

		if (2 * i + 2 > nw)
			break;
		o = i * 16;
		barrier_var(o);
		if (o > DP_FAST_LEN - 16)
			return -1;
		p = data + L4_OFF + o;
		if ((void *)(p + 16) > end)
			return -1;
		w = *(__u64 *)p;
		w2 = *(__u64 *)(p + 8);
		U64_AT(s->mac, 32 + o) = w;
		U64_AT(s->mac, 40 + o) = w2;
		sum += (w & 0xffffffff) + (w >> 32) + (w2 & 0xffffffff) + (w2 >> 32);
	}
	if (nw & 1) {
		__u8 *p;

		o = (nw - 1) * 8;
		barrier_var(o);
		if (o > DP_FAST_LEN - 8)
			return -1;
		p = data + L4_OFF + o;
		if ((void *)(p + 8) > end)
			return -1;
		w = *(__u64 *)p;
		U64_AT(s->mac, 32 + o) = w;
		sum += (w & 0xffffffff) + (w >> 32);
	}
	/* The word after the whole words: the last r bytes (the packet's last 8, shifted down), zeros
	 * after them; all zeros when there are none. */
	w = 0;
	if (r) {
		__u8 *p;

		o = len - 8;
		barrier_var(o);
		if (o > DP_FAST_LEN - 8)
			return -1;
		p = data + L4_OFF + o;
		if ((void *)(p + 8) > end)
			return -1;
		w = *(__u64 *)p >> (64 - 8 * r);
	}
	o = nw * 8;
	barrier_var(o);
	if (o > DP_FAST_LEN)
		return -1;
	U64_AT(s->mac, 32 + o) = w;
	return sum + (w & 0xffffffff) + (w >> 32);
}

/*
 * A CHECKSUM_PARTIAL packet stays CHECKSUM_PARTIAL after sealing (BPF cannot clear the state), so
 * whatever completes checksums after tc egress (a NIC's checksum offload, or the kernel's
 * skb_checksum_help when the device has none) still sums the frame from csum_start to its end and
 * writes the result at csum_start + csum_offset: two bytes inside the ESP packet, which the peer
 * would then reject. So the frame gets a 4-byte tail past the IP packet (every IP stack trims it,
 * as it trims Ethernet padding): a 16-bit word T chosen so that this sum makes the device write
 * back exactly the two bytes already there, then two zero bytes (keeping the store a multiple of 4).
 *
 * The ESP part is s->mac[16 .. 16 + n) and starts at csum_start (the caller checks: the packet
 * grows at its tail, so that is where the old L4 header was); the device writes at its byte off.
 * Sums are of native-endian 16-bit words, as the kernel's are. Returns -1 for a layout it cannot
 * handle (the caller drops).
 */
#define DP_NEUTRAL_TAIL 4

/* T for the neutral tail, from the unfolded sum of the ESP part (W included) and W itself. */
static __always_inline __u32 neutral_word(__u64 sum, __u32 w)
{
	__u64 x;

	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	/* The device writes ~fold(sum + T) (0xffff for a 0 result); it must equal W. */
	x = (~w & 0xffff) + (~sum & 0xffff);
	x = (x & 0xffff) + (x >> 16);
	return x & 0xffff;
}

/*
 * The neutral tail for an ESP part built in the scratch buffer (the slow path): sums
 * s->mac[16 .. 16 + n) and writes T and two zero bytes after it. off: where the device writes.
 */
static __always_inline int neutral_tail(struct dp_scratch *s, __u32 off, __u32 n)
{
	__u32 i, o, w;
	__s64 r = 0;

	if ((off & 1) || off + 2 > n || (n & 3) || n > DP_ESP_HDR + DP_MAX_PT + DP_ICV)
		return -1;
	for (i = 0; i < 3; i++) {
		__u32 c;

		o = i * 512;
		if (o >= n)
			break;
		c = n - o > 512 ? 512 : n - o;
		barrier_var(o);
		if (o > DP_ESP_HDR + DP_MAX_PT + DP_ICV)
			return -1;
		r = bpf_csum_diff(NULL, 0, (__be32 *)&s->mac[16 + o], c, (__u32)r);
		if (r < 0)
			return -1;
	}
	o = off;
	barrier_var(o);
	if (o > DP_ESP_HDR + DP_MAX_PT + DP_ICV - 2)
		return -1;
	w = s->mac[16 + o] | ((__u16)s->mac[17 + o] << 8);
	o = n;
	barrier_var(o);
	if (o > DP_ESP_HDR + DP_MAX_PT + DP_ICV)
		return -1;
	*(__u32 *)&s->mac[16 + o] = neutral_word((__u64)r, w);
	return 0;
}

/*
 * The fast path for small packets: ESP header, ciphertext (plaintext in s->mac xor keystream in
 * s->ks, computed here) and ICV written straight into the grown packet after the IP header, one
 * pass instead of the XOR in the scratch buffer and a copy; with tail, the neutral tail too (its
 * sum taken from the words as they are written). 16 ciphertext bytes per iteration; the last may
 * write up to 12 bytes past the ciphertext, into the ICV's place, written after it. Returns -1
 * when the packet is not linear that far or plen is out of range (nothing is lost: the caller
 * rewrites everything on the slow path).
 */
static __always_inline int esp_store_fast(struct __sk_buff *skb, struct dp_scratch *s, __u64 h0, __u64 h1, __u32 plen,
					  __u32 tail, __u32 off)
{
	__u64 sum, w0 = 0, w1 = 0;
	void *data, *end;
	__u32 i, o, rem = 16;
	__u8 *p;

	barrier_var(skb); /* a fresh load of data and data_end: clang must not reuse ctx addresses */
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	if (plen > DP_FAST_LEN || plen < 4 || (plen & 3) || (tail && ((off & 1) || off + 2 > DP_ESP_HDR + plen + DP_ICV)))
		return -1;
	p = data + L4_OFF;
	if ((void *)(p + DP_ESP_HDR) > end)
		return -1;
	*(__u64 *)p = h0;
	*(__u64 *)(p + 8) = h1;
	sum = (h0 & 0xffffffff) + (h0 >> 32) + (h1 & 0xffffffff) + (h1 >> 32);
	for (i = 0; i < DP_FAST_LEN / 16; i++) {
		o = i * 16;
		if (o >= plen)
			break;
		rem = plen - o;
		barrier_var(o);
		if (o > DP_FAST_LEN - 16)
			return -1;
		p = data + L4_OFF + DP_ESP_HDR + o;
		if ((void *)(p + 16) > end)
			return -1;
		w0 = U64_AT(s->mac, 32 + o) ^ U64_AT(s->ks, 16 + o);
		w1 = U64_AT(s->mac, 40 + o) ^ U64_AT(s->ks, 24 + o);
		*(__u64 *)p = w0;
		*(__u64 *)(p + 8) = w1;
		if (tail)
			sum += (w0 & 0xffffffff) + (w0 >> 32) + (w1 & 0xffffffff) + (w1 >> 32);
	}
	/* Only ciphertext counts: take back what the last 16 bytes held past it (rem, the ciphertext
	 * in them, is a multiple of 4). */
	if (tail && rem < 16) {
		sum -= w1 >> 32;
		if (rem < 12)
			sum -= w1 & 0xffffffff;
		if (rem < 8)
			sum -= w0 >> 32;
	}
	o = plen;
	barrier_var(o);
	if (o > DP_FAST_LEN)
		return -1;
	p = data + L4_OFF + DP_ESP_HDR + o;
	if ((void *)(p + DP_ICV) > end)
		return -1;
	w0 = s->tag[0];
	w1 = s->tag[1];
	*(__u64 *)p = w0;
	*(__u64 *)(p + 8) = w1;
	if (!tail)
		return 0;
	if ((void *)(p + DP_ICV + DP_NEUTRAL_TAIL) > end)
		return -1;
	sum += (w0 & 0xffffffff) + (w0 >> 32) + (w1 & 0xffffffff) + (w1 >> 32);
	/* W as the device will find it (read back: the packet holds it now). */
	o = off;
	barrier_var(o);
	if (o > DP_ESP_HDR + DP_FAST_LEN + DP_ICV - 2)
		return -1;
	if ((void *)(data + L4_OFF + o + 2) > end)
		return -1;
	*(__u32 *)(p + DP_ICV) = neutral_word(sum, *(__u16 *)(data + L4_OFF + o));
	return 0;
}

/*
 * Writes the sealed frame's Ethernet header (as it was) and its whole IPv4 header: after growing at
 * the head, nothing of the old headers is in place any more.
 */
static __always_inline int frame_head_store(struct __sk_buff *skb, const __u64 *eth, const struct iphdr *ip)
{
	const __u32 *w = (const __u32 *)ip;
	void *data, *end;

	barrier_var(skb); /* a fresh load of data and data_end: clang must not reuse ctx addresses */
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	if (data + L4_OFF > end)
		return bpf_skb_store_bytes(skb, 0, eth, ETH_HLEN, 0) ||
		       bpf_skb_store_bytes(skb, IP_OFF, ip, sizeof(*ip), 0);
	*(__u64 *)data = eth[0];
	*(__u32 *)(data + 8) = (__u32)eth[1];
	*(__u16 *)(data + 12) = (__u16)(eth[1] >> 32);
	/* The IPv4 header starts 2 bytes into a word: one 2-byte store, then words. */
	*(__u16 *)(data + IP_OFF) = (__u16)w[0];
	*(__u16 *)(data + IP_OFF + 2) = (__u16)(w[0] >> 16);
	*(__u32 *)(data + IP_OFF + 4) = w[1];
	*(__u32 *)(data + IP_OFF + 8) = w[2];
	*(__u32 *)(data + IP_OFF + 12) = w[3];
	*(__u32 *)(data + IP_OFF + 16) = w[4];
	return 0;
}

/* Seals with the key in slot cs, found valid for spi by slot_begin(). */
static __always_inline int seal(struct __sk_buff *skb, struct pkt *k, struct dp_ctx_slot *cs, __u32 spi,
				const struct dp_cfg *cfg)
{
	struct ccm_init p;
	struct dp_scratch *s;
	struct sk_buff *kskb;
	__u32 zero = 0, len, pad, plen, spi_be, seq_be, i, grow, partial, tail = 0, csum_off = 0;
	__u64 seq, iv, h0;
	__s64 fsum;
	__u8 nh = k->ip.protocol;
	void *data, *end;

	if (skb->gso_size)
		return verdict(DP_DIR_OUT, DP_V_GSO, TC_ACT_SHOT);
	len = bpf_ntohs(k->ip.tot_len) - 20;
	pad = (4 - ((len + 2) & 3)) & 3;
	plen = len + pad + 2;
	if (len == 0 || plen > DP_MAX_PT)
		return verdict(DP_DIR_OUT, DP_V_TOO_BIG, TC_ACT_SHOT);
	s = bpf_map_lookup_elem(&dp_scratch, &zero);
	if (!s)
		return verdict(DP_DIR_OUT, DP_V_NO_KEY, TC_ACT_SHOT);

	/* CHECKSUM_PARTIAL: the stack left the TCP/UDP checksum to the device, which cannot reach it
	 * inside ciphertext, so it is completed here, and the sealed packet gets a checksum-neutral
	 * tail (neutral_tail()). In any other state (forwarded packets, UDP on a device without
	 * checksum offload) the checksum in the packet is complete already. */
	kskb = bpf_cast_to_kern_ctx(skb);
	partial = kskb->ip_summed == 3 /* CHECKSUM_PARTIAL */ || (cfg && (cfg->flags & DP_CFG_BENCH_PARTIAL));
	if (partial) {
		/* The device's checksum must start at the ESP header (the old L4 header's place: the
		 * packet grows at its tail). The benchmark's forced mode has no offload state: it takes
		 * the transport's own offsets. */
		/* csum_start and csum_offset share a word with csum: one load for both. */
		__u32 cs_word = kskb->csum, at = (__u16)(kskb->data - kskb->head) + L4_OFF, start;

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		start = cs_word & 0xffff;
		csum_off = cs_word >> 16;
#else
		start = cs_word >> 16;
		csum_off = cs_word & 0xffff;
#endif
		if (kskb->ip_summed != 3) {
			start = at;
			csum_off = nh == IPPROTO_TCP ? 16 : 6;
		}
		if (start != at)
			return verdict(DP_DIR_OUT, DP_V_MALFORMED, TC_ACT_SHOT);
		tail = DP_NEUTRAL_TAIL;
	}

	seq = __sync_fetch_and_add(&cs->seq, 1) + 1; /* the key's own counter: never repeats under it */
	/* The device's write lands on the sequence number's low half for UDP (offset 6): where that
	 * is 0x0000 or 0xffff the neutral tail cannot cover every device (a zero sum is written as
	 * either), so such numbers are skipped; a gap is nothing to the peer's window. */
	if (tail && csum_off == 6) {
		if ((seq & 0xffff) == 0xffff)
			seq = __sync_fetch_and_add(&cs->seq, 1) + 1;
		if ((seq & 0xffff) == 0)
			seq = __sync_fetch_and_add(&cs->seq, 1) + 1;
	}
	if (seq > 0xffffffffULL) /* 32-bit sequence numbers must never wrap: rekey first */
		return verdict(DP_DIR_OUT, DP_V_SEQ_EXHAUSTED, TC_ACT_SHOT);

	/* Plaintext and the ESP trailer (pad bytes 1, 2, 3, pad length, next header). */
	len &= 0x7ff;
	if (len == 0 || len > DP_MAX_PT)
		return verdict(DP_DIR_OUT, DP_V_TOO_BIG, TC_ACT_SHOT);
	i = 32 + len;
	if (i > DP_BUF - 8)
		return verdict(DP_DIR_OUT, DP_V_TOO_BIG, TC_ACT_SHOT);
	fsum = load_sum_fast(skb, s, len);
	if (fsum >= 0) {
		/* Take the checksum field out of the sum (the sum included it), then complete it. */
		__u32 off = nh == IPPROTO_TCP ? 16 : 6;

		if (len < off + 2)
			return verdict(DP_DIR_OUT, DP_V_MALFORMED, TC_ACT_SHOT);
		if (partial)
			csum_put(s, k, off, (__u64)fsum - *(__u16 *)&s->mac[32 + off] + pseudo_sum(k, len));
	} else if (bpf_skb_load_bytes(skb, L4_OFF, &s->mac[32], len) || (partial && l4_csum(s, k, len))) {
		return verdict(DP_DIR_OUT, DP_V_MALFORMED, TC_ACT_SHOT);
	}
	/* The trailer as one little-endian word: pad bytes 1, 2, 3 (pad of them), pad length, next
	 * header, zeros after (the CBC-MAC padding wants them). */
	if (mac_put(s, i, (0x030201ULL & ((1ULL << (8 * pad)) - 1)) | ((__u64)pad << (8 * pad)) |
				  ((__u64)nh << (8 * pad + 8))))
		return verdict(DP_DIR_OUT, DP_V_TOO_BIG, TC_ACT_SHOT);
	/* The CBC-MAC's zero padding after the trailer, to the next block (at most 12 bytes): plen
	 * is a multiple of 4, so aligned stores do, no read-modify-write. */
	i = 32 + plen;
	barrier_var(i);
	if (i > DP_BUF - 24)
		return verdict(DP_DIR_OUT, DP_V_TOO_BIG, TC_ACT_SHOT);
	if (i & 4) {
		*(__u32 *)&s->mac[i] = 0;
		i += 4;
	}
	U64_AT(s->mac, i) = 0;
	U64_AT(s->mac, i + 8) = 0;

	spi_be = bpf_htonl(spi);
	seq_be = bpf_htonl((__u32)seq);
	iv = bpf_cpu_to_be64(seq); /* the explicit IV is the 64-bit counter: unique per key */
	esp_blocks(&p, cs->salt, spi_be, seq_be, iv, plen);
	if (ccm(s, cs, &p, plen, 0))
		return verdict(DP_DIR_OUT, DP_V_CRYPTO_ERR, TC_ACT_SHOT);
	if (!slot_end(cs, spi))
		return verdict(DP_DIR_OUT, DP_V_NO_KEY, TC_ACT_SHOT);

	ip_rewrite(&k->ip, bpf_htons(20 + DP_ESP_HDR + plen + DP_ICV), IPPROTO_ESP);
	/* The whole frame is written anew below, so the packet only has to grow by `grow` bytes, at
	 * either end. Growing at the head (bpf_skb_change_head: a push into the headroom) costs less
	 * than at the tail (bpf_skb_change_tail also makes the whole packet writable and sets its
	 * length). But a push leaves the skb's header offsets, csum_start among them, where the old
	 * headers were; for a CHECKSUM_PARTIAL packet the receiver's IP layer then refuses to trim the
	 * opened packet (csum_start past its end) and drops it. Growing at the tail keeps every offset
	 * right (the inner L4 header of the opened packet lands where the old one was), so it is taken
	 * for CHECKSUM_PARTIAL packets, when the headroom is short (a push would copy the packet) and
	 * when the frame carries bytes past the IP packet (change_tail trims them). */
	grow = DP_ESP_HDR + (plen - len) + DP_ICV;
	if (!partial && skb->len == ETH_HLEN + 20 + len && kskb->data - kskb->head >= grow) {
		/* After the push nothing of the old headers is in place: the Ethernet header is kept
		 * first, then both headers are written whole. */
		data = (void *)(long)skb->data;
		end = (void *)(long)skb->data_end;
		if (data + 16 <= end) {
			s->eth[0] = *(__u64 *)data;
			s->eth[1] = *(__u64 *)(data + 8);
		} else if (bpf_skb_load_bytes(skb, 0, s->eth, ETH_HLEN)) {
			return verdict(DP_DIR_OUT, DP_V_MALFORMED, TC_ACT_SHOT);
		}
		if (bpf_skb_change_head(skb, grow, 0) || frame_head_store(skb, s->eth, &k->ip))
			return verdict(DP_DIR_OUT, DP_V_ADJUST_ERR, TC_ACT_SHOT);
	} else if (bpf_skb_change_tail(skb, ETH_HLEN + 20 + DP_ESP_HDR + plen + DP_ICV + tail, 0) ||
		   ip_store_changed(skb, &k->ip)) {
		return verdict(DP_DIR_OUT, DP_V_ADJUST_ERR, TC_ACT_SHOT);
	}
	/* Then ESP header, ciphertext, ICV and any neutral tail, straight into the packet when it is
	 * small and linear, else built in s->mac[16..] and stored. */
	h0 = spi_be | ((__u64)seq_be << 32);
	if (esp_store_fast(skb, s, h0, iv, plen, tail, csum_off) == 0)
		return verdict(DP_DIR_OUT, DP_V_SEALED, TC_ACT_OK);
	if (ccm_seal_in_place(s, plen))
		return verdict(DP_DIR_OUT, DP_V_CRYPTO_ERR, TC_ACT_SHOT);
	/* B0 and B1 are spent: the ESP header goes right before the ciphertext. */
	s->mac64[2] = h0;
	s->mac64[3] = iv;
	if (tail && neutral_tail(s, csum_off, DP_ESP_HDR + plen + DP_ICV))
		return verdict(DP_DIR_OUT, DP_V_MALFORMED, TC_ACT_SHOT);
	plen = DP_ESP_HDR + plen + DP_ICV + tail;
	barrier_var(plen);
	if (plen > DP_ESP_HDR + DP_MAX_PT + DP_ICV + DP_NEUTRAL_TAIL)
		return verdict(DP_DIR_OUT, DP_V_TOO_BIG, TC_ACT_SHOT);
	if (store_fast(skb, L4_OFF, &s->mac[16], plen) && bpf_skb_store_bytes(skb, L4_OFF, &s->mac[16], plen, 0))
		return verdict(DP_DIR_OUT, DP_V_ADJUST_ERR, TC_ACT_SHOT);
	return verdict(DP_DIR_OUT, DP_V_SEALED, TC_ACT_OK);
}

SEC("tc")
int dp_egress(struct __sk_buff *skb)
{
	struct dp_ctx_slot *cs;
	struct dp_sel_val *v;
	struct dp_cfg *cfg;
	struct pkt k;
	__u32 spi = 0, slot, zero = 0;
	__u64 e;
	int act;

	if (parse(skb, &k, DP_DIR_OUT, &act))
		return act;
	cfg = bpf_map_lookup_elem(&dp_cfg, &zero);
	if (is_ctrl(&k, cfg))
		return verdict(DP_DIR_OUT, DP_V_PASS_CTRL, TC_ACT_OK);
	/* The selector index first (no hash lookup), then the selector table, which decides. One call
	 * of seal() (it is inlined: two would double the program). */
	e = sel_fast_entry(&k, DP_DIR_OUT);
	if (!e)
		return verdict(DP_DIR_OUT, DP_V_DENY, TC_ACT_SHOT);
	act = e == DP_SEL_MANY ? -1 : sel_fast_match(&k, e, DP_DIR_OUT, &cs, &spi);
	if (act == 0)
		return verdict(DP_DIR_OUT, DP_V_DENY, TC_ACT_SHOT);
	if (act != 1) {
		v = sel_lookup(&k);
		if (!v || v->dir != DP_DIR_OUT)
			return verdict(DP_DIR_OUT, DP_V_DENY, TC_ACT_SHOT);
		if (!v->out_spi)
			return verdict(DP_DIR_OUT, DP_V_NO_SA, TC_ACT_SHOT);
		slot = v->out_slot;
		spi = v->out_spi;
		cs = bpf_map_lookup_elem(&dp_ctx, &slot);
		if (!cs || slot_begin(cs) != spi || cs->dir != DP_DIR_OUT)
			return verdict(DP_DIR_OUT, DP_V_NO_KEY, TC_ACT_SHOT);
	}
	return seal(skb, &k, cs, spi, cfg);
}

/* ---------------------------------------------------------------- ingress: open */

/* Ciphertext and ICV (n bytes) from after the ESP header into the scratch buffer (see pkt_copy). */
static __always_inline int load_fast(struct __sk_buff *skb, struct dp_scratch *s, __u32 n)
{
	return pkt_copy(skb, L4_OFF + DP_ESP_HDR, &s->mac[32], n, DP_FAST_LEN, 0);
}

/*
 * The anti-replay window (RFC 4303 section 3.4.3: 64 packets), without a lock, in the inbound SA's
 * crypto slot. cs->top is the highest sequence number accepted; cs->win[] holds one word per block of 32 sequence numbers,
 * [block index | bitmap], at index block % DP_WIN_WORDS. A bit is set only by a compare-and-swap
 * that also checks the block index, so a replay is caught exactly however packets race: a word is
 * only ever replaced by a newer block, and a sequence number whose block was replaced is more than
 * 64 behind. A bpf_spin_lock here cost about 50 ns per packet at 64 bytes (bench dataplane).
 */
#define DP_WIN 64

/* Before decryption, without writing: 0 if seq may be fresh, else the verdict. */
static __always_inline int replay_check(struct dp_ctx_slot *cs, __u64 seq)
{
	__u64 blk = seq >> 5, w;

	if (seq == 0 || seq + DP_WIN <= READ_ONCE(cs->top))
		return DP_V_OUT_OF_WINDOW;
	w = READ_ONCE(cs->win[blk & (DP_WIN_WORDS - 1)]);
	if ((w >> 32) > blk)
		return DP_V_OUT_OF_WINDOW;
	if ((w >> 32) == blk && (w & (1ULL << (seq & 31))))
		return DP_V_REPLAY;
	return 0;
}

/* After the packet verified: marks seq seen (0), or gives the verdict if it was seen meanwhile. */
static __always_inline int replay_commit(struct dp_ctx_slot *cs, __u64 seq)
{
	__u64 blk = seq >> 5, bit = 1ULL << (seq & 31), w, nw, top;
	__u64 *word = &cs->win[blk & (DP_WIN_WORDS - 1)];
	int i;

	/* Retries are rare (another CPU changed this word): loops, not eight unrolled copies. */
#pragma clang loop unroll(disable)
	for (i = 0; i < 8; i++) {
		if (seq + DP_WIN <= READ_ONCE(cs->top))
			return DP_V_OUT_OF_WINDOW;
		w = READ_ONCE(*word);
		if ((w >> 32) == blk) {
			if (w & bit)
				return DP_V_REPLAY;
			nw = w | bit;
		} else if ((w >> 32) < blk) {
			nw = (blk << 32) | bit; /* a block more than 64 behind: its bits are no longer needed */
		} else {
			return DP_V_OUT_OF_WINDOW;
		}
		if (__sync_val_compare_and_swap(word, w, nw) == w)
			break;
	}
	if (i == 8)
		return DP_V_WINDOW_BUSY;
	/* Raise the top (a lagging top only delays dropping old packets; replays are caught above). */
#pragma clang loop unroll(disable)
	for (i = 0; i < 8; i++) {
		top = READ_ONCE(cs->top);
		if (seq <= top || __sync_val_compare_and_swap(&cs->top, top, seq) == top)
			break;
	}
	return 0;
}

/*
 * The slot of inbound SA spi: through the SPI index (no hash lookup) when its entry names a slot
 * keyed for exactly this inbound SA, else through dp_sa. NULL: no such SA.
 */
static __always_inline struct dp_ctx_slot *spi_slot(__u32 spi)
{
	__u32 idx = (spi * 0x9e3779b1U) >> (32 - DP_SEL_FAST_BITS), slot, *e;
	struct dp_sa_key sk = { .spi = spi, .dir = DP_DIR_IN };
	struct dp_ctx_slot *cs;
	struct dp_sa *sa;

	e = bpf_map_lookup_elem(&dp_spi_fast, &idx);
	if (e && *e) {
		slot = *e - 1;
		cs = bpf_map_lookup_elem(&dp_ctx, &slot);
		if (cs && slot_begin(cs) == spi && cs->dir == DP_DIR_IN)
			return cs;
	}
	sa = bpf_map_lookup_elem(&dp_sa, &sk);
	if (!sa)
		return NULL;
	slot = sa->slot;
	cs = bpf_map_lookup_elem(&dp_ctx, &slot);
	if (cs && slot_begin(cs) == spi && cs->dir == DP_DIR_IN)
		return cs;
	return NULL;
}

static __always_inline int open(struct __sk_buff *skb, struct pkt *k)
{
	struct ccm_init p;
	struct dp_ctx_slot *cs;
	struct dp_scratch *s;
	__u32 hdr[4], zero = 0, plen, len, i, spi;
	__u64 seq, iv, d0, d1;
	__u8 padlen, nh;
	__u16 ports[2];
	int v;

	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;

	if (data + L4_OFF + sizeof(hdr) <= end) {
		const __u32 *hp = data + L4_OFF; /* word loads, as in parse() */

		hdr[0] = hp[0];
		hdr[1] = hp[1];
		hdr[2] = hp[2];
		hdr[3] = hp[3];
	} else if (bpf_skb_load_bytes(skb, L4_OFF, hdr, sizeof(hdr)))
		return verdict(DP_DIR_IN, DP_V_MALFORMED, TC_ACT_SHOT);
	spi = bpf_ntohl(hdr[0]);
	seq = bpf_ntohl(hdr[1]);
	iv = hdr[2] | ((__u64)hdr[3] << 32);
	cs = spi_slot(spi);
	if (!cs)
		return verdict(DP_DIR_IN, DP_V_NO_SA, TC_ACT_SHOT);
	v = replay_check(cs, seq);
	if (v)
		return verdict(DP_DIR_IN, v, TC_ACT_SHOT);

	len = bpf_ntohs(k->ip.tot_len);
	if (len < 20 + DP_ESP_HDR + DP_ICV + 4)
		return verdict(DP_DIR_IN, DP_V_MALFORMED, TC_ACT_SHOT);
	plen = len - 20 - DP_ESP_HDR - DP_ICV;
	if (plen & 3)
		return verdict(DP_DIR_IN, DP_V_MALFORMED, TC_ACT_SHOT);
	plen &= 0x7ff;
	if (plen < 4 || plen > DP_MAX_PT)
		return verdict(DP_DIR_IN, DP_V_TOO_BIG, TC_ACT_SHOT);
	s = bpf_map_lookup_elem(&dp_scratch, &zero);
	if (!s)
		return verdict(DP_DIR_IN, DP_V_NO_KEY, TC_ACT_SHOT);
	/* Ciphertext and ICV in one copy; the ICV goes to the stack before ccm() reuses the bytes. */
	if (load_fast(skb, s, plen + DP_ICV) && bpf_skb_load_bytes(skb, L4_OFF + DP_ESP_HDR, &s->mac[32], plen + DP_ICV))
		return verdict(DP_DIR_IN, DP_V_MALFORMED, TC_ACT_SHOT);
	i = 32 + plen;
	barrier_var(i);
	if (i > DP_BUF - 16)
		return verdict(DP_DIR_IN, DP_V_TOO_BIG, TC_ACT_SHOT);
	if (mac_get(s, i, &d0) || mac_get(s, i + 8, &d1))
		return verdict(DP_DIR_IN, DP_V_MALFORMED, TC_ACT_SHOT);

	esp_blocks(&p, cs->salt, hdr[0], hdr[1], iv, plen);
	if (ccm(s, cs, &p, plen, 1))
		return verdict(DP_DIR_IN, DP_V_CRYPTO_ERR, TC_ACT_SHOT);
	if (!slot_end(cs, spi))
		return verdict(DP_DIR_IN, DP_V_NO_KEY, TC_ACT_SHOT);
	if (((d0 ^ s->tag[0]) | (d1 ^ s->tag[1])) != 0)
		return verdict(DP_DIR_IN, DP_V_AUTH_FAIL, TC_ACT_SHOT);

	/* Authentic. Trailer, then the inner flow must be exactly this SA's edge. */
	i = 32 + plen - 2;
	if (i > DP_BUF - 2)
		return verdict(DP_DIR_IN, DP_V_MALFORMED, TC_ACT_SHOT);
	padlen = s->mac[i];
	nh = s->mac[i + 1];
	if (padlen + 2 > plen)
		return verdict(DP_DIR_IN, DP_V_MALFORMED, TC_ACT_SHOT);
	len = plen - 2 - padlen;
	if ((nh != IPPROTO_TCP && nh != IPPROTO_UDP) || len < 8)
		return verdict(DP_DIR_IN, DP_V_WRONG_EDGE, TC_ACT_SHOT);
	__builtin_memcpy(ports, &s->mac[32], 4);
	k->sport = bpf_ntohs(ports[0]);
	k->dport = bpf_ntohs(ports[1]);
	if (cs->sel.saddr != k->ip.saddr || cs->sel.daddr != k->ip.daddr || cs->sel.proto != nh ||
	    cs->sel.port != (cs->sel.port_kind == DP_PORT_DST ? k->dport : k->sport))
		return verdict(DP_DIR_IN, DP_V_WRONG_EDGE, TC_ACT_SHOT);

	/* Commit to the window only now that the packet is authentic and on its edge. */
	v = replay_commit(cs, seq);
	if (v)
		return verdict(DP_DIR_IN, v, TC_ACT_SHOT);

	/* Drop the ESP header, trailer and ICV, then write the IPv4 header and the plaintext in one
	 * store: the header goes into the 20 scratch bytes right before the plaintext (B0 and B1,
	 * spent), so the packet is rewritten with one adjust_room and one store_bytes. */
	len &= 0x7ff;
	if (len > DP_MAX_PT || len == 0)
		return verdict(DP_DIR_IN, DP_V_MALFORMED, TC_ACT_SHOT);
	ip_rewrite(&k->ip, bpf_htons(20 + len), nh);
	/* The IPv4 header and the plaintext are written over the ESP packet's first bytes; the packet is
	 * not shrunk: the IP layer trims whatever lies past the header's total length (ip_rcv, as it
	 * does Ethernet padding), here the rest of the ciphertext and the ICV. Resizing would cost a
	 * helper call per packet for nothing, except when a device summed the packet for the stack
	 * (CHECKSUM_COMPLETE): that sum covered the ciphertext, and shrinking drops it (the stack then
	 * checks the plaintext's own checksum) instead of leaving a stale sum ("hw csum failure"). */
	if (((struct sk_buff *)bpf_cast_to_kern_ctx(skb))->ip_summed == 2 /* CHECKSUM_COMPLETE */ &&
	    bpf_skb_change_tail(skb, ETH_HLEN + 20 + len, 0))
		return verdict(DP_DIR_IN, DP_V_ADJUST_ERR, TC_ACT_SHOT);
	if (ip_store_changed(skb, &k->ip) ||
	    (store_fast(skb, L4_OFF, &s->mac[32], len) && bpf_skb_store_bytes(skb, L4_OFF, &s->mac[32], len, 0)))
		return verdict(DP_DIR_IN, DP_V_ADJUST_ERR, TC_ACT_SHOT);
	return verdict(DP_DIR_IN, DP_V_OPENED, TC_ACT_OK);
}

SEC("tc")
int dp_ingress(struct __sk_buff *skb)
{
	struct dp_ctx_slot *cs;
	struct dp_sel_val *v;
	struct pkt k;
	__u32 spi, zero = 0;
	__u64 e;
	int act;

	if (parse(skb, &k, DP_DIR_IN, &act))
		return act;
	if (k.ip.protocol == IPPROTO_ESP)
		return open(skb, &k);
	if (is_ctrl(&k, bpf_map_lookup_elem(&dp_cfg, &zero)))
		return verdict(DP_DIR_IN, DP_V_PASS_CTRL, TC_ACT_OK);
	e = sel_fast_entry(&k, DP_DIR_IN);
	if (!e)
		return verdict(DP_DIR_IN, DP_V_DENY, TC_ACT_SHOT);
	if (e != DP_SEL_MANY) {
		act = sel_fast_match(&k, e, DP_DIR_IN, &cs, &spi);
		if (act == 1)
			return verdict(DP_DIR_IN, DP_V_PLAINTEXT_ON_EDGE, TC_ACT_SHOT);
		if (act == 0)
			return verdict(DP_DIR_IN, DP_V_DENY, TC_ACT_SHOT);
	}
	v = sel_lookup(&k);
	if (v)
		return verdict(DP_DIR_IN, DP_V_PLAINTEXT_ON_EDGE, TC_ACT_SHOT);
	return verdict(DP_DIR_IN, DP_V_DENY, TC_ACT_SHOT);
}

/* ---------------------------------------------------------------- crypto contexts (SYSCALL) */

SEC("syscall")
int dp_ctx_set(struct dp_ctx_req *req)
{
	struct bpf_crypto_params params = {
		.type = "skcipher",
	};
	struct bpf_crypto_ctx *ecb = NULL, *cbc = NULL, *old;
	struct dp_ctx_slot *cs;
	__u32 slot = req->slot;
	int err = 0;

	cs = bpf_map_lookup_elem(&dp_ctx, &slot);
	if (!cs) {
		req->err = -22;
		return 0;
	}
	if (req->op == 1) {
		if (req->key_len != 16 && req->key_len != 24 && req->key_len != 32) {
			req->err = -22;
			return 0;
		}
		params.key_len = req->key_len;
		__builtin_memcpy(params.key, req->key, 32);
		__builtin_memcpy(params.algo, "ecb(aes)", 9);
		ecb = bpf_crypto_ctx_create(&params, sizeof(params), &err);
		if (!ecb) {
			req->err = err ? err : -12;
			return 0;
		}
		__builtin_memcpy(params.algo, "cbc(aes)", 9);
		cbc = bpf_crypto_ctx_create(&params, sizeof(params), &err);
		__builtin_memset(params.key, 0, sizeof(params.key));
		if (!cbc) {
			bpf_crypto_ctx_release(ecb);
			req->err = err ? err : -12;
			return 0;
		}
	}
	/* Swap both in (or out, when clearing) and release whatever was there: no key stays behind.
	 * The SPI is cleared first and set last (slot_begin()); the exchanges are full barriers. */
	__sync_lock_test_and_set(&cs->spi, 0);
	old = bpf_kptr_xchg(&cs->ecb, ecb);
	if (old)
		bpf_crypto_ctx_release(old);
	old = bpf_kptr_xchg(&cs->cbc, cbc);
	if (old)
		bpf_crypto_ctx_release(old);
	if (req->op == 1) {
		cs->salt[0] = req->salt[0];
		cs->salt[1] = req->salt[1];
		cs->salt[2] = req->salt[2];
		cs->dir = req->dir;
		cs->sel = req->sel;
		cs->seq = req->seq;
		cs->top = 0;
		__builtin_memset(cs->win, 0, sizeof(cs->win));
		__sync_lock_test_and_set(&cs->spi, req->spi);
	} else {
		cs->salt[0] = cs->salt[1] = cs->salt[2] = 0;
		cs->dir = 0;
		__builtin_memset(&cs->sel, 0, sizeof(cs->sel));
		cs->seq = 0;
		cs->top = 0;
		__builtin_memset(cs->win, 0, sizeof(cs->win));
	}
	req->err = 0;
	return 0;
}

/* ---------------------------------------------------------------- test and benchmark programs */

/* CCM known answers (RFC 3610 packets) through the same ccm() the ESP path uses. */
SEC("tc")
int dp_ccm_kat(struct __sk_buff *skb)
{
	struct dp_kat_hdr h;
	struct ccm_init p;
	__u8 b0[16] = {}, b1[16] = {}, a[16] = {};
	struct dp_ctx_slot *cs;
	struct dp_scratch *s;
	__u32 zero = 0, slot, len;
	__u64 d0 = 0, d1 = 0;

	if (bpf_skb_load_bytes(skb, ETH_HLEN, &h, sizeof(h)))
		return -1;
	len = h.len & 0x7ff;
	if (len > DP_MAX_PT || len == 0 || h.m < 4 || h.m > 16 || (h.m & 1) || h.l < 2 || h.l > 4 ||
	    h.aad_len == 0 || h.aad_len > 14)
		return -22;
	slot = h.slot;
	cs = bpf_map_lookup_elem(&dp_ctx, &slot);
	s = bpf_map_lookup_elem(&dp_scratch, &zero);
	if (!cs || !s)
		return -2;
	/* Generic RFC 3610 blocks from bytes. The request must zero-fill nonce and aad beyond their
	 * lengths (the nonce's tail is the length field's head); enforce it rather than trust. */
	if (h.l >= 3 && h.nonce[12])
		return -22;
	if (h.l >= 4 && h.nonce[11])
		return -22;
	b0[0] = 0x40 | ((((__u32)h.m - 2) >> 1) << 3) | ((__u32)h.l - 1);
	a[0] = h.l - 1;
	__builtin_memcpy(&b0[1], h.nonce, 13);
	__builtin_memcpy(&a[1], h.nonce, 13);
	b0[14] = len >> 8; /* len < 65536: only the last two length bytes can be non-zero */
	b0[15] = len & 0xff;
	b1[1] = h.aad_len;
	__builtin_memcpy(&b1[2], h.aad, 14);
	__builtin_memcpy(p.b0, b0, 16);
	__builtin_memcpy(p.b1, b1, 16);
	__builtin_memcpy(p.a, a, 16);
	if (bpf_skb_load_bytes(skb, ETH_HLEN + sizeof(h), &s->mac[32], len))
		return -5;
	if (h.decrypt) {
		if (bpf_skb_load_bytes(skb, ETH_HLEN + sizeof(h) + len, &s->mac_out[0], 16))
			return -5;
		d0 = s->mac_out64[0];
		d1 = s->mac_out64[1];
	}
	if (!h.decrypt)
		ccm_zero_tail(s, len);
	if (ccm(s, cs, &p, len, h.decrypt) || (!h.decrypt && ccm_seal_in_place(s, len)))
		return -3;
	if (h.decrypt) {
		/* Compare the first m bytes of the tag. */
		__u64 m0 = h.m >= 8 ? ~0ULL : (1ULL << (h.m * 8)) - 1;
		__u64 m1 = h.m <= 8 ? 0 : (h.m == 16 ? ~0ULL : (1ULL << ((h.m - 8) * 8)) - 1);

		if (bpf_skb_store_bytes(skb, ETH_HLEN + sizeof(h), &s->mac[32], len, 0))
			return -5;
		return (((d0 ^ s->tag[0]) & m0) | ((d1 ^ s->tag[1]) & m1)) ? 1 : 0;
	}
	if (bpf_skb_store_bytes(skb, ETH_HLEN + sizeof(h), &s->mac[32], len + 16, 0))
		return -5;
	return 0;
}

/*
 * The baseline for `bench dataplane`: exactly the kernel AES work CCM needs for a packet of this
 * size (ECB over the counter blocks, CBC over B0 | B1 | payload), with no packet handling around it.
 */
SEC("tc")
int dp_bench_aes(struct __sk_buff *skb)
{
	struct dp_ctx_slot *cs;
	struct dp_scratch *s;
	struct dp_cfg *cfg;
	__u32 zero = 0, slot, len, plen, nb;

	cfg = bpf_map_lookup_elem(&dp_cfg, &zero);
	if (!cfg)
		return -1;
	slot = cfg->bench_slot;
	cs = bpf_map_lookup_elem(&dp_ctx, &slot);
	s = bpf_map_lookup_elem(&dp_scratch, &zero);
	if (!cs || !s)
		return -2;
	/* Same ciphertext length as seal() gives an IPv4 packet of this size. */
	if (skb->len < L4_OFF + 1)
		return -22;
	len = skb->len - L4_OFF;
	plen = len + ((4 - ((len + 2) & 3)) & 3) + 2;
	if (plen > DP_MAX_PT)
		return -22;
	nb = (plen + 15) / 16;
	struct bpf_crypto_ctx *ecb = cs->ecb, *cbc = cs->cbc;

	if (!ecb || !cbc)
		return -2;
	if (aes_run(ecb, s->ctr, s->ks, (nb + 1) * 16, s, 0))
		return -3;
	if (aes_run(cbc, s->mac, s->mac_out, 32 + nb * 16, s, 1))
		return -3;
	return 0;
}
