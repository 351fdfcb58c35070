-- W3C RTCIceTransport, RTCDtlsTransport and RTCSctpTransport over the core's raw pc
-- methods (bindings/rtc_lua_transport.c). luartc bundles everything, so a pc has one
-- of each: pc.sctp.transport, every sender.transport and receiver.transport are the
-- same RTCDtlsTransport table, whose iceTransport is the one RTCIceTransport. The
-- objects live in the pc's environment (pc._transports): same identity every time,
-- collected with the pc. Their events come from the core in their place among the
-- pc's events (core.setTransportHandler): the ICE transport's statechange before the
-- pc's iceconnectionstatechange, the DTLS transport's before connectionstatechange.
local M = {}

local type, pairs, ipairs, error, tonumber, setmetatable = type, pairs, ipairs, error, tonumber, setmetatable

local ET = require("rtc.event_target")
local fire = ET.fire

local attributes_mt = require("rtc.class")

local function class(getters, methods)
  methods.addEventListener = ET.addEventListener
  methods.removeEventListener = ET.removeEventListener
  local mt = attributes_mt(methods, getters)
  mt.__transport = true -- rtc.wait: a state value of .state, events "statechange"
  return mt
end

-- An RTCIceCandidate-shaped table: what onicecandidate gives (candidate, sdpMid,
-- sdpMLineIndex, usernameFragment) and the W3C fields read from the line.
local function candidate(line, mid, mline, ufrag)
  local c = { candidate = line, sdpMid = mid, sdpMLineIndex = mline, usernameFragment = ufrag }
  local f, comp, proto, prio, addr, port, typ =
    line:match("^candidate:(%S+) (%d+) (%S+) (%d+) (%S+) (%d+) typ (%S+)")
  if f then
    c.foundation, c.priority, c.address, c.port, c.type = f, tonumber(prio), addr, tonumber(port), typ
    c.component = comp == "1" and "rtp" or "rtcp"
    c.protocol = proto:lower()
    c.relatedAddress = line:match(" raddr (%S+)")
    c.relatedPort = tonumber(line:match(" rport (%d+)") or "")
    c.tcpType = line:match(" tcptype (%S+)")
  end
  return c
end

---------------------------------------------------------------------------
-- RTCIceTransport

local Ice = {}
local ice_mt = class({
  role = function(self) local r = self._pc:_iceInfo() return r end,
  component = function() return "rtp" end, -- rtcp-mux: RTP's is the only component
  state = function(self)
    local _, st = self._pc:_iceInfo()
    return st or "closed"
  end,
  gatheringState = function(self)
    local _, _, gs = self._pc:_iceInfo()
    return gs or "complete"
  end,
}, Ice)

-- The local or remote candidates as RTCIceCandidate tables; _iceInfo's 4th value is
-- the local ufrag, its 6th the remote one.
local function candidates(pc, remote)
  local lines, mid, mline = pc:_candidates(remote)
  local ufrag = select(remote and 6 or 4, pc:_iceInfo())
  local out = {}
  for i, l in ipairs(lines) do out[i] = candidate(l, mid, mline, ufrag) end
  return out
end

function Ice:getLocalCandidates() return candidates(self._pc, false) end
function Ice:getRemoteCandidates() return candidates(self._pc, true) end

-- {local = RTCIceCandidate, remote = RTCIceCandidate} | nil
function Ice:getSelectedCandidatePair()
  local pc = self._pc
  local l, r = pc:_selectedPair()
  if not l then return nil end
  local _, mid, mline = pc:_candidates(false)
  local _, _, _, lu, _, ru = pc:_iceInfo()
  return { ["local"] = candidate(l, mid, mline, lu), remote = candidate(r, mid, mline, ru) }
end

function Ice:getLocalParameters()
  local _, _, _, u, p = self._pc:_iceInfo()
  if not u then return nil end
  return { usernameFragment = u, password = p }
end

function Ice:getRemoteParameters()
  local _, _, _, _, _, u, p = self._pc:_iceInfo()
  if not u then return nil end
  return { usernameFragment = u, password = p }
end

---------------------------------------------------------------------------
-- RTCDtlsTransport

local Dtls = {}
local dtls_mt = class({
  iceTransport = function(self) return self._ice end,
  state = function(self) return self._pc:_dtlsState() end,
}, Dtls)

-- The peer's certificate chain as DER strings (WebRTC peers send one self-signed
-- certificate): { der } once DTLS connected, else {}.
function Dtls:getRemoteCertificates()
  local der = self._pc:_remoteCertificate()
  return der and { der } or {}
end

---------------------------------------------------------------------------
-- RTCSctpTransport

local Sctp = {}
-- _ended: the association a renegotiation closed; the pc's SCTP is another one now
local function sctp_info(self)
  if self._ended then return nil end
  return self._pc:_sctpInfo()
end

local sctp_mt = class({
  transport = function(self) return self._dtls end,
  state = function(self) return sctp_info(self) or "closed" end,
  maxMessageSize = function(self)
    local st, mms = sctp_info(self)
    return st and mms
  end,
  maxChannels = function(self)
    local st, _, n = sctp_info(self)
    return st and n
  end,
}, Sctp)

---------------------------------------------------------------------------

local function objects(pc)
  local t = pc._transports
  if t then return t end
  local ice = setmetatable({ _pc = pc, _listeners = {} }, ice_mt)
  local dtls = setmetatable({ _pc = pc, _ice = ice, _listeners = {} }, dtls_mt)
  t = { ice = ice, dtls = dtls }
  pc._transports = t
  return t
end

function M.dtlsTransport(pc) return objects(pc).dtls end

-- pc.sctp: nil until a description with an application m-line is negotiated, and
-- again once an answer rejects it (W3C [[SctpTransport]] null; the object the script
-- kept reads "closed"); a later data m-line makes a new one.
local function sctp_of(pc)
  if not pc:_sctpInfo() then return nil end
  local t = objects(pc)
  if not t.sctp then t.sctp = setmetatable({ _pc = pc, _dtls = t.dtls, _listeners = {} }, sctp_mt) end
  return t.sctp
end

local fired = {
  icestatechange = { "ice", "statechange" },
  icegatheringstatechange = { "ice", "gatheringstatechange" },
  selectedcandidatepairchange = { "ice", "selectedcandidatepairchange" },
  dtlsstatechange = { "dtls", "statechange" },
  dtlserror = { "dtls", "error" },
  sctpstatechange = { "sctp", "statechange" },
}

local function on_transport(pc, what, text, alert_rx, alert_tx)
  local t = pc._transports -- no object made: nobody can listen
  local f = fired[what]
  if not t or not f then return end
  -- the SCTP transport's last statechange (closed) comes when pc.sctp is nil already
  local obj = f[1] == "sctp" and (t.sctp or sctp_of(pc)) or t[f[1]]
  if not obj then return end
  if obj == t.sctp and not pc:_sctpInfo() then obj._ended, t.sctp = true, nil end
  local ev
  if f[2] == "error" then
    -- W3C RTCErrorEvent: a certificate that does not match the SDP fingerprint is a
    -- fingerprint-failure, anything else a dtls-failure.
    local detail = text and text:find("fingerprint") and "fingerprint-failure" or "dtls-failure"
    ev = { error = { errorDetail = detail, message = text } }
    -- W3C RTCError: with dtls-failure, the fatal alert codes (RFC 5246 7.2) received
    -- and sent, nil when none
    if detail == "dtls-failure" then
      ev.error.receivedAlert, ev.error.sentAlert = alert_rx, alert_tx
    end
  end
  fire(obj, f[2], ev)
end

function M.install(rtc, core)
  ET.install(rtc)
  core.setTransportHandler(on_transport)
  core.pc_getters.sctp = sctp_of
end

M.is_transport = function(obj)
  local mt = getmetatable(obj)
  return mt == ice_mt or mt == dtls_mt or mt == sctp_mt
end

return M
