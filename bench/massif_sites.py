#!/usr/bin/env python3
"""Heap per peer connection by allocation site, from two valgrind massif runs of B3.

    massif_sites.py BIG.out SMALL.out PCS [--sites N]

BIG.out and SMALL.out are `valgrind --tool=massif --threshold=0` runs of the B3 driver
with two pair counts (e.g. BENCH_N=40 and BENCH_N=20); each one's peak snapshot is the
end of the setup (every pair up). Their difference divided by PCS (2 x the difference
in pairs) is what one more pc costs, without the process-wide allocations both share.
Prints the total, the bytes by category (bench/PROFILE.md, B3) and the N largest sites
(the first frame that is not an allocator, and the first luartc function on the stack).
"""
import collections
import re
import sys

NODE = re.compile(r'^( *)n(\d+): (\d+) (.*)$')
ALLOC = re.compile(r'^(malloc|calloc|realloc|free|__libc|_IO_|\?\?\? libc|strdup|strndup|'
                   r'posix_memalign|operator new|mbedtls_calloc)')


def peak_tree(path):
    """(heap bytes, [(depth, bytes, frame)]) of the largest detailed snapshot."""
    lines = open(path).read().split('\n')
    snaps = []
    for i, line in enumerate(lines):
        if line.startswith('snapshot='):
            heap = int(lines[i + 3].split('=')[1])
            kind = lines[i + 6].split('=')[1]
            if kind in ('detailed', 'peak'):
                snaps.append((heap, i))
    heap, i = max(snaps)
    tree = []
    i += 7
    while i < len(lines) and not lines[i].startswith(('#', 'snapshot=')):
        m = NODE.match(lines[i])
        if m:
            tree.append((len(m.group(1)), int(m.group(3)), m.group(4)))
        i += 1
    return heap, tree


def frame(desc):
    m = re.match(r'0x[0-9A-F]+: (.*)$', desc)
    if not m:
        return desc
    d = m.group(1)
    if d.startswith('???'):
        lib = re.search(r'\(in (.*)\)', d)
        return '??? ' + (lib.group(1).split('/')[-1] if lib else '')
    return d.split(' (')[0]


def sites(path):
    """bytes by (allocation site, first luartc function), over the tree's leaves."""
    heap, tree = peak_tree(path)
    out = collections.Counter()
    stack = []
    for idx, (depth, size, desc) in enumerate(tree):
        while stack and stack[-1][0] >= depth:
            stack.pop()
        stack.append((depth, desc))
        nxt = tree[idx + 1][0] if idx + 1 < len(tree) else -1
        if nxt > depth:
            continue  # not a leaf: its children carry the bytes
        frames = [frame(d) for _, d in stack[1:]]
        site = next((f for f in frames if not ALLOC.match(f)), '?')
        ours = next((f for f in frames if f.startswith(('rtc_', 'rtc__'))), '-')
        out[(site, ours)] += size
    return heap, out


def category(site, ours):
    if site.startswith('sctp_init_asoc'):
        return 'usrsctp: outgoing stream array (1024 x 64 B, sctp_init_asoc)'
    if 'libusrsctp' in site and ours == 'rtc_sctp_handle_packet':
        return 'usrsctp: incoming stream array (1024 x 40 B, INIT/INIT-ACK processing)'
    if site.startswith(('sctp', 'm_get')) or 'libusrsctp' in site:
        return 'usrsctp: association, socket, hash tables, chunks'
    if site.startswith(('conn_append', 'conn_new', 'rtc_ice_tcp_framer', 'reserve')):
        return 'ICE-TCP connections and their buffers'
    if site.startswith(('rtc_sctp', 'rtc__sctp', 'chan_new', 'by_id_cover')):
        return 'SCTP (ours): id -> channel table, channels'
    if ('mbed' in site or site.startswith(('dtls_', 'rtc_dtls', 'CRYPTO', 'rtc__gcm'))
            or (site.startswith('rtc_ring') and ours.startswith('rtc_dtls'))):
        return 'DTLS: mbedTLS contexts, record buffers, GCM keys (OpenSSL), queues'
    if site.startswith(('rtc_ice', 'rtc__ice', 'add_pair', 'rtc_ring')):
        return 'ICE agent: candidates, pairs, queues'
    if 'sdp' in site:
        return 'SDP descriptions (local and remote)'
    if site.startswith(('rtc_pc', 'rtc__pc', 'dc_new', 'rtc_transport')):
        return 'pc, transport, data channel objects'
    if site.startswith(('rtc_io', 'rtc__io', 'io_', 'tcp_set')) or 'libuv' in site:
        return 'io: sockets, libuv handles'
    return 'other'


def main():
    big, small, pcs = sys.argv[1], sys.argv[2], float(sys.argv[3])
    n_sites = int(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[4] == '--sites' else 25
    hb, a = sites(big)
    hs, b = sites(small)
    per = {k: (a[k] - b[k]) / pcs for k in set(a) | set(b)}
    print('heap per pc: %.0f B' % ((hb - hs) / pcs))
    cats = collections.Counter()
    for k, v in per.items():
        cats[category(*k)] += v
    print('\n| where | B/pc |\n| --- | ---: |')
    for k, v in cats.most_common():
        print('| %s | %.0f |' % (k, v))
    print('\nlargest sites (B/pc, site, first luartc function):')
    for k, v in sorted(per.items(), key=lambda kv: -abs(kv[1]))[:n_sites]:
        print('%9.0f  %-40s %s' % (v, k[0][:40], k[1]))


if __name__ == '__main__':
    main()
