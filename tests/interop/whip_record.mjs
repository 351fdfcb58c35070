#!/usr/bin/env node
// Issue 9: headless Chromium (fake camera + microphone), aiortc and GStreamer webrtcbin
// publish VP8 + Opus at the same time to examples/whip-recorder.lua (one luartc
// process) for WHIP_RECORD_SECONDS (default 20) each; then Chromium publishes H.264 + Opus
// (recorded into Matroska) and VP9 + Opus (WebM) at once, its video codec chosen with
// setCodecPreferences. Every file must pass ffprobe with its codecs, last the publisher's
// connected-to-DELETE time within 5 %, decode with `ffmpeg -v error` silent, and start
// audio and video within 100 ms (stream start_time). Last, Chromium publishes its camera
// in three simulcast layers: the recording must be the largest layer that started.
// Prints "ok/FAIL/skip whip-record/PEER" lines and "RESULT passed=N failed=M skipped=K".
//
//   node whip_record.mjs --build build [--only REGEX]      (run.sh runs it in its netns)
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HERE, LOGDIR } from './lib.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : true]);
  return acc;
}, []));
const BUILD = path.resolve(args.build || 'build');
const ONLY = args.only ? new RegExp(args.only) : null;
const ROOT = path.resolve(HERE, '..', '..');
const GATHER = process.env.INTEROP_ADDRESSES || '127.0.0.1';
// The A/V start check's bound (tests/interop/asan.sh widens it: see there).
const AV_MAX_MS = Number(process.env.WHIP_AV_MAX_MS || 100);
const SECONDS = Number(process.env.WHIP_RECORD_SECONDS || 20);
const PY = '/usr/bin/python3';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whip-record-'));
let passed = 0, failed = 0, skipped = 0;

function hasPy(mod) { return spawnSync(PY, ['-c', `import ${mod}`]).status === 0; }
function jsonLines(text) {
  return text.split('\n').filter((l) => l.startsWith('{')).map((l) => { try { return JSON.parse(l); } catch { return {}; } });
}
function run(cmd, argv, env) { // -> promise of {code, out, err}
  return new Promise((resolve) => {
    const p = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

// Chromium: the page (served by playwright on the recorder's origin: 127.0.0.1 is a
// secure context, and the POST needs no CORS preflight) POSTs its offer to the recorder.
// simulcast: the camera at 960x540 in three layers q, h, f (sendEncodings), as a browser
// publishes to an SFU; the recorder must record the largest layer.
async function chromiumPublish(url, codec = 'VP8', simulcast = false, seconds = SECONDS) {
  const { chromium } = await import('playwright-core');
  const ctx = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), 'whip-chromium-')), {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, timeout: 60000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream', '--disable-features=WebRtcHideLocalIpsWithMdns'],
  });
  try {
    const page = await ctx.newPage();
    const pageUrl = new URL('/pub', url).href;
    await page.route(pageUrl, (r) => r.fulfill({ contentType: 'text/html', body: '<!doctype html><title>pub</title>' }));
    await page.goto(pageUrl);
    const r = await page.evaluate(async ({ url, seconds, codec, simulcast }) => {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: simulcast ? { width: 960, height: 540 } : true, audio: true });
      const pc = new RTCPeerConnection();
      for (const t of stream.getTracks()) {
        const sendEncodings = simulcast && t.kind === 'video'
          ? [{ rid: 'q', scaleResolutionDownBy: 4 }, { rid: 'h', scaleResolutionDownBy: 2 }, { rid: 'f' }] : undefined;
        const tr = pc.addTransceiver(t, { direction: 'sendonly', streams: [stream], sendEncodings });
        if (t.kind !== 'video') continue;
        const want = RTCRtpSender.getCapabilities('video').codecs.filter((c) => c.mimeType.toLowerCase() === `video/${codec.toLowerCase()}` &&
          (codec !== 'H264' || /packetization-mode=1/.test(c.sdpFmtpLine || '')));
        if (!want.length) return { skip: `Chromium offers no ${codec}` };
        tr.setCodecPreferences(want);
      }
      await pc.setLocalDescription();
      await new Promise((ok) => {
        if (pc.iceGatheringState === 'complete') ok();
        pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && ok();
      });
      const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription.sdp });
      const location = res.headers.get('Location');
      const answer = await res.text();
      if (res.status !== 201) return { error: `POST answered ${res.status}: ${answer.slice(0, 200)}` };
      await pc.setRemoteDescription({ type: 'answer', sdp: answer });
      await new Promise((ok, no) => {
        pc.onconnectionstatechange = () => {
          if (pc.connectionState === 'connected') ok();
          if (pc.connectionState === 'failed') no(new Error('connection failed'));
        };
      });
      const t0 = performance.now();
      await new Promise((ok) => setTimeout(ok, seconds * 1000));
      const took = (performance.now() - t0) / 1000;
      const layers = []; // what each simulcast layer encoded
      for (const s of (await pc.getStats()).values()) {
        if (s.type === 'outbound-rtp' && s.rid) layers.push({ rid: s.rid, frames: s.framesEncoded, width: s.frameWidth, height: s.frameHeight });
      }
      const del = await fetch(new URL(location, url), { method: 'DELETE' });
      pc.close();
      return { location, seconds: took, deleteStatus: del.status, layers };
    }, { url, seconds, codec, simulcast });
    return r;
  } finally {
    await ctx.close().catch(() => {});
  }
}

async function pyPublish(script, url) {
  const r = await run(PY, [path.join(HERE, script), url, String(SECONDS)], { INTEROP_ADDRESSES: GATHER });
  fs.writeFileSync(path.join(LOGDIR, `whip-record-${script}.stderr`), r.err);
  const ev = Object.fromEntries(jsonLines(r.out).map((e) => [e.step, e]));
  if (ev.error || !ev.post || !ev.delete) return { error: (ev.error && ev.error.error) || `${script} exited ${r.code}: ${r.err.slice(-300)}` };
  return { location: ev.post.location, seconds: ev.delete.seconds, deleteStatus: ev.delete.status };
}

function probe(file, argv) {
  return spawnSync('ffprobe', ['-v', 'error', ...argv, '-of', 'csv=p=0', file], { encoding: 'utf8' }).stdout.trim();
}

function check(name, pub, recLog, want = 'opus,vp8') {
  if (pub.error) throw new Error(pub.error);
  if (pub.deleteStatus !== 200) throw new Error(`DELETE answered ${pub.deleteStatus}`);
  const id = String(pub.location).split('/').pop();
  const m = new RegExp(`recording end\\s+${id} (\\S+): (\\d+) bytes, ([\\d.]+) s`).exec(recLog);
  if (!m) throw new Error(`the recorder printed no end for session ${id}: ${recLog.slice(-500)}`);
  const file = m[1];
  const ff = (extra) => (spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-i', file, ...extra, '-f', 'null', '-'],
    { encoding: 'utf8' }).stderr || '').trim();
  let errs = ff([]), note = '';
  // A camera's frames 15 ms apart fall into one tick of the frame rate ffmpeg guesses
  // (20/1 for Chromium's fake camera under load) and the null muxer's passthrough says
  // "non monotonically increasing dts": the file is fine if it decodes silently as VFR.
  if (errs && errs.split('\n').every((l) => /non monotonically increasing dts to muxer/.test(l))) {
    note = ' (ffmpeg -f null: frames closer than its guessed frame rate; silent with -fps_mode vfr)';
    errs = ff(['-fps_mode', 'vfr']);
  }
  if (errs) throw new Error(`ffmpeg decoding ${file} says: ${errs.slice(0, 300)}`);
  const codecs = probe(file, ['-show_entries', 'stream=codec_name']).split(/[\s,]+/).filter(Boolean).sort().join(',');
  if (codecs !== want) throw new Error(`${file}: codecs ${codecs}, not ${want}`);
  const d = parseFloat(probe(file, ['-show_entries', 'format=duration']));
  let size = '', wait = 0;
  if (pub.layers && pub.layers.length) {
    // The recorder waits up to 3 s for every layer's first keyframe, then records the
    // largest: that layer's size, and the recording shorter by at most that wait.
    const sent = pub.layers.filter((l) => l.frames > 0);
    const [w, h] = probe(file, ['-select_streams', 'v', '-show_entries', 'stream=width,height']).split(',').map(Number);
    const widest = Math.max(...sent.map((l) => l.width || 0));
    const layers = sent.map((l) => `${l.rid} ${l.width}x${l.height}`).join(', ');
    if (!/video layer [qhf]/.test(recLog)) throw new Error(`the recorder names no layer: ${recLog.slice(-300)}`);
    if (!(w > Math.min(...sent.map((l) => l.width || 0)))) throw new Error(`${file} is ${w}x${h}, the smallest of ${layers}`);
    size = `, ${w}x${h} recorded of layers ${layers}${w === widest ? ' (the largest)' : ` (${widest} wide started after the recorder chose)`}`;
    wait = Math.min(3, Math.max(0, pub.seconds - d));
    size += `, started ${wait.toFixed(2)} s after connecting`;
  }
  const want_s = pub.seconds - wait;
  if (!(Math.abs(d - want_s) <= 0.05 * want_s)) throw new Error(`${file} lasts ${d} s for ${pub.seconds.toFixed(2)} s published`);
  const sv = parseFloat(probe(file, ['-select_streams', 'v', '-show_entries', 'stream=start_time']));
  const sa = parseFloat(probe(file, ['-select_streams', 'a', '-show_entries', 'stream=start_time']));
  if (!(Math.abs(sv - sa) < AV_MAX_MS / 1000)) throw new Error(`${file}: video starts at ${sv} s, audio at ${sa} s`);
  return `${path.basename(file)}: ${codecs}, ${d.toFixed(2)} s of ${pub.seconds.toFixed(2)} s published, A/V start ${((sa - sv) * 1000).toFixed(0)} ms apart, ${m[2]} bytes${size}${note}`;
}

async function main() {
  const peers = [];
  if (fs.existsSync('/usr/bin/chromium') && fs.existsSync(path.join(HERE, 'node_modules/playwright-core'))) peers.push('chromium');
  else { console.log('skip whip-record/chromium: chromium or playwright-core missing'); skipped++; }
  if (hasPy('aiortc')) peers.push('aiortc');
  else { console.log('skip whip-record/aiortc: python3-aiortc missing'); skipped++; }
  if (spawnSync(PY, ['-c', 'import gi; gi.require_version("GstWebRTC", "1.0")']).status === 0) peers.push('gstreamer');
  else { console.log('skip whip-record/gstreamer: python3-gst-1.0 missing'); skipped++; }
  const chosen = peers.filter((p) => !ONLY || ONLY.test(`whip-record/${p}`));
  // Chromium's other codecs, both at once after the first batch (two more encoders at
  // once would starve 2 cores): H.264 into Matroska, VP9 into WebM.
  const more = [['chromium-h264', 'H264', 'h264,opus'], ['chromium-vp9', 'VP9', 'opus,vp9']]
    .filter(([n]) => peers.includes('chromium') && (!ONLY || ONLY.test(`whip-record/${n}`)));
  const sim = ['chromium-simulcast'].filter((n) => peers.includes('chromium') && (!ONLY || ONLY.test(`whip-record/${n}`)));
  if (chosen.length || more.length || sim.length) {
    const port = 20000 + (process.pid % 20000);
    const rec = spawn(path.join(BUILD, 'luartc'), [path.join(ROOT, 'examples/whip-recorder.lua'), '--port', String(port), '--dir', dir], {
      cwd: ROOT, env: { ...process.env, LUARTC_GATHER_ADDRESSES: GATHER }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let recLog = '';
    rec.stdout.on('data', (d) => { recLog += d; });
    rec.stderr.on('data', (d) => { recLog += d; });
    for (let i = 0; i < 100 && !recLog.includes('WHIP recorder on'); i++) await sleep(100);
    const url = `http://127.0.0.1:${port}/whip`;
    const jobs = chosen.map((p) => (p === 'chromium' ? chromiumPublish(url)
      : pyPublish(p === 'aiortc' ? 'whip_aiortc.py' : 'whip_gst.py', url)).catch((e) => ({ error: String(e.message || e).split('\n')[0] })));
    const results = await Promise.all(jobs);
    const moreResults = await Promise.all(more.map(([, c]) => chromiumPublish(url, c)
      .catch((e) => ({ error: String(e.message || e).split('\n')[0] }))));
    // simulcast alone after them: three encoders at once besides others would starve 2 cores
    const simResults = [];
    for (const n of sim) {
      simResults.push(await chromiumPublish(url, 'VP8', true, 10).catch((e) => ({ error: String(e.message || e).split('\n')[0] })));
    }
    await sleep(500); // the end lines (written as DELETE is answered)
    rec.kill('SIGTERM');
    fs.writeFileSync(path.join(LOGDIR, 'whip-record-recorder.log'), recLog);
    const all = chosen.map((p, i) => [p, results[i], 'opus,vp8'])
      .concat(more.map(([n, , want], i) => [n, moreResults[i], want]))
      .concat(sim.map((n, i) => [n, simResults[i], 'opus,vp8']));
    for (const [p, res, want] of all) {
      if (res && res.skip) {
        console.log(`skip whip-record/${p}: ${res.skip}`);
        skipped++;
        continue;
      }
      try {
        console.log(`ok whip-record/${p} -- ${check(p, res, recLog, want)}`);
        passed++;
      } catch (e) {
        console.log(`FAIL whip-record/${p}: ${e.message}`);
        failed++;
      }
    }
  }
  if (!failed) fs.rmSync(dir, { recursive: true, force: true });
  console.log(`RESULT passed=${passed} failed=${failed} skipped=${skipped}`);
}
main().catch((e) => { console.log(`FAIL whip-record: ${e.stack}`); console.log(`RESULT passed=${passed} failed=${failed + 1} skipped=${skipped}`); });
