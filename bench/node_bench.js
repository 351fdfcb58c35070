// Node side of the benchmark protocol (/work/shared/BENCH.md, bench/README.md), for two
// implementations:
//   libwebrtc       through @roamhq/wrtc (W3C API)
//   libdatachannel  through node-datachannel (its native API, not the polyfill)
// Run: node --expose-gc bench/node_bench.js libwebrtc|libdatachannel B1|B2a|B2b|B3|B4
// Options from the environment, same names as bench/luartc_bench.lua. The last stdout
// line is "RESULT {json}".
//
// Loopback: node-datachannel binds to 127.0.0.1 (bindAddress), so it gathers there only.
// @roamhq/wrtc has no such option: libwebrtc gathers on the machine's interfaces (not
// loopback); that traffic to the machine's own address stays on the machine.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');
const readline = require('readline');

const IMPL = process.argv[2];
const MODE = process.argv[3] || 'B1';
const envn = (k, d) => (process.env[k] ? Number(process.env[k]) : d);
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const rssKib = () => Number(fs.readFileSync('/proc/self/statm', 'utf8').split(' ')[1]) * 4;
const log = (...a) => console.error(...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let VERSION;
let impl;
// node-datachannel drops the callbacks of objects the JS side no longer references:
// every peer and channel in use is kept here until closed.
const LIVE = new Set();

// ---------------------------------------------------------------------------
// Adapters. A peer: { onCandidate(cb), addCandidate(c), offer() -> Promise<sdp>,
// answer(sdp) -> Promise<sdp>, accept(sdp) -> Promise, createChannel(label),
// onChannel(cb), close() }. A channel: { onOpen(cb), isOpen(), send(buf|str),
// onMessage(cb(len, data)), buffered(), setLow(n), onLow(cb) }.

function wrtcAdapter() {
  const wrtc = require('@roamhq/wrtc');
  VERSION = JSON.parse(fs.readFileSync(path.join(__dirname, 'node_modules/@roamhq/wrtc/package.json'), 'utf8')).version;
  const wrapDc = (dc) => {
    dc.binaryType = 'arraybuffer';
    return {
      raw: dc,
      onOpen: (cb) => { dc.onopen = cb; },
      isOpen: () => dc.readyState === 'open',
      send: (d) => dc.send(d),
      onMessage: (cb) => { dc.onmessage = (e) => cb(typeof e.data === 'string' ? e.data.length : e.data.byteLength, e.data); },
      buffered: () => dc.bufferedAmount,
      // @roamhq/wrtc 0.10 has no bufferedAmountLowThreshold / bufferedamountlow:
      // the sender polls bufferedAmount every millisecond instead (pollLow)
      pollLow: !('bufferedAmountLowThreshold' in dc),
      setLow: (n) => { dc.bufferedAmountLowThreshold = n; },
      onLow: (cb) => { dc.onbufferedamountlow = cb; },
    };
  };
  return {
    newPeer() {
      const pc = new wrtc.RTCPeerConnection({ iceServers: [] });
      let pending = [];
      let ready = false;
      const p = {
        onCandidate(cb) {
          pc.onicecandidate = (e) => {
            if (!e.candidate) return;
            // loopback only: pass on the UDP 127.0.0.1 candidate alone (libwebrtc still
            // gathers on every interface; BENCH_WRTC_ALL=1 passes them all)
            if (!process.env.BENCH_WRTC_ALL && !/ udp \S+ 127\.0\.0\.1 /i.test(e.candidate.candidate)) return;
            cb(e.candidate.toJSON ? e.candidate.toJSON() : e.candidate);
          };
        },
        addCandidate(c) {
          if (p.closed) return;
          if (!ready) { pending.push(c); return; }
          pc.addIceCandidate(c).catch((e) => log('addIceCandidate', e.message));
        },
        flush() { ready = true; for (const c of pending) p.addCandidate(c); pending = []; },
        async offer() {
          const o = await pc.createOffer();
          await pc.setLocalDescription(o);
          return pc.localDescription.sdp;
        },
        async answer(sdp) {
          await pc.setRemoteDescription({ type: 'offer', sdp });
          p.flush();
          const a = await pc.createAnswer();
          await pc.setLocalDescription(a);
          return pc.localDescription.sdp;
        },
        async accept(sdp) {
          await pc.setRemoteDescription({ type: 'answer', sdp });
          p.flush();
        },
        createChannel: (label) => wrapDc(pc.createDataChannel(label)),
        onChannel(cb) {
          pc.ondatachannel = (e) => {
            const ch = wrapDc(e.channel);
            cb(ch, e.channel.readyState === 'open');
          };
        },
        // wrtc crashes (SIGSEGV) when a closed connection is still handed candidates:
        // stop trickling first
        close: () => { p.closed = true; pc.onicecandidate = null; pc.close(); },
      };
      return p;
    },
  };
}

function ndcAdapter() {
  const ndc = require('node-datachannel');
  VERSION = JSON.parse(fs.readFileSync(path.join(__dirname, 'node_modules/node-datachannel/package.json'), 'utf8')).version;
  let seq = 0;
  const wrapDc = (dc) => {
    let open = false;
    const openCbs = [];
    dc.onOpen(() => { open = true; for (const cb of openCbs) cb(); });
    return {
      raw: dc,
      onOpen: (cb) => { openCbs.push(cb); },
      isOpen: () => open || dc.isOpen(),
      send: (d) => (typeof d === 'string' ? dc.sendMessage(d) : dc.sendMessageBinary(d)),
      onMessage: (cb) => dc.onMessage((m) => cb(typeof m === 'string' ? m.length : m.byteLength, m)),
      buffered: () => dc.bufferedAmount(),
      setLow: (n) => dc.setBufferedAmountLowThreshold(n),
      onLow: (cb) => dc.onBufferedAmountLow(cb),
    };
  };
  return {
    newPeer() {
      const pc = new ndc.PeerConnection('p' + seq++, { iceServers: [], bindAddress: '127.0.0.1' });
      let pending = [];
      let ready = false;
      // local descriptions arrive through a callback (auto negotiation: creating the
      // first data channel makes the offer, setting a remote offer makes the answer)
      const descs = [];
      let descWaiter = null;
      pc.onLocalDescription((sdp) => {
        if (descWaiter) { const w = descWaiter; descWaiter = null; w(sdp); } else descs.push(sdp);
      });
      const nextDesc = () => (descs.length ? Promise.resolve(descs.shift()) : new Promise((r) => { descWaiter = r; }));
      let hasChannel = false;
      const p = {
        onCandidate(cb) { pc.onLocalCandidate((candidate, mid) => cb({ candidate, sdpMid: mid })); },
        addCandidate(c, tries = 0) {
          if (p.closed) return;
          if (!ready) { pending.push(c); return; }
          try {
            pc.addRemoteCandidate(c.candidate, c.sdpMid);
          } catch (e) {
            // right after setRemoteDescription, libdatachannel may not have its ICE
            // transport yet ("Got a remote candidate without ICE transport"): the
            // candidate would be lost and the pair never connect. Try again shortly.
            if (tries < 100 && /without ICE transport/.test(e.message)) setTimeout(() => p.addCandidate(c, tries + 1), 2);
            else log('addRemoteCandidate', e.message);
          }
        },
        flush() { ready = true; for (const c of pending) p.addCandidate(c); pending = []; },
        offer() {
          if (!hasChannel) pc.setLocalDescription();
          return nextDesc();
        },
        answer(sdp) {
          pc.setRemoteDescription(sdp, 'offer');
          p.flush();
          return nextDesc();
        },
        async accept(sdp) { pc.setRemoteDescription(sdp, 'answer'); p.flush(); },
        createChannel(label) { hasChannel = true; return wrapDc(pc.createDataChannel(label)); },
        onChannel(cb) { pc.onDataChannel((dc) => cb(wrapDc(dc), dc.isOpen())); },
        close: () => { p.closed = true; pc.close(); },
      };
      return p;
    },
  };
}

// ---------------------------------------------------------------------------

async function connectPair() {
  const a = impl.newPeer();
  const b = impl.newPeer();
  const pair = { a, b };
  LIVE.add(pair);
  a.onCandidate((c) => b.addCandidate(c));
  b.onCandidate((c) => a.addCandidate(c));
  let n = 0;
  let resolveOpen;
  const opened = new Promise((r) => { resolveOpen = r; });
  const one = () => { if (++n === 2) resolveOpen(); };
  b.onChannel((ch, isOpen) => {
    pair.dcb = ch;
    if (pair.onDcb) pair.onDcb(ch);
    if (isOpen) one(); else ch.onOpen(one);
  });
  pair.dca = a.createChannel('bench');
  pair.dca.onOpen(one);
  const offer = await a.offer();
  const answer = await b.answer(offer);
  await a.accept(answer);
  await opened;
  return pair;
}

function closePair(p) {
  LIVE.delete(p);
  p.a.closed = true;
  p.b.closed = true;
  try { p.a.close(); } catch (e) { /* closed */ }
  try { p.b.close(); } catch (e) { /* closed */ }
}

function result(t) {
  t.version = VERSION;
  process.stdout.write('RESULT ' + JSON.stringify(t) + '\n', () => process.exit(0));
}

async function setupPairs(n, parallel, capS, onPair) {
  const pairs = [];
  let started = 0;
  const t0 = nowMs();
  let timedOut = false;
  const worker = async () => {
    while (started < n && !timedOut) {
      started++;
      const p = await connectPair();
      if (onPair) onPair(p);
      pairs.push(p);
    }
  };
  const work = Promise.all(Array.from({ length: Math.min(parallel, n) }, worker));
  const cap = new Promise((r) => setTimeout(() => { timedOut = true; r('cap'); }, capS * 1000));
  const r = await Promise.race([work.then(() => 'ok'), cap]);
  return { pairs, ok: r === 'ok', ms: nowMs() - t0 };
}

function pumpSender(dc, total, msgSize, hwm, st) {
  const msg = Buffer.alloc(msgSize, 0x5a);
  const low = Math.floor(hwm / 4);
  let polling = false;
  const pump = () => {
    while (st.sent < total && dc.buffered() < hwm) {
      dc.send(msg);
      st.sent += msgSize;
    }
    if (dc.pollLow && st.sent < total && !polling) {
      polling = true;
      const poll = () => {
        if (dc.buffered() <= low) { polling = false; pump(); } else setTimeout(poll, 1);
      };
      setTimeout(poll, 1);
    }
  };
  dc.setLow(low);
  dc.onLow(pump);
  return pump;
}

function jsonLines(stream, handle, onEnd) {
  const rl = readline.createInterface({ input: stream });
  rl.on('line', (l) => { if (l.trim()) handle(JSON.parse(l)); });
  if (onEnd) rl.on('close', onEnd);
}

const modes = {
  async B1() {
    const n = envn('BENCH_N', 50);
    closePair(await connectPair()); // warm-up, not counted
    const samples = [];
    const c0 = cpuMs();
    for (let i = 0; i < n; i++) {
      const t0 = nowMs();
      const p = await connectPair();
      samples.push(nowMs() - t0);
      closePair(p);
    }
    result({ samples_ms: samples, cpu_ms_per_conn: (cpuMs() - c0) / n });
  },

  async B2a() {
    const total = envn('BENCH_BYTES', 256 * 1024 * 1024);
    const msgSize = envn('BENCH_MSG', 65536);
    const hwm = envn('BENCH_HWM', 4 * 1024 * 1024);
    const capS = envn('BENCH_CAP_S', 120);
    const p = await connectPair();
    const st = { sent: 0, recv: 0 };
    let t0, c0;
    const report = (capped) => {
      const dt = (nowMs() - t0) / 1000;
      const r = { mbps: st.recv / dt / 1e6, bytes: st.recv, seconds: dt,
                  cpu_ms_per_mb: (cpuMs() - c0) / Math.max(st.recv / 1e6, 1e-9) };
      if (capped) r.capped = true;
      result(r);
    };
    p.dcb.onMessage((len) => { st.recv += len; if (st.recv >= total) report(false); });
    const pump = pumpSender(p.dca, total, msgSize, hwm, st);
    setTimeout(() => report(true), capS * 1000);
    t0 = nowMs(); c0 = cpuMs();
    pump();
  },

  async 'B2b-answer'() {
    const total = envn('BENCH_BYTES', 256 * 1024 * 1024);
    const send = (t) => process.stdout.write(JSON.stringify(t) + '\n');
    const pc = impl.newPeer();
    pc.onCandidate((c) => send({ type: 'candidate', candidate: c }));
    let recv = 0;
    LIVE.add(pc);
    pc.onChannel((ch) => {
      LIVE.add(ch);
      ch.onMessage((len) => { recv += len; if (recv >= total) send({ type: 'done', bytes: recv }); });
    });
    jsonLines(process.stdin, async (m) => {
      if (m.type === 'offer') send({ type: 'answer', sdp: await pc.answer(m.sdp) });
      else if (m.type === 'candidate') pc.addCandidate(m.candidate);
      else if (m.type === 'count') send({ type: 'done', bytes: recv });
      else if (m.type === 'quit') process.exit(0);
    }, () => process.exit(0)); // the parent is gone
  },

  async B2b() {
    const total = envn('BENCH_BYTES', 256 * 1024 * 1024);
    const msgSize = envn('BENCH_MSG', 65536);
    const hwm = envn('BENCH_HWM', 4 * 1024 * 1024);
    const capS = envn('BENCH_CAP_S', 120);
    const child = spawn(process.execPath, [__filename, IMPL, 'B2b-answer'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const send = (t) => child.stdin.write(JSON.stringify(t) + '\n');
    const pc = impl.newPeer();
    pc.onCandidate((c) => send({ type: 'candidate', candidate: c }));
    const dc = pc.createChannel('bench');
    LIVE.add(pc); LIVE.add(dc);
    const st = { sent: 0 };
    let t0;
    let capped = false;
    jsonLines(child.stdout, async (m) => {
      if (m.type === 'answer') await pc.accept(m.sdp);
      else if (m.type === 'candidate') pc.addCandidate(m.candidate);
      else if (m.type === 'done') {
        const dt = (nowMs() - t0) / 1000;
        send({ type: 'quit' });
        const r = { mbps: m.bytes / dt / 1e6, bytes: m.bytes, seconds: dt };
        if (capped) r.capped = true;
        result(r);
      }
    });
    dc.onOpen(() => {
      const pump = pumpSender(dc, total, msgSize, hwm, st);
      setTimeout(() => { capped = true; send({ type: 'count' }); }, capS * 1000);
      t0 = nowMs();
      pump();
    });
    send({ type: 'offer', sdp: await pc.offer() });
  },

  async B3() {
    const n = envn('BENCH_N', 100);
    closePair(await connectPair());
    await sleep(200);
    if (global.gc) global.gc();
    const rss0 = rssKib();
    const { pairs, ok, ms } = await setupPairs(n, envn('BENCH_PARALLEL', 20), envn('BENCH_CAP_S', 120));
    if (global.gc) global.gc();
    const rss1 = rssKib();
    const c = pairs.length;
    result({ ok, pairs: c, setup_ms: ms, rss_before_kib: rss0, rss_after_kib: rss1,
      kib_per_pc: c ? (rss1 - rss0) / (2 * c) : null });
  },

  async B4() {
    const n = envn('BENCH_N', 100);
    const capS = envn('BENCH_CAP_S', 60);
    const steadyS = envn('BENCH_STEADY_S', 5);
    const rss0 = rssKib();
    const onPair = (p) => {
      p.pongs = 0;
      p.dcb.onMessage((len, data) => p.dcb.send(data));
      p.dca.onMessage(() => { p.pongs++; });
    };
    const { pairs, ok, ms } = await setupPairs(n, envn('BENCH_PARALLEL', 20), capS, onPair);
    if (!ok) {
      result({ ok: false, pairs: pairs.length, setup_ms: ms, rss_kib: rssKib(), reason: `setup not done within ${capS} s` });
      return;
    }
    const slices = 20;
    let k = 0;
    const start = nowMs();
    let stop = false;
    const tick = () => {
      if (stop) return;
      for (let i = k % slices; i < pairs.length; i += slices) {
        if (pairs[i].dca.isOpen()) pairs[i].dca.send('ping');
      }
      k++;
      setTimeout(tick, Math.max(0, start + (k * 1000) / slices - nowMs()));
    };
    tick();
    const pongs = () => pairs.reduce((s, p) => s + p.pongs, 0);
    await sleep(2000);
    const c0 = cpuMs(); const t0 = nowMs(); const p0 = pongs();
    await sleep(steadyS * 1000);
    const c1 = cpuMs(); const t1 = nowMs(); const p1 = pongs();
    stop = true;
    const secs = (t1 - t0) / 1000;
    result({ ok: true, pairs: pairs.length, setup_ms: ms, rss_kib: rssKib(), rss_delta_kib: rssKib() - rss0,
      cpu_pct: ((c1 - c0) / (t1 - t0)) * 100, delivered: (p1 - p0) / (n * secs) });
  },
};

impl = IMPL === 'libwebrtc' ? wrtcAdapter() : IMPL === 'libdatachannel' ? ndcAdapter() : null;
if (!impl || !modes[MODE]) {
  log('usage: node bench/node_bench.js libwebrtc|libdatachannel B1|B2a|B2b|B3|B4');
  process.exit(2);
}
modes[MODE]().catch((e) => { log(e && e.stack ? e.stack : e); process.exit(2); });
