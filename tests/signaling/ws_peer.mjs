// The independent WebSocket peer for luartc's rtc.ws (Node's `ws` package).
//   node ws_peer.mjs server [cert.pem key.pem]   echo server; prints {"port":N}
//   node ws_peer.mjs client URL [ca.pem]         runs the checks against luartc's
//                                                server; prints one JSON line per step
// Server behaviour, driven by the text the client sends:
//   "frag"     -> answers one text message in three fragments
//   "ping"     -> pings the client, answers "pong <data>" when the pong arrives
//   "close-me" -> closes with 4000 "bye"
//   anything else -> echoed (text as text, binary as binary)
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { WebSocket, WebSocketServer } from 'ws';

const [mode, a1, a2] = process.argv.slice(2);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

if (mode === 'server') {
  const srv = a1 ? https.createServer({ cert: fs.readFileSync(a1), key: fs.readFileSync(a2) })
    : http.createServer();
  const wss = new WebSocketServer({ server: srv, handleProtocols: (ps) => ps.has('chat') ? 'chat' : false });
  wss.on('connection', (ws, req) => {
    ws.on('message', (data, isBinary) => {
      const s = isBinary ? null : data.toString();
      if (s === 'frag') {
        ws.send('one-', { fin: false });
        ws.send('two-', { fin: false });
        ws.send('three', { fin: true });
      } else if (s === 'ping') {
        ws.once('pong', (d) => ws.send('pong ' + d.toString()));
        ws.ping('p1');
      } else if (s === 'close-me') {
        ws.close(4000, 'bye');
      } else if (s === 'protocol') {
        ws.send('protocol ' + ws.protocol + ' path ' + req.url);
      } else {
        ws.send(data, { binary: isBinary });
      }
    });
    ws.on('close', (code, reason) => out({ event: 'server-close', code, reason: reason.toString() }));
  });
  srv.listen(0, '127.0.0.1', () => out({ port: srv.address().port }));
} else if (mode === 'client') {
  const opts = a2 ? { ca: fs.readFileSync(a2) } : {};
  const ws = new WebSocket(a1, ['chat'], opts);
  const steps = [];
  const next = () => new Promise((res) => ws.once('message', (d, b) => res([d, b])));
  ws.on('error', (e) => { out({ event: 'error', message: e.message }); process.exit(1); });
  ws.on('open', async () => {
    out({ event: 'open', protocol: ws.protocol });
    ws.send('hello');
    let [d, b] = await next();
    out({ step: 'text', data: d.toString(), binary: b });
    const bin = Buffer.alloc(70000);
    for (let i = 0; i < bin.length; i++) bin[i] = i & 255;
    ws.send(bin);
    [d, b] = await next();
    out({ step: 'binary', ok: Buffer.compare(d, bin) === 0, binary: b, len: d.length });
    ws.send('fr', { fin: false });
    ws.send('ag', { fin: false });
    ws.send('ment', { fin: true });
    [d, b] = await next();
    out({ step: 'fragmented', data: d.toString() });
    ws.send('héllo ☃');
    [d, b] = await next();
    out({ step: 'utf8', data: d.toString() });
    ws.ping('abc');
    const pong = await new Promise((res) => ws.once('pong', res));
    out({ step: 'pong', data: pong.toString() });
    ws.send('close-me');
  });
  ws.on('close', (code, reason) => { out({ event: 'close', code, reason: reason.toString() }); process.exit(0); });
}
