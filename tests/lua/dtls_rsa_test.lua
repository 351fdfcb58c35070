-- RSA certificates (issue 16): rtc.generateCertificate{name = "RSASSA-PKCS1-v1_5"}
-- as in W3C, and peers with an RSA certificate in either DTLS role (the
-- answerer is the DTLS client, a=setup:active).
local H = dofile((arg[0]:match("^(.*)/") or ".") .. "/harness.lua")
local test, eq, ok = H.test, H.eq, H.ok
local rtc = H.rtc

local RSA = { name = "RSASSA-PKCS1-v1_5", modulusLength = 2048, publicExponent = { 1, 0, 1 }, hash = "SHA-256" }

test("generateCertificate makes RSA and ECDSA keys, refuses the rest", function()
  local rsa = assert(rtc.generateCertificate(RSA))
  local _, kp = rsa:toPEM()
  ok(kp:find("RSA PRIVATE KEY", 1, true), "an RSA key", kp:sub(1, 40))
  local ec = assert(rtc.generateCertificate({ name = "ECDSA", namedCurve = "P-256" }))
  _, kp = ec:toPEM()
  ok(kp:find("EC PRIVATE KEY", 1, true), "an EC key", kp:sub(1, 40))
  ok(rtc.generateCertificate("ECDSA"), "a bare name")
  for _, bad in ipairs({
    { name = "ECDSA", namedCurve = "P-384" },
    { name = "RSA-PSS" },
    { name = "RSASSA-PKCS1-v1_5", modulusLength = 512 },
    { name = "RSASSA-PKCS1-v1_5", publicExponent = 3 },
    { name = "RSASSA-PKCS1-v1_5", hash = "SHA-1" },
    { name = "RSASSA-PKCS1-v1_5", modulusLength = 0 / 0 },
    { name = "RSASSA-PKCS1-v1_5", publicExponent = true },
    { name = 5 },
    {},
  }) do
    local c, err = rtc.generateCertificate(bad)
    eq(c, nil, "refused")
    ok(type(err) == "string" and err:find("generateCertificate", 1, true), "a reason", err)
  end
end)

local rsa_cert
for _, case in ipairs({ { "offerer", true, false }, { "answerer", false, true }, { "two sides", true, true } }) do
  test("a connection with an RSA certificate on the " .. case[1], function()
    rsa_cert = rsa_cert or assert(rtc.generateCertificate(RSA))
    local ca = case[2] and { certificates = { rsa_cert } } or nil
    local cb = case[3] and { certificates = { rsa_cert } } or nil
    local a, b, da, db = H.connected("rsa", nil, ca, cb)
    local got
    db.onmessage = function(m) got = m.data end
    da:send("over RSA")
    H.waitFor(function() return got end, "message")
    eq(got, "over RSA")
    local back
    da.onmessage = function(m) back = m.data end
    db:send("and back")
    H.waitFor(function() return back end, "reply")
    eq(back, "and back")
    ok(a.connectionState == "connected" and b.connectionState == "connected", "connected")
    -- getStats: the offerer is the DTLS server (the answer says a=setup:active);
    -- the server's key picks the suite
    local function transport(pc)
      for _, s in pairs(pc:getStats()) do
        if s.type == "transport" then return s end
      end
    end
    local ta, tb = transport(a), transport(b)
    eq(ta.dtlsRole, "server")
    eq(tb.dtlsRole, "client")
    local want = case[2] and "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" or "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
    eq(ta.dtlsCipher, want)
    eq(tb.dtlsCipher, want)
  end)
end

H.run()
