// Lua: the entry points. The dissector Wireshark calls for the listed ports
// and for connections the heuristic claimed; the heuristic on TCP; reset on
// every new capture file; and, when a .proto was given, the protobuf settings
// that make pbf.* filters work.

export const LUA_REGISTER = String.raw`
----------------------------------------------------------------------------
-- Entry points
----------------------------------------------------------------------------

-- Is this connection TinyPB? Decided once, from the first bytes the dissector
-- sees: a frame, or a whole frame further in (a capture started mid-stream).
-- Undecided while they are too few to tell.
local function detect(c, s)
  if c.protocol == nil then
    local start = starts_with_frame(s)
    if start == true or first_whole_frame(s) ~= nil then
      c.protocol = "tinypb"
    elseif start == false and #s >= DETECT_SCAN_BYTES then
      c.protocol = "other"
    end
  end
  return c.protocol
end

-- One call: in the first pass analyze the tvb and keep the record under
-- "frame:call" (a packet may end one reassembled frame and hold more frames
-- after it: Wireshark calls twice); in later passes show that record.
local function dissect(tvb, pinfo, root)
  local n = tonumber(pinfo.private["tinypb_calls"] or "0") + 1
  local key = pinfo.number .. ":" .. n
  local call
  if pinfo.visited then
    settle()
    call = state.calls[key]
    if call == false then return 0 end
    if call == nil then
      -- A packet of a known connection that the first pass left alone stays alone.
      if state.convs[conv_key(pinfo)] ~= nil then return 0 end
      -- A connection the first pass never saw (Decode As since): decode the packet on its own.
      local scratch = new_conv(pinfo)
      call = analyze(tvb, pinfo, scratch, dir_of(scratch, pinfo))
      guess_server(scratch)
    end
  else
    local k = conv_key(pinfo)
    local c = state.convs[k]
    if c == nil then
      c = new_conv(pinfo)
      state.convs[k] = c
    end
    -- A packet cut by the snap length: a reply may be among the missing bytes,
    -- so a request left without one is uncertain, as sniff reports it.
    if tvb:len() < tvb:reported_len() then
      c.cut = true
      dir_of(c, pinfo).cut = true
    end
    local s = tvb:raw()
    local p = detect(c, s)
    if p == "tinypb" then
      call = analyze(tvb, pinfo, c, dir_of(c, pinfo))
    elseif p == nil and #s > 0 and s:byte(1) == START_BYTE then
      -- Too few bytes to tell, and they may start a frame: wait for more.
      call = { items = {}, desegment = { offset = 0, len = DESEGMENT_ONE_MORE_SEGMENT } }
    else
      state.calls[key] = false
      return 0
    end
    state.calls[key] = call
  end
  pinfo.private["tinypb_calls"] = tostring(n)
  show(tvb, pinfo, root, call)
  if call.desegment ~= nil then
    pinfo.desegment_offset = call.desegment.offset
    pinfo.desegment_len = call.desegment.len
  end
  return tvb:len()
end

function tinypb.dissector(tvb, pinfo, root)
  return dissect(tvb, pinfo, root)
end

function tinypb.init()
  reset_state()
end

-- Heuristic on TCP: a connection whose first bytes are a TinyPB frame (0x02,
-- a sane pk_len, lengths that fit, 0x03 at its end), or a whole frame within
-- the first bytes of a capture that starts mid-stream. Once it has claimed a
-- connection, Wireshark sends the rest of it straight to the dissector.
local function heuristic(tvb, pinfo, root)
  if pinfo.visited then
    -- Later passes show what the first pass claimed, nothing more.
    local n = tonumber(pinfo.private["tinypb_calls"] or "0") + 1
    if not state.calls[pinfo.number .. ":" .. n] then return false end
    return dissect(tvb, pinfo, root) ~= 0
  end
  local known = state.convs[conv_key(pinfo)]
  if known ~= nil and known.protocol ~= nil then
    if known.protocol ~= "tinypb" then return false end
  else
    -- Cheap refusal first: most TCP payloads have no start byte near their beginning.
    local head = tvb:raw(0, math.min(tvb:len(), DETECT_SCAN_BYTES + MIN_FRAME))
    if not head:find(START_CHAR, 1, true) then return false end
    local s = tvb:raw()
    local start = starts_with_frame(s)
    if start == false and first_whole_frame(s) == nil then return false end
  end
  if dissect(tvb, pinfo, root) == 0 then return false end
  local c = state.convs[conv_key(pinfo)]
  if c ~= nil and c.protocol == "tinypb" then pinfo.conversation = tinypb end
  return true
end

tinypb:register_heuristic("tcp", heuristic)

local tcp_port = DissectorTable.get("tcp.port")
for _, r in ipairs(PORT_RANGES) do
  tcp_port:add(r[1] == r[2] and r[1] or (r[1] .. "-" .. r[2]), tinypb)
end

-- Message types from the .proto files: have Wireshark's protobuf dissector
-- load them at start and register their fields (pbf.<message>.<field>) so
-- display filters can use them. This changes these two protobuf preferences
-- for this session only; delete these lines to keep your own.
if next(METHODS) ~= nil then
  pcall(set_preference, "protobuf.preload_protos", true)
  pcall(set_preference, "protobuf.pbf_as_hf", true)
end
`
