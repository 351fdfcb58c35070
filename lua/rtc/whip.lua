-- WHIP (RFC 9725) and WHEP (draft-ietf-wish-whep): one HTTP exchange sets a session
-- up. The client POSTs its offer (application/sdp), the server answers 201 with its
-- answer and the session's URL in Location; DELETE on that URL ends the session;
-- PATCH with application/trickle-ice-sdpfrag (RFC 8840) carries trickled candidates
-- and ICE restarts. ICE servers come in Link headers (rel="ice-server"). WHEP has the
-- same shape with the roles of the media reversed, so both are served from here.
--
--   local s = whip.publish(url, pc, {token = "..."})  -- or whip.play / whep.play
--   s:close()                                         -- DELETE
--   whip.listen{port = 0, path = "/whip", token = "...", onsession = fn(pc, session)}
local http = require "rtc.http"

local M = {}

local SDP = "application/sdp"
local FRAG = "application/trickle-ice-sdpfrag"

---------------------------------------------------------------------------
-- Link headers: `<stun:host>; rel="ice-server"; username="u"; credential="p"`.

function M.parseLinks(value)
  local servers = {}
  if not value then return servers end
  -- split on commas outside <...> and quotes
  local items, cur, inq, inb = {}, {}, false, false
  for ch in value:gmatch(".") do
    if ch == '"' and not inb then inq = not inq end
    if ch == "<" and not inq then inb = true end
    if ch == ">" and not inq then inb = false end
    if ch == "," and not inq and not inb then
      items[#items + 1] = table.concat(cur)
      cur = {}
    else
      cur[#cur + 1] = ch
    end
  end
  items[#items + 1] = table.concat(cur)
  for _, item in ipairs(items) do
    local uri, params = item:match("^%s*<([^>]*)>(.*)$")
    if uri then
      local p = {}
      for k, v in params:gmatch(';%s*([%w%-]+)%s*=%s*"?([^";]*)"?') do p[k:lower()] = v end
      if p.rel == "ice-server" then
        servers[#servers + 1] = { urls = uri, username = p.username, credential = p.credential }
      end
    end
  end
  return servers
end

local function link_header(servers)
  local out = {}
  for _, s in ipairs(servers or {}) do
    local urls = type(s.urls) == "table" and s.urls or { s.urls }
    for _, u in ipairs(urls) do
      local v = "<" .. u .. '>; rel="ice-server"'
      if s.username then v = v .. '; username="' .. s.username .. '"; credential="' .. (s.credential or "") .. '"' end
      v = v .. (s.username and '; credential-type="password"' or "")
      out[#out + 1] = v
    end
  end
  return out
end

---------------------------------------------------------------------------
-- SDP fragments (RFC 8840): ufrag/pwd and candidates per media section.

-- The fragment for candidates of pc's local description.
local function sdpfrag(sdp, candidates)
  local ufrag = sdp:match("a=ice%-ufrag:([^\r\n]+)")
  local pwd = sdp:match("a=ice%-pwd:([^\r\n]+)")
  local t = { "a=ice-ufrag:" .. ufrag, "a=ice-pwd:" .. pwd }
  local bymid, order = {}, {}
  for _, c in ipairs(candidates) do
    local mid = c.sdpMid or "0"
    if not bymid[mid] then
      bymid[mid] = {}
      order[#order + 1] = mid
    end
    table.insert(bymid[mid], c.candidate)
  end
  for _, mid in ipairs(order) do
    local mline = "m=application 9 UDP/DTLS/SCTP webrtc-datachannel"
    for sec in (sdp .. "\r\nm="):gmatch("m=(.-)\r?\nm=") do
      if sec:match("a=mid:" .. mid:gsub("%p", "%%%0") .. "[\r\n]") then mline = "m=" .. sec:match("^[^\r\n]+") end
    end
    t[#t + 1] = mline
    t[#t + 1] = "a=mid:" .. mid
    for _, cand in ipairs(bymid[mid]) do t[#t + 1] = "a=" .. cand end
  end
  return table.concat(t, "\r\n") .. "\r\n"
end
M.sdpfrag = sdpfrag

-- {ufrag=, pwd=, candidates = {{candidate=, sdpMid=}}, ended = bool}
function M.parseSdpfrag(body)
  local r = { candidates = {} }
  local mid
  for line in body:gmatch("[^\r\n]+") do
    local k, v = line:match("^a=([%w%-]+):?(.*)$")
    if line:match("^m=") then
      mid = nil
    elseif k == "ice-ufrag" then r.ufrag = v
    elseif k == "ice-pwd" then r.pwd = v
    elseif k == "mid" then mid = v
    elseif k == "candidate" then r.candidates[#r.candidates + 1] = { candidate = "candidate:" .. v, sdpMid = mid or "0" }
    elseif k == "end-of-candidates" then r.ended = true
    end
  end
  return r
end

---------------------------------------------------------------------------
-- Client.

local Session = {}
Session.__index = Session

local function auth(headers, token)
  if token then headers.Authorization = "Bearer " .. token end
  return headers
end

-- Sends candidates (ICE trickle) with PATCH. Returns true | nil, err (405/501: the
-- server does not trickle; nothing is lost, its answer had what it needs).
function Session:trickle(candidates)
  local pc = self.pc
  local headers = auth({ ["Content-Type"] = FRAG }, self.token)
  if self.etag then headers["If-Match"] = self.etag end
  local r, err = http.request(self.url, { method = "PATCH", headers = headers, tls = self.tls,
    body = sdpfrag(pc.localDescription.sdp, candidates) })
  if not r then return nil, err end
  if r.status ~= 204 and r.status ~= 200 then return nil, "PATCH: HTTP " .. r.status end
  return true
end

-- The candidates of an SDP, each with its section's mid.
local function sdp_candidates(sdp)
  local out, section = {}, nil
  local function flush()
    if section then
      for _, c in ipairs(section.c) do out[#out + 1] = { candidate = c, sdpMid = section.mid or "0" } end
    end
  end
  for line in sdp:gmatch("[^\r\n]+") do
    if line:match("^m=") then
      flush()
      section = { c = {} }
    elseif section and line:match("^a=mid:") then
      section.mid = line:match("^a=mid:(.*)$")
    elseif section and line:match("^a=candidate:") then
      section.c[#section.c + 1] = line:sub(3)
    end
  end
  flush()
  return out
end
M.sdpCandidates = sdp_candidates

-- Replaces the ICE credentials and candidates of sdp with those of frag (every
-- section: a WHIP session is bundled).
local function apply_frag(sdp, frag)
  local out = {}
  for line in sdp:gmatch("[^\r\n]+") do
    if line:match("^a=ice%-ufrag:") then
      out[#out + 1] = "a=ice-ufrag:" .. frag.ufrag
    elseif line:match("^a=ice%-pwd:") then
      out[#out + 1] = "a=ice-pwd:" .. frag.pwd
    elseif not line:match("^a=candidate:") and not line:match("^a=end%-of%-candidates") then
      out[#out + 1] = line
    end
  end
  return table.concat(out, "\r\n") .. "\r\n"
end
M._applyFrag = apply_frag

-- ICE restart (RFC 9725 4.3.2): a new offer with fresh credentials, its ufrag/pwd and
-- candidates sent by PATCH; the server's new credentials and candidates come back in
-- the 200's body and replace the old ones in the remote description.
function Session:restartIce()
  local rtc = require "rtc"
  local pc = self.pc
  local offer, err = pc:createOffer({ iceRestart = true })
  if not offer then return nil, err end
  local ok, serr = pc:setLocalDescription(offer)
  if not ok and serr then return nil, serr end
  if pc.iceGatheringState ~= "complete" then rtc.wait(pc, "complete", 10000) end
  local cands = sdp_candidates(pc.localDescription.sdp)
  local headers = auth({ ["Content-Type"] = FRAG, ["If-Match"] = "*" }, self.token)
  local r, rerr = http.request(self.url, { method = "PATCH", headers = headers, tls = self.tls,
    body = sdpfrag(pc.localDescription.sdp, cands) })
  if not r then return nil, rerr end
  if r.status ~= 200 then return nil, "PATCH (ICE restart): HTTP " .. r.status end
  if r.headers.etag then self.etag = r.headers.etag end
  local frag = M.parseSdpfrag(r.body)
  if not frag.ufrag or not frag.pwd then return nil, "ICE restart answer without credentials" end
  local answer = apply_frag(pc.remoteDescription.sdp, frag)
  ok, serr = pc:setRemoteDescription({ type = "answer", sdp = answer })
  if not ok and serr then return nil, serr end
  for _, c in ipairs(frag.candidates) do pc:addIceCandidate(c) end
  return true
end

-- Ends the session: DELETE, then closes the pc.
function Session:close()
  if self.closed then return true end
  self.closed = true
  local r, err = http.request(self.url, { method = "DELETE", headers = auth({}, self.token), tls = self.tls })
  if self.pc.signalingState ~= "closed" then self.pc:close() end
  if not r then return nil, err end
  if r.status ~= 200 and r.status ~= 204 then return nil, "DELETE: HTTP " .. r.status end
  return true
end

-- Publishes (WHIP) or plays (WHEP) pc at the endpoint url: gathers candidates, POSTs
-- the offer, applies the answer. opts: token (Bearer), tls, timeout (ms), trickle
-- (POST at once and PATCH candidates as they come; default: wait for gathering).
-- Returns a session {url, etag, iceServers, pc, answer} | nil, err.
function M.publish(url, pc, opts)
  opts = opts or {}
  local rtc = require "rtc"
  if pc.signalingState == "stable" and not pc.localDescription then
    local ok, err = pc:setLocalDescription()
    if not ok and err then return nil, err end
  end
  local pending = {}
  local session
  if opts.trickle then
    pc.onicecandidate = function(ev)
      if not ev.candidate or ev.candidate.candidate == "" then return end
      if session then
        rtc.spawn(function() session:trickle({ ev.candidate }) end)
      else
        pending[#pending + 1] = ev.candidate
      end
    end
  elseif pc.iceGatheringState ~= "complete" then
    local ok, err = rtc.wait(pc, "complete", opts.timeout or 10000)
    if not ok then return nil, "gathering: " .. tostring(err) end
  end
  local r, err = http.request(url, {
    method = "POST", headers = auth({ ["Content-Type"] = SDP, Accept = SDP }, opts.token),
    body = pc.localDescription.sdp, tls = opts.tls, timeout = opts.timeout,
  })
  if not r then return nil, err end
  if r.status ~= 201 then return nil, "POST: HTTP " .. r.status .. " " .. (r.body or "") end
  if not r.headers.location then return nil, "201 without Location" end
  session = setmetatable({
    url = http.resolve(url, r.headers.location), etag = r.headers.etag, pc = pc, token = opts.token,
    tls = opts.tls, iceServers = M.parseLinks(r.headers.link), answer = r.body,
  }, Session)
  local ok, serr = pc:setRemoteDescription({ type = "answer", sdp = r.body })
  if not ok and serr then
    session:close()
    return nil, "answer: " .. tostring(serr)
  end
  if #pending > 0 then session:trickle(pending) end
  return session
end
M.play = M.publish

---------------------------------------------------------------------------
-- Server.

local CORS = {
  ["Access-Control-Allow-Origin"] = "*",
  ["Access-Control-Expose-Headers"] = "Location, Link, ETag, Accept-Patch",
}

-- An endpoint: POST <path> makes a session, PATCH/DELETE <path>/<id> act on it.
-- opts: host, port, tls, path (default "/whip"), token (Bearer required when set),
-- iceServers (sent as Link headers), config (for each RTCPeerConnection),
-- onsession = fn(pc, session) (called before the answer: add handlers there),
-- handler = fn(req, res) for other paths (static pages...).
function M.listen(opts)
  local rtc = require "rtc"
  local base = opts.path or "/whip"
  local sessions, n = {}, 0
  local server = { sessions = sessions }
  local function send(res, status, headers, body)
    headers = headers or {}
    for k, v in pairs(CORS) do headers[k] = v end
    return res:send(status, headers, body)
  end
  local function authorized(req)
    return not opts.token or req.headers.authorization == "Bearer " .. opts.token
  end
  local srv, err = http.listen({
    host = opts.host, port = opts.port, tls = opts.tls,
    handler = function(req, res)
      local id = req.path:sub(#base + 2)
      local ours = req.path == base or (req.path:sub(1, #base + 1) == base .. "/" and sessions[id])
      if not ours and req.path:sub(1, #base + 1) == base .. "/" and req.method ~= "OPTIONS" then
        return send(res, 404, { ["Content-Type"] = "text/plain" }, "no such session\n")
      end
      if not ours and req.path ~= base then
        if opts.handler then return opts.handler(req, res) end
        return send(res, 404, {}, "")
      end
      if req.method == "OPTIONS" then -- CORS preflight (and ICE servers, RFC 9725 4.6)
        return send(res, 204, {
          ["Access-Control-Allow-Methods"] = "POST, PATCH, DELETE, OPTIONS",
          ["Access-Control-Allow-Headers"] = "Authorization, Content-Type, If-Match",
          ["Accept-Post"] = SDP,
        })
      end
      if not authorized(req) then return send(res, 401, { ["WWW-Authenticate"] = "Bearer" }, "") end
      if req.path == base then
        if req.method ~= "POST" then return send(res, 405, { Allow = "POST, OPTIONS" }, "") end
        local ct = (req.headers["content-type"] or ""):lower()
        if not ct:find(SDP, 1, true) then return send(res, 415, {}, "") end
        local cfg = {}
        for k, v in pairs(opts.config or {}) do cfg[k] = v end
        local pc = assert(rtc.RTCPeerConnection(cfg))
        n = n + 1
        local sid = string.format("%d%s", n, rtc.core.base64(rtc.core.randomBytes(9)):gsub("[+/=]", "x"))
        local session = { id = sid, pc = pc, request = req, etag = '"' .. sid .. '-1"' }
        local ok, serr = pc:setRemoteDescription({ type = "offer", sdp = req.body })
        if not ok and serr then
          pc:close()
          return send(res, 400, { ["Content-Type"] = "text/plain" }, tostring(serr) .. "\n")
        end
        if opts.onsession then opts.onsession(pc, session) end
        assert(pc:setLocalDescription())
        -- the answer carries every candidate: no trickle needed from our side
        if pc.iceGatheringState ~= "complete" then rtc.wait(pc, "complete", 5000) end
        sessions[sid] = session
        pc:addEventListener("connectionstatechange", function()
          if pc.connectionState == "closed" or pc.connectionState == "failed" then sessions[sid] = nil end
        end)
        return send(res, 201, {
          ["Content-Type"] = SDP, Location = base .. "/" .. sid, ETag = session.etag,
          ["Accept-Patch"] = FRAG, Link = link_header(opts.iceServers),
        }, pc.localDescription.sdp)
      end
      local session = sessions[id]
      if req.method == "DELETE" then
        sessions[id] = nil
        if session.pc.signalingState ~= "closed" then session.pc:close() end
        if opts.onclose then opts.onclose(session) end
        return send(res, 200, {}, "")
      elseif req.method == "PATCH" then
        if not (req.headers["content-type"] or ""):lower():find(FRAG, 1, true) then return send(res, 415, {}, "") end
        local im = req.headers["if-match"]
        if im and im ~= "*" and im ~= session.etag then return send(res, 412, {}, "") end
        local frag = M.parseSdpfrag(req.body)
        local remote = session.pc.remoteDescription
        if frag.ufrag and frag.pwd and remote and not remote.sdp:find("a=ice-ufrag:" .. frag.ufrag, 1, true) then
          -- an ICE restart (RFC 9725 4.3.2): the old offer with the new credentials,
          -- answered; our new credentials and candidates go back in the body
          local pc = session.pc
          local ok2, rerr = pc:setRemoteDescription({ type = "offer", sdp = apply_frag(remote.sdp, frag) })
          if not ok2 and rerr then return send(res, 400, { ["Content-Type"] = "text/plain" }, tostring(rerr) .. "\n") end
          for _, c in ipairs(frag.candidates) do pc:addIceCandidate(c) end
          assert(pc:setLocalDescription())
          if pc.iceGatheringState ~= "complete" then rtc.wait(pc, "complete", 5000) end
          local sdp = pc.localDescription.sdp
          local cands = sdp_candidates(sdp)
          local n2 = (tonumber(session.etag:match("%-(%d+)\"$")) or 1) + 1
          session.etag = '"' .. session.id .. "-" .. n2 .. '"'
          return send(res, 200, { ["Content-Type"] = FRAG, ETag = session.etag }, sdpfrag(sdp, cands))
        end
        for _, c in ipairs(frag.candidates) do session.pc:addIceCandidate(c) end
        return send(res, 204, {}, "")
      end
      return send(res, 405, { Allow = "PATCH, DELETE, OPTIONS" }, "")
    end,
  })
  if not srv then return nil, err end
  server.port, server.http = srv.port, srv
  function server.close()
    srv.close()
    for id, s in pairs(sessions) do
      if s.pc.signalingState ~= "closed" then s.pc:close() end
      sessions[id] = nil
    end
  end
  return server
end

return M
