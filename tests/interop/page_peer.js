// The browser side of the interop protocol (see README.md in this folder).
// Injected into a page by chromium_driver.mjs; commands arrive through
// window.__peerCmd(cmd), events leave through window.__peerEmit(jsonArray)
// (a function exposed by the driver), batched to keep CDP round trips down.
(() => {
  if (window.__peerCmd) return;
  let pc = null;
  let trickle = true;
  let cameraForOffer = null; // cameraforoffer: what the next remote offer's video sends
  const channels = new Map(); // label -> RTCDataChannel
  let queue = [];
  let flushing = false;
  function emit(ev) {
    queue.push(ev);
    if (!flushing) {
      flushing = true;
      setTimeout(() => {
        const batch = queue;
        queue = [];
        flushing = false;
        window.__peerEmit(JSON.stringify(batch));
      }, 0);
    }
  }
  function adler32(bytes) {
    let a = 1, b = 0;
    for (let i = 0; i < bytes.length; i++) {
      a = (a + bytes[i]) % 65521;
      b = (b + a) % 65521;
    }
    return b * 65536 + a;
  }
  function gen(size, seed, binary) {
    const u = new Uint8Array(size);
    for (let k = 0; k < size; k++) {
      u[k] = binary ? (seed * 7 + k * 13 + (k >> 8)) & 255 : 97 + ((seed + k) % 26);
    }
    return u;
  }
  function wire(dc) {
    channels.set(dc.label, dc);
    dc.binaryType = 'arraybuffer';
    dc.onopen = () => emit({ ev: 'open', label: dc.label, id: dc.id });
    dc.onclosing = () => emit({ ev: 'closing', label: dc.label });
    dc.onclose = () => emit({ ev: 'close', label: dc.label });
    dc.onerror = (e) => emit({ ev: 'dcerror', label: dc.label, message: String(e.error && e.error.message) });
    dc.onmessage = (e) => {
      const d = e.data;
      if (typeof d === 'string') {
        const bytes = new TextEncoder().encode(d);
        const m = { ev: 'msg', label: dc.label, binary: false, len: bytes.length, sum: adler32(bytes) };
        if (bytes.length <= 100) m.text = d;
        if (dc.__echo) dc.send(d);
        emit(m);
      } else {
        const bytes = new Uint8Array(d);
        emit({ ev: 'msg', label: dc.label, binary: true, len: bytes.length, sum: adler32(bytes) });
        if (dc.__echo) dc.send(d);
      }
    };
  }
  function describe(dc) {
    return {
      label: dc.label, id: dc.id, ordered: dc.ordered, maxRetransmits: dc.maxRetransmits,
      maxPacketLifeTime: dc.maxPacketLifeTime, protocol: dc.protocol, negotiated: dc.negotiated,
      readyState: dc.readyState,
    };
  }
  async function localSdp() {
    if (!trickle && pc.iceGatheringState !== 'complete') {
      await new Promise((resolve) => {
        const t = setInterval(() => {
          if (pc.iceGatheringState === 'complete') { clearInterval(t); resolve(); }
        }, 20);
      });
    }
    const d = pc.localDescription;
    emit({ ev: 'sdp', type: d.type, sdp: d.sdp });
  }
  const ops = {
    init(c) {
      trickle = c.trickle !== false;
      const cfg = Object.assign({ iceServers: [] }, c.config || {});
      delete cfg.maxMessageSize; // luartc-only
      pc = new RTCPeerConnection(cfg);
      pc.onicecandidate = (e) => {
        if (!trickle) return;
        emit({ ev: 'cand', candidate: e.candidate ? e.candidate.toJSON() : null });
      };
      for (const n of ['connectionState', 'iceConnectionState', 'signalingState', 'iceGatheringState']) {
        pc['on' + n.toLowerCase() + 'change'] = () => emit({ ev: 'state', name: n, value: pc[n] });
      }
      pc.ontrack = (e) => {
        const t = e.track;
        emit({ ev: 'track', kind: t.kind, id: t.id, mid: e.transceiver.mid, streams: e.streams.map((x) => x.id) });
        t.onended = () => emit({ ev: 'trackended', kind: t.kind, id: t.id });
        // a sink, so that Chromium decodes and plays out what it receives
        const el = document.createElement(t.kind === 'video' ? 'video' : 'audio');
        el.muted = true; el.autoplay = true; el.playsInline = true;
        el.srcObject = new MediaStream([t]);
        document.body.appendChild(el);
        el.play().catch(() => {});
      };
      pc.ondatachannel = (e) => {
        wire(e.channel);
        emit(Object.assign({ ev: 'dc' }, describe(e.channel)));
      };
      emit({ ev: 'ready', agent: navigator.userAgent });
    },
    async offer(c) {
      const o = await pc.createOffer({ iceRestart: !!c.iceRestart });
      await pc.setLocalDescription(o);
      await localSdp();
    },
    async remote(c) {
      await pc.setRemoteDescription({ type: c.type, sdp: c.sdp });
      if (c.type === 'offer' && cameraForOffer) {
        // the camera goes out on the video m-section the offer made (an SFU's offer to
        // receive simulcast: the answer's encodings come from its a=simulcast:recv)
        const cam = cameraForOffer;
        cameraForOffer = null;
        const s = await navigator.mediaDevices.getUserMedia({ video: { width: cam.width, height: cam.height, frameRate: 30 } });
        const t = pc.getTransceivers().find((x) => x.receiver.track.kind === 'video' && !x.sender.track);
        await t.sender.replaceTrack(s.getVideoTracks()[0]);
        t.direction = 'sendonly';
        emit({ ev: 'mediaadded', kinds: ['video'], encodings: t.sender.getParameters().encodings.map((e) => e.rid || '') });
      }
      if (c.type === 'offer') {
        await pc.setLocalDescription(await pc.createAnswer());
        await localSdp();
      }
    },
    async cand(c) {
      await pc.addIceCandidate(c.candidate || null);
    },
    dc(c) {
      const dc = pc.createDataChannel(c.label, c.init || {});
      wire(dc);
      if (c.echo) dc.__echo = true;
      emit(Object.assign({ ev: 'dccreated' }, describe(dc)));
    },
    echo(c) { channels.get(c.label).__echo = true; },
    // getmedia {video, audio, codec}: the fake camera/microphone, added with addTrack;
    // codec ("H264"...) goes first in the video transceiver's codec preferences
    // simulcast: a list of rids: the video goes out in those layers (sendEncodings,
    // scaleResolutionDownBy 2^(n-1-i): the last rid full size), at width x height
    async getmedia(c) {
      const s = await navigator.mediaDevices.getUserMedia({ video: !!c.video && { width: c.width || 320, height: c.height || 240, frameRate: 30 }, audio: !!c.audio });
      const kinds = [];
      for (const t of s.getTracks()) {
        if (c.simulcast && t.kind === 'video') {
          const n = c.simulcast.length;
          pc.addTransceiver(t, { direction: 'sendonly', streams: [s],
            sendEncodings: c.simulcast.map((rid, i) => ({ rid, scaleResolutionDownBy: 2 ** (n - 1 - i) })) });
          kinds.push(t.kind);
          continue;
        }
        const sender = pc.addTrack(t, s);
        kinds.push(t.kind);
        if (c.codec && t.kind === 'video') {
          const tr = pc.getTransceivers().find((x) => x.sender === sender);
          const caps = RTCRtpSender.getCapabilities('video').codecs;
          const first = caps.filter((x) => x.mimeType.toLowerCase() === 'video/' + c.codec.toLowerCase());
          if (!first.length) throw new Error('no ' + c.codec + ' in this browser');
          tr.setCodecPreferences(first.concat(caps.filter((x) => !first.includes(x))));
        }
      }
      emit({ ev: 'mediaadded', kinds });
    },
    // dtmf {tones, duration, gap}: the audio sender's RTCDTMFSender plays them; emits
    // 'dtmfdone' with the tonechange tones once the buffer is empty (tone '')
    dtmf(c) {
      const s = pc.getSenders().find((x) => x.track && x.track.kind === 'audio');
      if (!s || !s.dtmf || !s.dtmf.canInsertDTMF) throw new Error('cannot insert DTMF');
      const tones = [];
      s.dtmf.ontonechange = (e) => {
        tones.push(e.tone);
        if (e.tone === '') emit({ ev: 'dtmfdone', tones });
      };
      s.dtmf.insertDTMF(c.tones, c.duration, c.gap);
    },
    // playfile {url, avc}: a <video> opens the file at url (same origin), plays it 2.5 s
    // and seeks near its end; then Media Source Extensions take it whole. avc: the RFC
    // 6381 codecs value of its video. Emits played {canPlay, meta, duration, width,
    // height, frames, audioBytes | mozHasAudio, seeked, error, mseType, mse, mseBuffered}.
    async playfile(c) {
      const avc = c.avc;
      const out = { canPlay: document.createElement('video').canPlayType(`video/mp4; codecs="${avc}, opus"`) };
      const v = document.createElement('video');
      v.muted = true;
      document.body.appendChild(v);
      const once = (ev, ms) => new Promise((res) => {
        const to = setTimeout(() => res(false), ms);
        v.addEventListener(ev, () => { clearTimeout(to); res(true); }, { once: true });
      });
      const meta = once('loadedmetadata', 10000);
      v.src = c.url;
      out.meta = await meta;
      out.duration = v.duration;
      out.width = v.videoWidth;
      out.height = v.videoHeight;
      await v.play().catch((e) => { out.playError = String(e); });
      await new Promise((res) => setTimeout(res, 2500));
      out.played = v.currentTime;
      out.frames = v.getVideoPlaybackQuality().totalVideoFrames;
      out.audioBytes = v.webkitAudioDecodedByteCount; // Chromium
      out.mozHasAudio = v.mozHasAudio; // Firefox (it has no decoded-byte count)
      const seeked = once('seeked', 10000);
      v.currentTime = Math.max(0, v.duration - 0.5);
      out.seeked = await seeked;
      out.error = v.error ? `${v.error.code} ${v.error.message}` : null;
      v.remove();
      // MSE: the whole file appended to one SourceBuffer
      const type = `video/mp4; codecs="${avc}, opus"`;
      out.mseType = MediaSource.isTypeSupported(type);
      if (out.mseType) {
        const ms = new MediaSource();
        const v2 = document.createElement('video');
        v2.src = URL.createObjectURL(ms);
        await new Promise((res) => ms.addEventListener('sourceopen', res, { once: true }));
        const sb = ms.addSourceBuffer(type);
        const buf = await (await fetch(c.url)).arrayBuffer();
        out.mse = await new Promise((res) => {
          sb.addEventListener('updateend', () => res('ok'), { once: true });
          sb.addEventListener('error', () => res('error'), { once: true });
          sb.appendBuffer(buf);
        });
        out.mseBuffered = [];
        for (let i = 0; i < sb.buffered.length; i++) out.mseBuffered.push([sb.buffered.start(i), sb.buffered.end(i)]);
        out.mseError = v2.error ? `${v2.error.code} ${v2.error.message}` : null;
      }
      emit(Object.assign({ ev: 'played' }, out));
    },
    // cameraforoffer {width, height}: the next remote offer's video m-section sends the
    // fake camera (see remote)
    cameraforoffer(c) { cameraForOffer = c; },
    // transceiver {kind, direction}: e.g. a receive-only video m-section to offer
    transceiver(c) {
      pc.addTransceiver(c.kind, { direction: c.direction || 'recvonly' });
      emit({ ev: 'transceiver', kind: c.kind });
    },
    caps() {
      emit({ ev: 'caps', video: RTCRtpSender.getCapabilities('video').codecs.map((x) => x.mimeType + ' ' + (x.sdpFmtpLine || '')),
        recv: RTCRtpReceiver.getCapabilities('video').codecs.map((x) => x.mimeType) });
    },
    // inactive: every sending transceiver's direction becomes inactive (the next offer
    // says so). Chromium 12x sends no RTCP BYE on transceiver.stop() nor pc.close()
    // (seen from luartc, which logs each BYE), so this is how it stops sending.
    inactive() {
      for (const t of pc.getTransceivers()) if (t.sender.track) t.direction = 'inactive';
      emit({ ev: 'inactive' });
    },
    // direction {value}: every transceiver with a track takes that direction (the next
    // offer says so): 'inactive' then 'sendrecv' stops and resumes sending.
    direction(c) {
      for (const t of pc.getTransceivers()) if (t.sender.track) t.direction = c.value;
      emit({ ev: 'direction', value: c.value });
    },
    // setstreams: every sender with a track moves to one new stream (sender.setStreams:
    // the next offer's a=msid names it)
    setstreams() {
      const s = new MediaStream();
      for (const x of pc.getSenders()) if (x.track) x.setStreams(s);
      emit({ ev: 'setstreams', id: s.id });
    },
    async mstats() {
      const r = await pc.getStats();
      const out = { ev: 'mstats', inbound: {}, outbound: {}, codecs: {} };
      r.forEach((s) => {
        if (s.type === 'codec') out.codecs[s.id] = s.mimeType;
        if (s.type === 'candidate-pair' && s.nominated && s.availableOutgoingBitrate) out.bwe = s.availableOutgoingBitrate;
      });
      out.inboundAll = [];
      r.forEach((s) => {
        if (s.type === 'inbound-rtp') {
          out.inboundAll.push({ kind: s.kind, mid: s.mid, ssrc: s.ssrc, packetsReceived: s.packetsReceived,
            framesDecoded: s.framesDecoded, frameWidth: s.frameWidth });
          out.inbound[s.kind] = { packetsReceived: s.packetsReceived, framesDecoded: s.framesDecoded,
            framesReceived: s.framesReceived, totalSamplesReceived: s.totalSamplesReceived,
            concealedSamples: s.concealedSamples, keyFramesDecoded: s.keyFramesDecoded,
            pliCount: s.pliCount, codec: out.codecs[s.codecId] };
        } else if (s.type === 'outbound-rtp') {
          if (s.rid) (out.outLayers = out.outLayers || []).push({ rid: s.rid, ssrc: s.ssrc, framesEncoded: s.framesEncoded,
            frameWidth: s.frameWidth, frameHeight: s.frameHeight, active: s.active, qualityLimitationReason: s.qualityLimitationReason });
          out.outbound[s.kind] = { packetsSent: s.packetsSent, framesEncoded: s.framesEncoded,
            retransmittedPacketsSent: s.retransmittedPacketsSent, nackCount: s.nackCount,
            codec: out.codecs[s.codecId] };
        }
      });
      emit(out);
    },
    send(c) {
      const dc = channels.get(c.label);
      let data;
      if (c.gen) data = gen(c.gen.size, c.gen.seed || 0, !!c.binary);
      else data = new TextEncoder().encode(c.text || '');
      if (!c.binary) data = new TextDecoder().decode(data);
      try {
        dc.send(data);
        emit({ ev: 'sent', label: c.label, ok: true });
      } catch (e) {
        emit({ ev: 'sent', label: c.label, ok: false, err: String(e.name + ': ' + e.message) });
      }
    },
    async sendmany(c) {
      const dc = channels.get(c.label);
      let i = 0;
      try {
        for (; i < c.count; i++) {
          while (dc.bufferedAmount > 1 << 20) await new Promise((r) => setTimeout(r, 5));
          dc.send((c.prefix || '') + i);
        }
        emit({ ev: 'sent', label: c.label, ok: true, count: i });
      } catch (e) {
        emit({ ev: 'sent', label: c.label, ok: false, count: i, err: String(e) });
      }
    },
    dcclose(c) { channels.get(c.label).close(); },
    close() { pc.close(); emit({ ev: 'closed' }); },
    info() {
      const chans = {};
      for (const [l, dc] of channels) chans[l] = describe(dc);
      emit({
        ev: 'info', connectionState: pc.connectionState, iceConnectionState: pc.iceConnectionState,
        signalingState: pc.signalingState, channels: chans,
        maxMessageSize: pc.sctp ? pc.sctp.maxMessageSize : null,
      });
    },
    async stats() {
      const r = await pc.getStats();
      const out = [];
      r.forEach((s) => { if (s.type === 'candidate-pair' || s.type === 'local-candidate' || s.type === 'remote-candidate') out.push(s); });
      emit({ ev: 'stats', stats: out });
    },
  };
  let chain = Promise.resolve();
  window.__peerCmd = (c) => {
    chain = chain.then(async () => {
      try {
        await ops[c.op](c);
      } catch (e) {
        emit({ ev: 'error', op: c.op, message: String(e && (e.name + ': ' + e.message)) });
      }
    });
  };
})();
