-- a Lua file for the lua-load cases: loads, registers nothing
local loaded = true
