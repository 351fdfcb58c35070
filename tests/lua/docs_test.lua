-- docs/api.md and the code agree: every public name of lua/rtc and of the bindings is
-- documented, and every name the reference documents exists.
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local rtc = H.rtc
local test, ok = H.test, H.ok

local root = (arg[0]:match("^(.*)/tests/lua/") or ".")
local function read(path)
  local f = assert(io.open(root .. "/" .. path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local doc = read("docs/api.md")

-- Names in backticks, and in the forms the reference writes them in.
local spans = {}
for s in doc:gmatch("`([^`\n]+)`") do spans[#spans + 1] = s end
for s in doc:gmatch("\n#+ ([^\n]+)") do spans[#spans + 1] = s end -- headings
local function documented(name)
  local pat = "%f[%w_]" .. name:gsub("%p", "%%%0") .. "%f[^%w_]"
  for i = 1, #spans do
    if spans[i]:find(pat) then return true end
  end
  return false
end

-- The bindings' names: every luaL_Reg entry ({"name", c_function}) and every handler.
local function binding_names()
  local names, handlers = {}, {}
  for _, f in ipairs({ "rtc_lua_module.c", "rtc_lua_pc.c", "rtc_lua_dc.c", "rtc_lua_cert.c",
    "rtc_lua_events.c" }) do
    local src = read("bindings/" .. f)
    for name in src:gmatch('{"([%w_]+)",%s*[%a_][%w_]*}') do
      if name:sub(1, 1) ~= "_" then names[#names + 1] = name end
    end
    for h in src:gmatch('"(on%l+)"') do handlers[h] = true end
  end
  for _, f in ipairs({ "ws.lua", "http.lua", "whip.lua", "dtmf.lua" }) do -- Lua objects' handlers
    local fh = io.open(root .. "/lua/rtc/" .. f, "rb")
    if fh then
      for h in fh:read("*a"):gmatch("%.(on%l+)") do handlers[h] = true end
      fh:close()
    end
  end
  -- the media objects are Lua tables: their handlers are listed in lua/rtc/media.lua
  for h in read("lua/rtc/media.lua"):gmatch('"(on%l+)"') do handlers[h] = true end
  return names, handlers
end

local function sorted_keys(t)
  local list = {}
  for k in pairs(t) do list[#list + 1] = k end
  table.sort(list)
  return list
end

test("every public name of lua/rtc and the bindings is in docs/api.md", function()
  local missing = {}
  for _, k in ipairs(sorted_keys(rtc)) do
    if type(k) == "string" and k:sub(1, 1) ~= "_" and not documented("rtc." .. k) then
      missing[#missing + 1] = "rtc." .. k
    end
  end
  local pc = H.pc()
  local dc = pc:createDataChannel("d")
  for _, k in ipairs(sorted_keys(rtc.core.pc_methods)) do -- lua/rtc adds and wraps some
    if k:sub(1, 1) ~= "_" and not documented(k) then missing[#missing + 1] = "pc:" .. k end
  end
  for _, obj in ipairs({ pc, dc }) do
    for _, k in ipairs(sorted_keys(debug.getmetatable(obj).getters)) do
      if not documented(k) then missing[#missing + 1] = tostring(obj):match("^%a+") .. "." .. k end
    end
  end
  local names, handlers = binding_names()
  for _, k in ipairs(names) do
    if not documented(k) then missing[#missing + 1] = "binding: " .. k end
  end
  for _, h in ipairs(sorted_keys(handlers)) do
    if not documented(h) then missing[#missing + 1] = "handler: " .. h end
  end
  ok(#missing == 0, "not in docs/api.md:", table.concat(missing, ", "))
end)

test("every name docs/api.md documents exists", function()
  local pc = H.pc()
  local dc = pc:createDataChannel("d")
  local cert = assert(rtc.generateCertificate())
  local a = H.connected() -- the transports (lua/rtc/transport.lua)
  local sctp = a.sctp
  local dtls = sctp.transport
  local ice = dtls.iceTransport
  local _, handlers = binding_names()
  local classes = { pc = pc, dc = dc, ch = dc, channel = dc, cert = cert, a = pc, b = pc }
  local function has(obj, k)
    local v = obj[k]
    if v ~= nil then return true end
    return debug.getmetatable(obj).getters[k] ~= nil
  end
  local unknown = {}
  for _, s in ipairs(spans) do
    -- rtc.name, rtc.core.name
    for path in s:gmatch("%f[%w_]rtc%.([%w_%.]+)") do
      local t = rtc
      for part in path:gmatch("[^.]+") do
        if type(t) ~= "table" then break end
        if t[part] == nil then unknown[#unknown + 1] = "rtc." .. path break end
        t = t[part]
      end
    end
    -- obj:method(...)
    for o, m in s:gmatch("%f[%w_](%a+):([%a_]+)%(") do
      if classes[o] and not has(classes[o], m) then unknown[#unknown + 1] = o .. ":" .. m end
    end
    -- on<event> handler names
    for h in s:gmatch("%f[%w_](on%l+)%f[^%w_]") do
      if not handlers[h] and h ~= "onerror" then unknown[#unknown + 1] = h end
    end
    -- method(...) at the start of a span: a method of one of the classes
    local m = s:match("^([%a_]+)%(")
    local plain = { ["function"] = true, done = true, fn = true, require = true }
    if m and not plain[m] and not (has(pc, m) or has(dc, m) or has(cert, m) or rtc[m] or
        has(ice, m) or has(dtls, m) or has(sctp, m)) then
      unknown[#unknown + 1] = m .. "()"
    end
  end
  -- The attributes lists: each bare name is an attribute of the object described.
  for para in (doc .. "\n\n"):gmatch("\nAttributes[^\n]*.-\n\n") do
    for name in para:gmatch("`([%a]+)`") do
      if name ~= "nil" and not (has(pc, name) or has(dc, name)) then unknown[#unknown + 1] = "attribute " .. name end
    end
  end
  ok(#unknown == 0, "documented but missing:", table.concat(unknown, ", "))
end)

H.run()
