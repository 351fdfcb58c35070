-- Metatables for the objects made in Lua whose W3C attributes are computed: reading an
-- attribute calls its getter, writing one calls its setter or raises "read-only" (as a
-- browser's strict-mode script sees), other keys are methods or plain fields.
-- .getters is exposed as the core classes expose theirs (tests/lua/docs_test.lua lists
-- attributes from it).
local error, rawset = error, rawset

return function(methods, getters, setters)
  return {
    __index = function(self, k)
      local g = getters[k]
      if g then return g(self) end
      return methods[k]
    end,
    __newindex = function(self, k, v)
      local s = setters and setters[k]
      if s then return s(self, v) end
      if getters[k] then error("attribute '" .. k .. "' is read-only", 2) end
      rawset(self, k, v)
    end,
    getters = getters,
  }
end
