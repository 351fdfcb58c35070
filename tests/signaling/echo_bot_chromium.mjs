// Headless Chromium (Debian chromium, driven by the interop suite's playwright-core)
// talks to examples/echo-bot.lua from a page: WebSocket signaling with trickle, a
// data channel, text and binary echoes.
//   node echo_bot_chromium.mjs ws://127.0.0.1:PORT/   prints one JSON line
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../interop/', import.meta.url));
const { chromium } = require('playwright-core');
const url = process.argv[2];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sig-chromium-'));
const ctx = await chromium.launchPersistentContext(dir, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, timeout: 60000,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--allow-loopback-in-peer-connection',
    '--disable-features=WebRtcHideLocalIpsWithMdns'],
});
try {
  const page = await ctx.newPage();
  const result = await page.evaluate(async (url) => {
    const ws = new WebSocket(url);
    await new Promise((res, rej) => { ws.onopen = res; ws.onerror = () => rej(new Error('ws error')); });
    const pc = new RTCPeerConnection();
    pc.onicecandidate = (e) => ws.send(JSON.stringify({ type: 'candidate', candidate: e.candidate }));
    ws.onmessage = async (e) => {
      const m = JSON.parse(e.data);
      if (m.type === 'answer') await pc.setRemoteDescription(m);
      else if (m.type === 'candidate' && m.candidate) await pc.addIceCandidate(m.candidate);
    };
    const dc = pc.createDataChannel('chromium');
    dc.binaryType = 'arraybuffer';
    const got = [];
    const done = new Promise((res) => { dc.onmessage = (e) => { got.push(e.data); if (got.length === 2) res(); }; });
    await pc.setLocalDescription();
    ws.send(JSON.stringify({ type: 'offer', sdp: pc.localDescription.sdp }));
    await new Promise((res, rej) => { dc.onopen = res; setTimeout(() => rej(new Error('open timeout')), 15000); });
    dc.send('hello from chromium');
    dc.send(new Uint8Array([1, 2, 3, 250]));
    await Promise.race([done, new Promise((_, rej) => setTimeout(() => rej(new Error('echo timeout')), 10000))]);
    const bin = new Uint8Array(got[1]);
    ws.close(1000, 'done');
    pc.close();
    return { text: got[0], binary: Array.from(bin) };
  }, url);
  process.stdout.write(JSON.stringify(result) + '\n');
} catch (e) {
  process.stdout.write(JSON.stringify({ error: String(e) }) + '\n');
} finally {
  await ctx.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
