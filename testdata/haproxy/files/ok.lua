-- a Lua file for lua-load cases
core.log(core.info, "loaded")
