// Headless Firefox (Debian firefox-esr) as an interop peer, without WebDriver:
// playwright-core drives only its own patched Firefox build, so the driver serves
// a hub page over HTTP on 127.0.0.1 (in the test namespace), Firefox loads it,
// and the page long-polls for work. Each peer is a same-origin iframe of the hub
// running page_peer.js, the script the Chromium peers run: the same commands, the
// same events. Commands go down in one long poll (/poll), events come up as POSTs
// (/ev), one at a time so that their order holds.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { HERE, LOGDIR, Peer, sleep } from './lib.mjs';

// Nothing may leave the machine (the namespace has no way out anyway): every
// service Firefox calls on its own at start or later is off or has no URL.
const QUIET = {
  'browser.shell.checkDefaultBrowser': false,
  'browser.startup.page': 0,
  'browser.startup.homepage': 'about:blank',
  'browser.startup.homepage_override.mstone': 'ignore',
  'browser.startup.firstrunSkipsHomepage': true,
  'browser.aboutwelcome.enabled': false,
  'browser.newtabpage.enabled': false,
  'browser.newtabpage.activity-stream.feeds.system.topstories': false,
  'browser.newtabpage.activity-stream.feeds.section.topstories': false,
  'browser.newtabpage.activity-stream.feeds.snippets': false,
  'browser.newtabpage.activity-stream.feeds.telemetry': false,
  'browser.newtabpage.activity-stream.telemetry': false,
  'browser.newtabpage.activity-stream.default.sites': '',
  'browser.topsites.contile.enabled': false,
  'browser.ping-centre.telemetry': false,
  'browser.sessionstore.resume_from_crash': false,
  'browser.tabs.warnOnClose': false,
  'browser.uitour.enabled': false,
  'browser.discovery.enabled': false,
  'browser.region.network.url': '',
  'browser.region.update.enabled': false,
  'browser.search.geoip.url': '',
  'browser.search.update': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'browser.safebrowsing.downloads.enabled': false,
  'browser.safebrowsing.downloads.remote.enabled': false,
  'browser.safebrowsing.blockedURIs.enabled': false,
  'browser.safebrowsing.provider.google4.updateURL': '',
  'browser.safebrowsing.provider.google4.gethashURL': '',
  'browser.safebrowsing.provider.google4.dataSharingURL': '',
  'browser.safebrowsing.provider.google5.updateURL': '',
  'browser.safebrowsing.provider.google5.gethashURL': '',
  'browser.safebrowsing.provider.google.updateURL': '',
  'browser.safebrowsing.provider.google.gethashURL': '',
  'browser.safebrowsing.provider.mozilla.updateURL': '',
  'browser.safebrowsing.provider.mozilla.gethashURL': '',
  'browser.contentblocking.features.strict': '',
  'privacy.trackingprotection.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'datareporting.healthreport.uploadEnabled': false,
  'datareporting.usage.uploadEnabled': false,
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.unified': false,
  'toolkit.telemetry.archive.enabled': false,
  'toolkit.telemetry.server': '',
  'toolkit.telemetry.shutdownPingSender.enabled': false,
  'toolkit.telemetry.firstShutdownPing.enabled': false,
  'toolkit.coverage.endpoint.base': '',
  'toolkit.startup.max_resumed_crashes': -1,
  'app.update.enabled': false,
  'app.update.auto': false,
  'app.normandy.enabled': false,
  'app.normandy.api_url': '',
  'app.shield.optoutstudies.enabled': false,
  'messaging-system.rsexperimentloader.enabled': false,
  'network.captive-portal-service.enabled': false,
  'captivedetect.canonicalURL': '',
  'network.connectivity-service.enabled': false,
  'network.trr.mode': 5,
  'network.dns.disablePrefetch': true,
  'network.prefetch-next': false,
  'network.http.speculative-parallel-limit': 0,
  'network.predictor.enabled': false,
  'network.proxy.type': 0,
  'security.OCSP.enabled': 0,
  'security.remote_settings.crlite_filters.enabled': false,
  'security.remote_settings.intermediates.enabled': false,
  'services.settings.server': 'http://127.0.0.1:9/',
  'services.sync.enabled': false,
  'identity.fxaccounts.enabled': false,
  'dom.push.enabled': false,
  'dom.push.connection.enabled': false,
  'dom.push.serverURL': '',
  'extensions.update.enabled': false,
  'extensions.getAddons.cache.enabled': false,
  'extensions.blocklist.enabled': false,
  'extensions.systemAddon.update.enabled': false,
  'extensions.systemAddon.update.url': '',
  'extensions.autoDisableScopes': 15,
  'geo.provider.network.url': '',
  'geo.enabled': false,
  'media.gmp-manager.url': '',
  // seen: about 30 s after start, a lookup of update.googleapis.com (Widevine, by
  // media.gmp-manager.chromium-update-url) without these
  'media.gmp-manager.updateEnabled': false,
  'media.gmp-manager.chromium-update-url': '',
  'media.gmp-widevinecdm.enabled': false,
  'media.gmp-widevinecdm.visible': false,
  'media.gmp-widevinecdm.autoupdate': false,
  'media.eme.enabled': false,
  'media.gmp-provider.enabled': false,
  'media.gmp-gmpopenh264.autoupdate': false,
  'browser.translations.enable': false,
  'browser.ml.enable': false,
  'signon.rememberSignons': false,
  // the harness: fake camera and microphone, no prompt, media plays without a gesture
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
  // the hub's long poll and POSTs, several peers at once
  'network.http.max-persistent-connections-per-server': 32,
  'dom.min_background_timeout_value': 4,
  // no STUN server of Mozilla's own when a page gives none (it gives none)
  'media.peerconnection.default_iceservers': '[]',
};

function userJs(prefs) {
  return Object.entries(prefs).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`).join('\n') + '\n';
}

const HUB = `<!doctype html><meta charset=utf-8><title>luartc interop hub</title><body><script>
const out = []; let posting = false;
function post() {
  if (posting || !out.length) return;
  posting = true;
  const batch = out.splice(0, out.length);
  fetch('/ev', { method: 'POST', body: JSON.stringify(batch) })
    .catch(() => {}).finally(() => { posting = false; post(); });
}
window.__hubEmit = (id, batch) => { out.push({ id, batch }); post(); };
const frames = new Map();
function handle(m) {
  if (m.op === 'open') {
    const f = document.createElement('iframe');
    f.src = '/peer?id=' + m.id;
    f.allow = 'camera; microphone; autoplay';
    frames.set(m.id, f);
    document.body.appendChild(f);
  } else if (m.op === 'close') {
    const f = frames.get(m.id);
    frames.delete(m.id);
    if (f) f.remove();
    __hubEmit(m.id, JSON.stringify([{ ev: 'gone' }]));
  } else if (m.op === 'cmd') {
    const f = frames.get(m.id);
    if (f && f.contentWindow && f.contentWindow.__peerCmd) f.contentWindow.__peerCmd(m.cmd);
    else __hubEmit(m.id, JSON.stringify([{ ev: 'error', op: m.cmd.op, message: 'no such peer page' }]));
  }
}
(async () => {
  for (;;) {
    try {
      const r = await fetch('/poll', { method: 'POST', cache: 'no-store' });
      for (const m of await r.json()) handle(m);
    } catch (e) { await new Promise((r) => setTimeout(r, 200)); }
  }
})();
</script>`;

const PEER_PAGE = (id) => `<!doctype html><meta charset=utf-8><title>peer ${id}</title><body><script>
window.__peerEmit = (batch) => parent.__hubEmit(${id}, batch);
window.addEventListener('error', (e) => parent.__hubEmit(${id}, JSON.stringify([{ ev: 'error', op: 'page', message: String(e.message) }])));
window.addEventListener('unhandledrejection', (e) => parent.__hubEmit(${id}, JSON.stringify([{ ev: 'error', op: 'page', message: 'unhandled: ' + String(e.reason) }])));
</script><script src="/page_peer.js"></script><script>
parent.__hubEmit(${id}, JSON.stringify([{ ev: 'pageready', agent: navigator.userAgent }]));
</script>`;

export class FirefoxBrowser {
  // prefs: more user.js prefs (e.g. the ICE ones of a run)
  static async launch({ prefs = {}, executable = process.env.FIREFOX || '/usr/bin/firefox-esr', tag = 'firefox' } = {}) {
    const b = new FirefoxBrowser();
    await b._start(prefs, executable, tag);
    return b;
  }
  async _start(prefs, executable, tag) {
    this.peers = new Map();
    this.files = new Map(); // path -> {type, body}: serve()
    this.pending = [];
    this.pollers = [];
    this.nextId = 1;
    this.server = http.createServer((req, res) => this._serve(req, res));
    await new Promise((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = this.server.address().port;
    this.profile = fs.mkdtempSync(path.join(os.tmpdir(), 'interop-firefox-'));
    fs.writeFileSync(path.join(this.profile, 'user.js'), userJs(Object.assign({}, QUIET, prefs)));
    this.errPath = path.join(LOGDIR, `${tag}.stderr`);
    const errFd = fs.openSync(this.errPath, 'w');
    this.proc = spawn(executable, ['--headless', '--no-remote', '--new-instance', '--profile', this.profile,
      `http://127.0.0.1:${this.port}/`], {
      stdio: ['ignore', errFd, errFd],
      // MOZ_REMOTE_SETTINGS_DEVTOOLS: a release build takes services.settings.server
      // from the prefs only with it (without: a lookup of Mozilla's settings host at start)
      env: Object.assign({}, process.env, { MOZ_CRASHREPORTER_DISABLE: '1', MOZ_DISABLE_AUTO_SAFE_MODE: '1', MOZ_REMOTE_SETTINGS_DEVTOOLS: '1' }),
    });
    fs.closeSync(errFd);
    this.dead = null;
    this.proc.on('exit', (code, sig) => {
      this.dead = `firefox exit ${code} ${sig || ''}`.trim();
      for (const p of this.peers.values()) { p.dead = this.dead; for (const w of [...p.waiters]) w(); }
    });
    const t0 = Date.now();
    while (!this.hubSeen) {
      if (this.dead) throw new Error(`${this.dead} before loading the hub: ${this.stderrTail()}`);
      if (Date.now() - t0 > 60000) throw new Error('firefox did not load the hub page in 60 s');
      await sleep(50);
    }
  }
  stderrTail(n = 1000) {
    try { return fs.readFileSync(this.errPath, 'utf8').slice(-n); } catch { return ''; }
  }
  _serve(req, res) {
    const url = new URL(req.url, 'http://x');
    const send = (type, body) => { res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }); res.end(body); };
    if (url.pathname === '/') return send('text/html', HUB);
    if (url.pathname === '/peer') return send('text/html', PEER_PAGE(Number(url.searchParams.get('id'))));
    if (url.pathname === '/page_peer.js') return send('text/javascript', fs.readFileSync(path.join(HERE, 'page_peer.js')));
    const file = this.files.get(url.pathname);
    if (file) return send(file.type, file.body);
    if (url.pathname === '/poll') {
      this.hubSeen = true;
      req.resume();
      if (this.pending.length) return this._flush(res);
      const timer = setTimeout(() => { this.pollers = this.pollers.filter((x) => x.res !== res); send('application/json', '[]'); }, 20000);
      this.pollers.push({ res, timer });
      res.on('close', () => { clearTimeout(timer); this.pollers = this.pollers.filter((x) => x.res !== res); });
      return;
    }
    if (url.pathname === '/ev') {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        send('text/plain', 'ok');
        let items;
        try { items = JSON.parse(body); } catch { return; }
        for (const { id, batch } of items) {
          const p = this.peers.get(id);
          if (!p) continue;
          for (const ev of JSON.parse(batch)) p._fromPage(ev);
        }
      });
      return;
    }
    res.writeHead(404); res.end();
  }
  _flush(res) {
    const msgs = this.pending;
    this.pending = [];
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(msgs));
  }
  _post(m) {
    this.pending.push(m);
    const w = this.pollers.shift();
    if (w) { clearTimeout(w.timer); this._flush(w.res); }
  }
  // a file the pages may fetch (same origin as theirs)
  serve(urlPath, type, body) { this.files.set(urlPath, { type, body }); }
  async newPeer(name, log) {
    if (this.dead) throw new Error(this.dead);
    const id = this.nextId++;
    const p = new FirefoxPeer(name, this, id, log);
    this.peers.set(id, p);
    this._post({ op: 'open', id });
    await p.pageReady;
    return p;
  }
  async close() {
    try { this.proc.kill('SIGTERM'); } catch {}
    const t0 = Date.now();
    while (!this.dead && Date.now() - t0 < 3000) await sleep(50);
    if (!this.dead) { try { this.proc.kill('SIGKILL'); } catch {} await sleep(100); }
    for (const w of this.pollers) { clearTimeout(w.timer); w.res.destroy(); }
    this.server.close();
    fs.rmSync(this.profile, { recursive: true, force: true });
  }
}

export class FirefoxPeer extends Peer {
  constructor(name, browser, id, log) {
    super(name, log);
    this.browser = browser;
    this.id = id;
    this.pageReady = new Promise((resolve, reject) => {
      this._ready = resolve;
      setTimeout(() => reject(new Error('firefox peer page did not load in 15 s')), 15000);
    });
  }
  _fromPage(ev) {
    if (ev.ev === 'pageready') { this.agent = ev.agent; this._ready(); return; }
    if (ev.ev === 'gone') { this.dead = 'stopped'; for (const w of [...this.waiters]) w(); return; }
    this._event(ev);
  }
  cmd(c) {
    if (this.log) this.log(`${this.name} -> ${JSON.stringify(c).slice(0, 300)}`);
    if (!this.dead) this.browser._post({ op: 'cmd', id: this.id, cmd: c });
  }
  async stop() {
    if (this.dead) return;
    this.closing = true;
    this.browser._post({ op: 'close', id: this.id });
    const t0 = Date.now();
    while (!this.dead && Date.now() - t0 < 2000) await sleep(20);
    this.dead = this.dead || 'stopped';
    this.browser.peers.delete(this.id);
  }
}
