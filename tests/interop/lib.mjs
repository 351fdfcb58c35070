// Shared plumbing for the interop drivers: peers speaking the JSON-lines
// protocol (README.md), signaling glue between two of them, waiting helpers.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

export const HERE = path.dirname(new URL(import.meta.url).pathname);
export const LOGDIR = process.env.INTEROP_LOGDIR || '/tmp/interop/logs';
fs.mkdirSync(LOGDIR, { recursive: true });

export function adler32(buf) {
  let a = 1, b = 0;
  for (let i = 0; i < buf.length; i++) { a = (a + buf[i]) % 65521; b = (b + a) % 65521; }
  return b * 65536 + a;
}
export function gen(size, seed, binary) {
  const u = Buffer.alloc(size);
  for (let k = 0; k < size; k++) u[k] = binary ? (seed * 7 + k * 13 + (k >> 8)) & 255 : 97 + ((seed + k) % 26);
  return u;
}
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class TestError extends Error {}

// A peer: cmd() sends a command, events accumulate in this.events.
export class Peer {
  constructor(name, log) {
    this.name = name;
    this.events = [];
    this.waiters = new Set();
    this.listeners = [];
    this.log = log;
    this.dead = null;
  }
  _event(ev) {
    ev.t = Date.now();
    this.events.push(ev);
    if (this.log && ev.ev !== 'msg') this.log(`${this.name} <- ${JSON.stringify(ev).slice(0, ev.ev === 'sdp' ? 10000 : 600)}`);
    for (const l of this.listeners) l(ev);
    for (const w of [...this.waiters]) w();
  }
  on(fn) { this.listeners.push(fn); }
  mark() { return this.events.length; }
  find(pred, since = 0) {
    for (let i = since; i < this.events.length; i++) if (pred(this.events[i])) return this.events[i];
    return null;
  }
  filter(pred, since = 0) { return this.events.slice(since).filter(pred); }
  // Resolves with the first event (from index `since`) matching pred.
  // Each event is looked at once (10,000-message tests stay linear).
  wait(pred, { since = 0, timeout = 10000, what = 'event' } = {}) {
    return new Promise((resolve, reject) => {
      let timer = null;
      let scanned = since;
      const check = () => {
        for (; scanned < this.events.length; scanned++) {
          const e = this.events[scanned];
          if (pred(e)) { scanned++; done(); resolve(e); return true; }
          if (e.ev === 'error' && !e.seen && !this.expectErrors) {
            e.seen = true; done();
            reject(new TestError(`${this.name}: ${e.op}: ${e.message} (waiting for ${what})`));
            return true;
          }
        }
        if (this.dead) { done(); reject(new TestError(`${this.name} died (${this.dead}) waiting for ${what}`)); return true; }
        return false;
      };
      const done = () => { this.waiters.delete(check); clearTimeout(timer); };
      if (check()) return;
      this.waiters.add(check);
      timer = setTimeout(() => { done(); reject(new TestError(`${this.name}: timeout (${timeout} ms) waiting for ${what}`)); }, timeout);
    });
  }
  waitCount(pred, n, opts = {}) {
    let count = 0;
    return this.wait((e) => pred(e) && ++count >= n, opts)
      .catch((e) => { throw new TestError(`${e.message}; got ${count}/${n}`); });
  }
  waitState(name, value, opts = {}) {
    const vals = Array.isArray(value) ? value : [value];
    return this.wait((e) => e.ev === 'state' && e.name === name && vals.includes(e.value),
      Object.assign({ what: `${name} ${vals.join('|')}` }, opts));
  }
  lastState(name) {
    let v = null;
    for (const e of this.events) if (e.ev === 'state' && e.name === name) v = e.value;
    return v;
  }
  async request(c, pred, opts = {}) {
    const m = this.mark();
    this.cmd(c);
    return this.wait(pred, Object.assign({ since: m, what: `reply to ${c.op}` }, opts));
  }
  async info() { return this.request({ op: 'info' }, (e) => e.ev === 'info'); }
}

// A peer in a child process, JSON lines over stdio.
export class ProcPeer extends Peer {
  constructor(name, argv, { env = {}, log, cwd, errName } = {}) {
    super(name, log);
    const errPath = path.join(LOGDIR, `${errName || name}.stderr`);
    fs.writeFileSync(errPath, '');
    this.errPath = errPath;
    const errFd = fs.openSync(errPath, 'a');
    this.proc = spawn(argv[0], argv.slice(1), {
      stdio: ['pipe', 'pipe', errFd], env: Object.assign({}, process.env, env), cwd,
    });
    fs.closeSync(errFd);
    this.proc.stdin.on('error', () => {});
    const rl = readline.createInterface({ input: this.proc.stdout, crlfDelay: Infinity });
    rl.on('line', (line) => {
      if (!line.trim()) return;
      let ev;
      try { ev = JSON.parse(line); } catch { ev = { ev: 'garbage', line }; }
      this._event(ev);
    });
    this.proc.on('exit', (code, sig) => {
      this.dead = `exit ${code} ${sig || ''}`.trim();
      for (const w of [...this.waiters]) w();
    });
  }
  cmd(c) {
    if (this.log) this.log(`${this.name} -> ${JSON.stringify(c).slice(0, 300)}`);
    if (!this.dead) this.proc.stdin.write(JSON.stringify(c) + '\n');
  }
  async stop() {
    if (this.dead) return;
    try { this.cmd({ op: 'exit' }); this.proc.stdin.end(); } catch {}
    const t0 = Date.now();
    while (!this.dead && Date.now() - t0 < 1500) await sleep(20);
    if (!this.dead) { this.proc.kill('SIGKILL'); await sleep(50); }
  }
  stderrTail(n = 2000) {
    try { const s = fs.readFileSync(this.errPath, 'utf8'); return s.slice(-n); } catch { return ''; }
  }
}

// A peer in a Chromium page (page_peer.js).
export class PagePeer extends Peer {
  constructor(name, page, log) {
    super(name, log);
    this.page = page;
  }
  // secure: the page is http://localhost/ (served by the driver itself, no socket), a
  // secure context, as getUserMedia needs; otherwise about:blank.
  static async create(name, context, log, { secure = false } = {}) {
    const page = await context.newPage();
    if (secure) {
      await page.route('http://localhost/peer', (r) => r.fulfill({ contentType: 'text/html', body: '<!doctype html><title>peer</title>' }));
      await page.goto('http://localhost/peer');
    }
    const p = new PagePeer(name, page, log);
    await page.exposeFunction('__peerEmit', (batch) => { for (const ev of JSON.parse(batch)) p._event(ev); });
    page.on('pageerror', (e) => p._event({ ev: 'error', op: 'page', message: String(e) }));
    page.on('crash', () => { p.dead = 'page crashed'; });
    await page.evaluate(fs.readFileSync(path.join(HERE, 'page_peer.js'), 'utf8'));
    return p;
  }
  cmd(c) {
    if (this.log) this.log(`${this.name} -> ${JSON.stringify(c).slice(0, 300)}`);
    this.page.evaluate((x) => window.__peerCmd(x), c).catch((e) => {
      if (!this.closing) this._event({ ev: 'error', op: c.op, message: 'evaluate: ' + e.message });
    });
  }
  async stop() {
    this.closing = true;
    try { await this.page.close(); } catch {}
    this.dead = 'stopped';
  }
}

// Signaling between two peers: candidates are forwarded (trickle) once the
// receiver has a remote description, queued before that.
export class Link {
  constructor(a, b, { trickle = true } = {}) {
    this.trickle = trickle;
    this.peers = [a, b];
    this.hasRemote = new Map([[a, false], [b, false]]);
    this.queued = new Map([[a, []], [b, []]]);
    for (const [src, dst] of [[a, b], [b, a]]) {
      src.on((ev) => {
        if (ev.ev !== 'cand' || !this.trickle) return;
        if (this.hasRemote.get(dst)) dst.cmd({ op: 'cand', candidate: ev.candidate });
        else this.queued.get(dst).push(ev.candidate);
      });
    }
  }
  setRemote(dst, desc) {
    dst.cmd({ op: 'remote', type: desc.type, sdp: desc.sdp });
    if (!this.hasRemote.get(dst)) {
      this.hasRemote.set(dst, true);
      for (const c of this.queued.get(dst)) dst.cmd({ op: 'cand', candidate: c });
      this.queued.set(dst, []);
    }
  }
  // One offer/answer exchange; returns {offer, answer}.
  async negotiate(offerer, answerer, { iceRestart = false, timeout = 15000 } = {}) {
    // candidates of the new offer/answer wait until it has been applied
    this.hasRemote.set(offerer, false);
    this.hasRemote.set(answerer, false);
    const mo = offerer.mark();
    offerer.cmd({ op: 'offer', iceRestart });
    const offer = await offerer.wait((e) => e.ev === 'sdp' && e.type === 'offer', { since: mo, timeout, what: 'offer' });
    const ma = answerer.mark();
    this.setRemote(answerer, offer);
    const answer = await answerer.wait((e) => e.ev === 'sdp' && e.type === 'answer', { since: ma, timeout, what: 'answer' });
    this.setRemote(offerer, answer);
    return { offer, answer };
  }
}

export function candidatesIn(sdp) {
  return sdp.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
}
