// SPDX-License-Identifier: Apache-2.0
/*
 * afdp: the native half of src/dataplane. Node has no binding for the bpf() syscall, so the
 * adapter drives this small libbpf program instead. It reads one operation per line on stdin and
 * answers each with one JSON line on stdout; keys travel on stdin, never in argv (which any local
 * user can read in /proc). It holds no state between runs: everything lives in pinned objects
 * under a bpffs directory, so the kernel keeps enforcing when neither afdp nor the agent runs.
 *
 * Operations (hex for binary values):
 *   load OBJ PINDIR             load the object, pin every program and map (all or nothing)
 *   unload PINDIR               unpin everything (programs stay while still attached)
 *   attach PINDIR IFNAME        clsact + dp_ingress/dp_egress on IFNAME (in afdp's netns)
 *   detach IFNAME               remove the clsact qdisc and its filters
 *   update PINDIR MAP KEY VAL   map update (BPF_ANY)
 *   insert PINDIR MAP KEY VAL   map update that fails if the key exists (BPF_NOEXIST)
 *   delete PINDIR MAP KEY       map delete
 *   lookup PINDIR MAP KEY       map lookup (per-CPU maps: all CPUs' values concatenated)
 *   ctx PINDIR SLOT KEY|- [SPI DIR SALT SEL SEQ]
 *                               create (or with -, clear) a slot's ecb(aes)/cbc(aes) contexts,
 *                               with the SA they belong to (checked by packets; struct dp_ctx_req)
 *   run PINDIR PROG REPEAT DATA BPF_PROG_TEST_RUN; answers retval, duration (ns) and data out
 *   dump PINDIR MAP             every key and value of a (non per-CPU) map
 *   txcsum IFNAME on|off        set the interface's TX checksum offload (tests: with it off, the
 *                               kernel completes checksums in software after tc egress)
 *   inject IFNAME FRAME         send a raw Ethernet frame on IFNAME past the qdisc and tc egress, as
 *                               an attacker on the wire would (tests: replay, forged packets)
 *   info PINDIR                 every pinned program's translated instructions (map references
 *                               and kernel addresses normalized) and every map's layout
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <sched.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/types.h>

#include "dp_abi.h"

#define BPF_FS_MAGIC_NUM 0xcafe4a11
static const char *const PROGS[] = { "dp_egress", "dp_ingress", "dp_ctx_set", "dp_ccm_kat", "dp_bench_aes" };
#define NPROGS (sizeof(PROGS) / sizeof(PROGS[0]))

/*
 * Batch mode (AFDP_BATCH set): all input is read before the first operation and all answers are
 * written after the last, so the caller's process stays idle while the operations run (benchmarks
 * time BPF_PROG_TEST_RUN, and a caller streaming lines or parsing answers meanwhile disturbs them).
 */
static int batch;

/* Batch mode stays on one CPU: a migration between the two runs of a timed pair would run the
 * second with cold caches. */
static void pin_cpu(void)
{
	cpu_set_t one;
	int cpu = sched_getcpu();

	CPU_ZERO(&one);
	if (cpu >= 0) {
		CPU_SET(cpu, &one);
		sched_setaffinity(0, sizeof(one), &one);
	}
}

static void flush(void)
{
	if (!batch)
		fflush(stdout);
}

static void fail(const char *what, int err)
{
	if (err < 0)
		err = -err;
	printf("{\"ok\":false,\"op\":\"%s\",\"errno\":%d,\"error\":\"%s: %s\"}\n", what, err, what, strerror(err));
	flush();
}

static void hexout(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static int unhex(const char *s, unsigned char *out, size_t cap, size_t *n)
{
	size_t len = strlen(s);

	if (len % 2 || len / 2 > cap)
		return -EINVAL;
	for (size_t i = 0; i < len / 2; i++) {
		unsigned int b;

		if (sscanf(s + 2 * i, "%2x", &b) != 1)
			return -EINVAL;
		out[i] = b;
	}
	*n = len / 2;
	return 0;
}

static int ensure_bpffs(void)
{
	struct statfs st;

	if (statfs("/sys/fs/bpf", &st) == 0 && st.f_type == BPF_FS_MAGIC_NUM)
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"))
		return -errno;
	return 0;
}

static int obj_path(char *buf, size_t cap, const char *dir, const char *kind, const char *name)
{
	int n = snprintf(buf, cap, "%s/%s_%s", dir, kind, name);

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static int get_fd(const char *dir, const char *kind, const char *name)
{
	char p[512];
	int fd;

	if (obj_path(p, sizeof(p), dir, kind, name))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(p);
	return fd < 0 ? -errno : fd;
}

static void unpin_all(const char *dir)
{
	char p[512];
	const char *maps[] = { "dp_sel", "dp_sel_fast", "dp_spi_fast", "dp_sa", "dp_ctx", "dp_cfg", "dp_counters", "dp_scratch" };

	for (size_t i = 0; i < NPROGS; i++)
		if (!obj_path(p, sizeof(p), dir, "prog", PROGS[i]))
			unlink(p);
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		if (!obj_path(p, sizeof(p), dir, "map", maps[i]))
			unlink(p);
	rmdir(dir);
}

static void op_load(const char *obj_file, const char *dir)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;
	char p[512];
	int err;

	err = ensure_bpffs();
	if (err)
		return fail("mount bpffs", err);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return fail("mkdir", -errno);
	obj = bpf_object__open_file(obj_file, NULL);
	if (!obj) {
		err = -errno;
		rmdir(dir);
		return fail("open object", err);
	}
	err = bpf_object__load(obj);
	if (err)
		goto out;
	bpf_object__for_each_map(map, obj) {
		if (bpf_map__is_internal(map))
			continue;
		if ((err = obj_path(p, sizeof(p), dir, "map", bpf_map__name(map))) || (err = bpf_map__pin(map, p)))
			goto out;
	}
	bpf_object__for_each_program(prog, obj) {
		if ((err = obj_path(p, sizeof(p), dir, "prog", bpf_program__name(prog))) ||
		    (err = bpf_program__pin(prog, p)))
			goto out;
	}
	bpf_object__close(obj);
	printf("{\"ok\":true}\n");
	flush();
	return;
out:
	/* All or nothing: a failed load leaves no pins behind. */
	bpf_object__close(obj);
	unpin_all(dir);
	fail("load", err);
}

static void op_attach(const char *dir, const char *ifname)
{
	LIBBPF_OPTS(bpf_tc_hook, hook);
	LIBBPF_OPTS(bpf_tc_opts, in_opts, .handle = 1, .priority = 1, .flags = BPF_TC_F_REPLACE);
	LIBBPF_OPTS(bpf_tc_opts, out_opts, .handle = 1, .priority = 1, .flags = BPF_TC_F_REPLACE);
	int ifindex = if_nametoindex(ifname), in_fd, out_fd, err;

	if (!ifindex)
		return fail("if_nametoindex", -errno);
	in_fd = get_fd(dir, "prog", "dp_ingress");
	out_fd = get_fd(dir, "prog", "dp_egress");
	if (in_fd < 0 || out_fd < 0)
		return fail("open pinned program", in_fd < 0 ? in_fd : out_fd);
	hook.ifindex = ifindex;
	hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return fail("tc hook", err);
	hook.attach_point = BPF_TC_INGRESS;
	in_opts.prog_fd = in_fd;
	err = bpf_tc_attach(&hook, &in_opts);
	if (err)
		goto undo;
	hook.attach_point = BPF_TC_EGRESS;
	out_opts.prog_fd = out_fd;
	err = bpf_tc_attach(&hook, &out_opts);
	if (err)
		goto undo;
	printf("{\"ok\":true,\"ifindex\":%d}\n", ifindex);
	flush();
	return;
undo:
	/* Never leave one direction attached without the other. */
	hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	bpf_tc_hook_destroy(&hook);
	fail("tc attach", err);
}

static void op_detach(const char *ifname)
{
	LIBBPF_OPTS(bpf_tc_hook, hook);
	int ifindex = if_nametoindex(ifname), err;

	if (!ifindex)
		return fail("if_nametoindex", -errno);
	hook.ifindex = ifindex;
	hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	err = bpf_tc_hook_destroy(&hook);
	if (err && err != -ENOENT)
		return fail("tc detach", err);
	printf("{\"ok\":true}\n");
	flush();
}

static int map_info(int fd, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
}

static void op_map(const char *op, const char *dir, const char *name, const char *khex, const char *vhex)
{
	static unsigned char key[512], val[1 << 16];
	struct bpf_map_info info;
	size_t kn, vn;
	int fd, err, ncpu;

	fd = get_fd(dir, "map", name);
	if (fd < 0)
		return fail("open pinned map", fd);
	if ((err = map_info(fd, &info)))
		goto out;
	if ((err = unhex(khex, key, sizeof(key), &kn)) || kn != info.key_size) {
		err = -EINVAL;
		goto out;
	}
	if (!strcmp(op, "update") || !strcmp(op, "insert")) {
		if ((err = unhex(vhex, val, sizeof(val), &vn)) || vn != info.value_size) {
			err = -EINVAL;
			goto out;
		}
		err = bpf_map_update_elem(fd, key, val, !strcmp(op, "insert") ? BPF_NOEXIST : BPF_ANY) ? -errno : 0;
	} else if (!strcmp(op, "delete")) {
		err = bpf_map_delete_elem(fd, key) ? -errno : 0;
	} else {
		size_t n = info.value_size;

		if (info.type == BPF_MAP_TYPE_PERCPU_ARRAY || info.type == BPF_MAP_TYPE_PERCPU_HASH) {
			ncpu = libbpf_num_possible_cpus();
			n = ((info.value_size + 7) / 8) * 8 * ncpu;
		}
		if (n > sizeof(val)) {
			err = -E2BIG;
			goto out;
		}
		err = bpf_map_lookup_elem(fd, key, val) ? -errno : 0;
		if (!err) {
			printf("{\"ok\":true,\"value\":\"");
			hexout(val, n);
			printf("\"}\n");
			flush();
			close(fd);
			return;
		}
	}
out:
	close(fd);
	if (err)
		return fail(op, err);
	printf("{\"ok\":true}\n");
	flush();
}

static void op_dump(const char *dir, const char *name)
{
	static unsigned char key[512], next[512], val[1 << 16];
	struct bpf_map_info info;
	int fd, err, first = 1;
	void *prev = NULL;

	fd = get_fd(dir, "map", name);
	if (fd < 0)
		return fail("open pinned map", fd);
	if ((err = map_info(fd, &info)) || info.key_size > sizeof(key) || info.value_size > sizeof(val)) {
		close(fd);
		return fail("dump", err ? err : -E2BIG);
	}
	printf("{\"ok\":true,\"entries\":[");
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, info.key_size);
		prev = key;
		if (bpf_map_lookup_elem(fd, key, val))
			continue; /* deleted meanwhile */
		printf("%s[\"", first ? "" : ",");
		hexout(key, info.key_size);
		printf("\",\"");
		hexout(val, info.value_size);
		printf("\"]");
		first = 0;
	}
	printf("]}\n");
	flush();
	close(fd);
}

/* The legacy ETHTOOL_STXCSUM request: one ioctl, no ethtool binary or netlink family needed. */
static void op_txcsum(const char *ifname, const char *onoff)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_STXCSUM };
	struct ifreq ifr = {};
	int fd, err = 0;

	if (strlen(ifname) >= IFNAMSIZ || (strcmp(onoff, "on") && strcmp(onoff, "off")))
		return fail("txcsum", EINVAL);
	ev.data = !strcmp(onoff, "on");
	strcpy(ifr.ifr_name, ifname);
	ifr.ifr_data = (void *)&ev;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail("txcsum socket", -errno);
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		err = -errno;
	close(fd);
	if (err)
		return fail("txcsum", err);
	printf("{\"ok\":true}\n");
	flush();
}

static void op_inject(const char *ifname, const char *fhex)
{
	static unsigned char frame[1 << 16];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_halen = 6 };
	int fd, one = 1;
	size_t n;

	if (unhex(fhex, frame, sizeof(frame), &n) || n < 14)
		return fail("inject frame", -EINVAL);
	sll.sll_ifindex = if_nametoindex(ifname);
	if (!sll.sll_ifindex)
		return fail("if_nametoindex", -errno);
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		return fail("packet socket", -errno);
	/* PACKET_QDISC_BYPASS: the frame skips this host's tc egress, like one injected on the wire. */
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) ||
	    sendto(fd, frame, n, 0, (struct sockaddr *)&sll, sizeof(sll)) != (ssize_t)n) {
		int err = -errno;

		close(fd);
		return fail("inject", err);
	}
	close(fd);
	printf("{\"ok\":true}\n");
	flush();
}

static void op_ctx(const char *dir, const char *slot, const char *khex, char **sa)
{
	struct dp_ctx_req req = {};
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	size_t kn = 0;
	int fd, err;

	req.slot = strtoul(slot, NULL, 10);
	if (sa) {
		/* SPI DIR SALT SEL SEQ: the SA the key belongs to (see struct dp_ctx_req). */
		size_t n1 = 0, n2 = 0;

		req.spi = strtoul(sa[0], NULL, 10);
		req.dir = strtoul(sa[1], NULL, 10);
		if (unhex(sa[2], req.salt, 3, &n1) || n1 != 3 || unhex(sa[3], (unsigned char *)&req.sel, sizeof(req.sel), &n2) ||
		    n2 != sizeof(req.sel))
			return fail("ctx sa", -EINVAL);
		req.seq = strtoull(sa[4], NULL, 10);
	}
	if (strcmp(khex, "-")) {
		if (unhex(khex, req.key, sizeof(req.key), &kn) || (kn != 16 && kn != 24 && kn != 32))
			return fail("ctx key", -EINVAL);
		req.op = 1;
		req.key_len = kn;
	}
	fd = get_fd(dir, "prog", "dp_ctx_set");
	if (fd < 0)
		return fail("open pinned program", fd);
	opts.ctx_in = &req;
	opts.ctx_size_in = sizeof(req);
	/* SYSCALL programs write their context back into ctx_in. */
	err = bpf_prog_test_run_opts(fd, &opts);
	close(fd);
	memset(req.key, 0, sizeof(req.key));
	if (err)
		return fail("ctx run", -errno);
	if (req.err)
		return fail("ctx create", req.err);
	printf("{\"ok\":true}\n");
	flush();
}

/*
 * Program fds of this batch's runs, opened once: opening the pin and closing it around every run
 * put two more syscalls between the two runs of a timed pair.
 */
static struct {
	char path[512];
	int fd;
} run_fds[8];

static int run_fd(const char *dir, const char *prog)
{
	char p[512];
	size_t i;
	int fd;

	if (obj_path(p, sizeof(p), dir, "prog", prog))
		return -ENAMETOOLONG;
	for (i = 0; i < sizeof(run_fds) / sizeof(run_fds[0]) && run_fds[i].path[0]; i++)
		if (!strcmp(run_fds[i].path, p))
			return run_fds[i].fd;
	fd = bpf_obj_get(p);
	if (fd < 0)
		return -errno;
	if (i < sizeof(run_fds) / sizeof(run_fds[0])) {
		strcpy(run_fds[i].path, p);
		run_fds[i].fd = fd;
	}
	return fd;
}

/* A load or unload may replace what a pin names: forget every cached fd. */
static void run_fds_reset(void)
{
	for (size_t i = 0; i < sizeof(run_fds) / sizeof(run_fds[0]); i++) {
		if (run_fds[i].path[0])
			close(run_fds[i].fd);
		run_fds[i].path[0] = 0;
	}
}

/* The answer to one run: verdict, the kernel's duration and the packet as the program left it. */
static void run_answer(int retval, __u32 duration, const unsigned char *out, size_t n)
{
	printf("{\"ok\":true,\"retval\":%d,\"duration\":%u,\"data\":\"", retval, duration);
	hexout(out, n);
	printf("\"}\n");
	flush();
}

static void op_run(const char *dir, const char *prog, const char *repeat, const char *dhex)
{
	static unsigned char in[1 << 16], out[1 << 16];
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	size_t n;
	int fd, err;

	if (unhex(dhex, in, sizeof(in), &n))
		return fail("run data", -EINVAL);
	fd = run_fd(dir, prog);
	if (fd < 0)
		return fail("open pinned program", fd);
	opts.data_in = in;
	opts.data_size_in = n;
	opts.data_out = out;
	opts.data_size_out = sizeof(out);
	opts.repeat = strtoul(repeat, NULL, 10);
	err = bpf_prog_test_run_opts(fd, &opts);
	if (err)
		return fail("test run", -errno);
	run_answer((int)opts.retval, opts.duration, out, opts.data_size_out);
}

/*
 * Batch mode, when every operation is a run (a benchmark): all inputs are decoded and every
 * program opened first, then the runs go back to back with nothing between them but the next
 * syscall, then the answers are printed. Returns 0 when it handled the batch, -1 to leave it to
 * the line-by-line loop (any other operation, or bad input: that loop reports it).
 */
struct batch_run {
	int fd;
	__u32 repeat, n_in, n_out, duration;
	int retval, err;
	unsigned char *in, *out;
};

static int run_batch(const char *all, size_t len)
{
	struct batch_run *runs = NULL;
	size_t count = 0, cap = 0, i;
	char *save = NULL, *l, *copy = malloc(len + 1);
	int rc = -1;

	if (!copy)
		return -1;
	/* strtok_r writes into its input: a copy, so the line-by-line loop can still read the batch. */
	memcpy(copy, all, len);
	copy[len] = 0;
	for (l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *tok[6] = {}, *tsave = NULL;
		int n = 0;

		for (char *t = strtok_r(l, " \t\r", &tsave); t && n < 6; t = strtok_r(NULL, " \t\r", &tsave))
			tok[n++] = t;
		if (n == 0)
			continue;
		if (n != 5 || strcmp(tok[0], "run"))
			goto out;
		if (count == cap) {
			struct batch_run *more = realloc(runs, (cap = cap ? cap * 2 : 256) * sizeof(*runs));

			if (!more)
				goto out;
			runs = more;
		}
		struct batch_run *r = &runs[count];
		size_t got;

		memset(r, 0, sizeof(*r));
		r->in = malloc(strlen(tok[4]) / 2 + 1);
		r->out = malloc(1 << 16);
		count++;
		if (!r->in || !r->out || unhex(tok[4], r->in, strlen(tok[4]) / 2 + 1, &got))
			goto out;
		r->n_in = got;
		r->repeat = strtoul(tok[3], NULL, 10);
		r->fd = run_fd(tok[1], tok[2]);
		if (r->fd < 0)
			goto out;
	}
	for (i = 0; i < count; i++) {
		struct batch_run *r = &runs[i];
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = r->in, .data_size_in = r->n_in, .data_out = r->out,
			    .data_size_out = 1 << 16, .repeat = r->repeat);

		r->err = bpf_prog_test_run_opts(r->fd, &opts) ? -errno : 0;
		r->retval = opts.retval;
		r->duration = opts.duration;
		r->n_out = opts.data_size_out;
	}
	for (i = 0; i < count; i++) {
		struct batch_run *r = &runs[i];

		if (r->err)
			fail("test run", r->err);
		else
			run_answer(r->retval, r->duration, r->out, r->n_out);
	}
	rc = 0;
out:
	for (i = 0; i < count; i++) {
		free(runs[i].in);
		free(runs[i].out);
	}
	free(runs);
	memset(copy, 0, len); /* whatever the batch held does not linger */
	free(copy);
	return rc;
}

static void print_map(int id, int *first)
{
	struct bpf_map_info info;
	int fd = bpf_map_get_fd_by_id(id);

	if (fd < 0)
		return;
	if (!map_info(fd, &info)) {
		printf("%s{\"name\":\"%s\",\"type\":%u,\"keySize\":%u,\"valueSize\":%u,\"maxEntries\":%u,\"flags\":%u}",
		       *first ? "" : ",", info.name, info.type, info.key_size, info.value_size, info.max_entries,
		       info.map_flags);
		*first = 0;
	}
	close(fd);
}

static void op_info(const char *dir)
{
	int first = 1;

	printf("{\"ok\":true,\"programs\":[");
	for (size_t i = 0; i < NPROGS; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info), map_ids[64], nmaps, xlen;
		struct bpf_insn *insns;
		int fd = get_fd(dir, "prog", PROGS[i]), mfirst = 1;

		if (fd < 0)
			continue;
		/* First ask for the sizes, then for the instructions and map ids. */
		if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
			close(fd);
			continue;
		}
		nmaps = info.nr_map_ids < 64 ? info.nr_map_ids : 64;
		xlen = info.xlated_prog_len;
		insns = calloc(1, xlen ? xlen : 1);
		memset(&info, 0, sizeof(info));
		info.xlated_prog_len = xlen;
		info.xlated_prog_insns = (__u64)(unsigned long)insns;
		info.nr_map_ids = nmaps;
		info.map_ids = (__u64)(unsigned long)map_ids;
		len = sizeof(info);
		if (!insns || bpf_obj_get_info_by_fd(fd, &info, &len)) {
			free(insns);
			close(fd);
			continue;
		}
		/* Normalize what differs between two loads of the same code: map ids become the index
		 * into this program's map list, and kernel addresses (KASLR) are zeroed. */
		for (__u32 j = 0; j + 1 < info.xlated_prog_len / sizeof(struct bpf_insn); j++) {
			struct bpf_insn *x = &insns[j];

			if (x->code != (BPF_LD | BPF_IMM | BPF_DW))
				continue;
			if (x->src_reg == BPF_PSEUDO_MAP_FD || x->src_reg == BPF_PSEUDO_MAP_VALUE) {
				for (__u32 m = 0; m < nmaps; m++)
					if (map_ids[m] == (__u32)x->imm)
						x->imm = m;
			} else if (x->src_reg == 0 && ((__u32)insns[j + 1].imm & 0xffff0000u) == 0xffff0000u) {
				x->imm = 0;
				insns[j + 1].imm = 0;
			}
			j++;
		}
		printf("%s{\"name\":\"%s\",\"type\":%u,\"tag\":\"", first ? "" : ",", PROGS[i], info.type);
		hexout(info.tag, sizeof(info.tag));
		printf("\",\"xlated\":\"");
		hexout((unsigned char *)insns, info.xlated_prog_len);
		printf("\",\"maps\":[");
		for (__u32 m = 0; m < nmaps; m++)
			print_map(map_ids[m], &mfirst);
		printf("]}");
		first = 0;
		free(insns);
		close(fd);
	}
	printf("]}\n");
	flush();
}

int main(void)
{
	static char line[1 << 18];
	FILE *in = stdin;
	char *all = NULL;
	size_t all_len = 0;

	/* Errors are reported as JSON; libbpf's own log (e.g. the verifier's) only with AFDP_VERBOSE. */
	if (!getenv("AFDP_VERBOSE"))
		libbpf_set_print(NULL);
	if (getenv("AFDP_BATCH")) {
		size_t cap = 1 << 20, got = 0, r;

		all = malloc(cap);
		while (all && (r = fread(all + got, 1, cap - got, stdin)) > 0) {
			got += r;
			if (got == cap) {
				char *bigger = realloc(all, cap * 2);

				if (!bigger) {
					free(all);
					all = NULL;
					break;
				}
				all = bigger;
				cap *= 2;
			}
		}
		if (!all) {
			fail("batch input", ENOMEM);
			return 1;
		}
		all_len = got;
		setvbuf(stdout, NULL, _IOFBF, 1 << 24);
		batch = 1;
		pin_cpu();
		/* Only runs (a benchmark): prepared first, then back to back; anything else goes line by line. */
		in = got && run_batch(all, got) ? fmemopen(all, got, "r") : NULL;
		if (!in) {
			memset(all, 0, all_len);
			free(all);
			fflush(stdout);
			return 0;
		}
	}
	while (fgets(line, sizeof(line), in)) {
		char *tok[10] = {};
		int n = 0;
		char *save = NULL;

		for (char *t = strtok_r(line, " \t\r\n", &save); t && n < 10; t = strtok_r(NULL, " \t\r\n", &save))
			tok[n++] = t;
		if (n == 0)
			continue;
#define NEED(k)                                          \
	if (n != (k)) {                                   \
		fail(tok[0], EINVAL);                     \
		continue;                                 \
	}
		if (!strcmp(tok[0], "load") || !strcmp(tok[0], "unload"))
			run_fds_reset();
		if (!strcmp(tok[0], "load")) {
			NEED(3);
			op_load(tok[1], tok[2]);
		} else if (!strcmp(tok[0], "unload")) {
			NEED(2);
			unpin_all(tok[1]);
			printf("{\"ok\":true}\n");
			flush();
		} else if (!strcmp(tok[0], "attach")) {
			NEED(3);
			op_attach(tok[1], tok[2]);
		} else if (!strcmp(tok[0], "detach")) {
			NEED(2);
			op_detach(tok[1]);
		} else if (!strcmp(tok[0], "update") || !strcmp(tok[0], "insert")) {
			NEED(5);
			op_map(tok[0], tok[1], tok[2], tok[3], tok[4]);
		} else if (!strcmp(tok[0], "delete") || !strcmp(tok[0], "lookup")) {
			NEED(4);
			op_map(tok[0], tok[1], tok[2], tok[3], NULL);
		} else if (!strcmp(tok[0], "ctx")) {
			if (n != 4 && n != 9) {
				fail(tok[0], EINVAL);
				continue;
			}
			op_ctx(tok[1], tok[2], tok[3], n == 9 ? &tok[4] : NULL);
		} else if (!strcmp(tok[0], "run")) {
			NEED(5);
			op_run(tok[1], tok[2], tok[3], tok[4]);
		} else if (!strcmp(tok[0], "dump")) {
			NEED(3);
			op_dump(tok[1], tok[2]);
		} else if (!strcmp(tok[0], "txcsum")) {
			NEED(3);
			op_txcsum(tok[1], tok[2]);
		} else if (!strcmp(tok[0], "inject")) {
			NEED(3);
			op_inject(tok[1], tok[2]);
		} else if (!strcmp(tok[0], "info")) {
			NEED(2);
			op_info(tok[1]);
		} else {
			fail(tok[0], EINVAL);
		}
		memset(line, 0, sizeof(line)); /* keys do not linger in this buffer */
	}
	if (all) {
		fclose(in);
		memset(all, 0, all_len); /* nor in the batch buffer */
		free(all);
	}
	fflush(stdout);
	return 0;
}
