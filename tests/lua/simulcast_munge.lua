-- The trick of WPT's webrtc/simulcast/simulcast.js, in Lua: a receiver without simulcast
-- support gets each layer of a simulcast offer as a track of its own. The MID and RID
-- header extensions have the same wire format, so the offer the receiver sees has one
-- m-section per rid, whose mid is the rid, with the rid extension's id mapped to the
-- MID extension (and the MID's to the rid): the receiver routes each layer's packets by
-- their rid. Its answer is folded back into one m-section that receives the layers
-- (a=rid:<rid> recv, a=simulcast:recv) for the sender.
local M = {}

local MID = "urn:ietf:params:rtp-hdrext:sdes:mid"
local RID = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
local RRID = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"

-- sdp -> session lines, { section lines, ... }
local function split(sdp)
  local session, sections, cur = {}, {}, nil
  for line in sdp:gmatch("[^\r\n]+") do
    if line:sub(1, 2) == "m=" then
      cur = { line }
      sections[#sections + 1] = cur
    elseif cur then
      cur[#cur + 1] = line
    else
      session[#session + 1] = line
    end
  end
  return session, sections
end

local function join(session, sections)
  local out = {}
  for _, l in ipairs(session) do out[#out + 1] = l end
  for _, s in ipairs(sections) do
    for _, l in ipairs(s) do out[#out + 1] = l end
  end
  return table.concat(out, "\r\n") .. "\r\n"
end

local function ext_ids(section)
  local ids = {}
  for _, l in ipairs(section) do
    local id, uri = l:match("^a=extmap:(%d+)%S* (%S+)")
    if id then ids[uri] = tonumber(id) end
  end
  return ids
end

local function attr(section, name)
  for _, l in ipairs(section) do
    local v = l:match("^a=" .. name .. ":(.*)$")
    if v then return v end
  end
end

-- The offer (its one video m-section has simulcast) as the receiver should see it.
-- Returns the munged sdp, the rids, and what fold_answer needs.
function M.split_offer(sdp)
  local session, sections = split(sdp)
  assert(#sections == 1, "one m-section expected")
  local sec = sections[1]
  local ids = ext_ids(sec)
  local mid = attr(sec, "mid")
  local rids = {}
  for _, l in ipairs(sec) do
    local r = l:match("^a=rid:(%S+) send")
    if r then rids[#rids + 1] = r end
  end
  assert(ids[MID] and ids[RID], "mid and rid extensions expected")
  local out = {}
  for _, rid in ipairs(rids) do
    local s = {}
    for _, l in ipairs(sec) do
      local id = tonumber(l:match("^a=extmap:(%d+)") or "")
      if l:match("^a=rid:") or l:match("^a=simulcast:") then -- the receiver knows none
      elseif l:match("^a=mid:") then
        s[#s + 1] = "a=mid:" .. rid
      elseif id == ids[MID] then
        s[#s + 1] = "a=extmap:" .. ids[MID] .. " " .. RID
      elseif id == ids[RID] then
        s[#s + 1] = "a=extmap:" .. ids[RID] .. " " .. MID
      elseif id == ids[RRID] then -- RTX would otherwise look like a layer of its own
      elseif l:match("^a=msid:") then
        s[#s + 1] = l .. "-" .. rid -- one track id per layer
      else
        s[#s + 1] = l
      end
    end
    out[#out + 1] = s
  end
  for i, l in ipairs(session) do
    if l:match("^a=group:BUNDLE") then session[i] = "a=group:BUNDLE " .. table.concat(rids, " ") end
  end
  return join(session, out), rids, { mid = mid, ids = ids, rids = rids }
end

-- The receiver's answer (one m-section per rid) as the sender should see it: one
-- m-section, the extension ids swapped back, a=rid:<rid> recv and a=simulcast:recv for
-- the rids in keep (default: all; "~h" pauses h).
function M.fold_answer(sdp, info, keep)
  local session, sections = split(sdp)
  local sec = sections[1]
  local s = {}
  for _, l in ipairs(sec) do
    local id, uri = l:match("^a=extmap:(%d+)%S* (%S+)")
    if l:match("^a=mid:") then
      s[#s + 1] = "a=mid:" .. info.mid
    elseif uri == MID then
      s[#s + 1] = "a=extmap:" .. id .. " " .. RID
    elseif uri == RID then
      s[#s + 1] = "a=extmap:" .. id .. " " .. MID
    else
      s[#s + 1] = l
    end
  end
  if info.ids[RRID] then s[#s + 1] = "a=extmap:" .. info.ids[RRID] .. " " .. RRID end
  keep = keep or info.rids
  local names = {}
  for _, r in ipairs(keep) do
    s[#s + 1] = "a=rid:" .. r:gsub("^~", "") .. " recv"
    names[#names + 1] = r
  end
  s[#s + 1] = "a=simulcast:recv " .. table.concat(names, ";")
  for i, l in ipairs(session) do
    if l:match("^a=group:BUNDLE") then session[i] = "a=group:BUNDLE " .. info.mid end
  end
  return join(session, { s })
end

return M
