// Lua: what sniff's TransactionTracker does (src/sniff/transactions), for
// Wireshark's way of working. Wireshark dissects every packet once in order
// (pinfo.visited false), then again whenever it shows one: the first pass
// builds the state here (per TCP stream: which side is the server, requests
// waiting by msg_id, msg_ids answered; per direction: stream position and an
// unfinished resync), and records what each dissector call found under
// "frame number:call number"; later passes only read those records.

/** The peer-safety checks the Lua implements, by finding code (peerSafety's conditions). */
export const LUA_PEER_CHECKS = [
  'MSG_ID_TOO_LONG',
  'METHOD_NAME_TOO_LONG',
  'ERR_INFO_TOO_LONG',
  'FRAME_DROPPED_BY_ROCKET',
  'METHOD_HAS_PACKAGE',
  'METHOD_WITHOUT_DOT',
  'EMPTY_MSG_ID',
] as const

export const LUA_ANALYSIS = String.raw`
----------------------------------------------------------------------------
-- Text helpers
----------------------------------------------------------------------------

-- Control characters as \t \n \r or \xNN, like rpcdiag's displayText: names
-- and ids come off the wire and end up in columns and messages.
local function display(s)
  return (s:gsub("[%z\1-\31\127]", function(ch)
    local b = ch:byte()
    if b == 9 then return "\\t" elseif b == 10 then return "\\n" elseif b == 13 then return "\\r" end
    return string.format("\\x%02x", b)
  end))
end

local function fill(template, vars)
  return (template:gsub("{([%w_]+)}", vars))
end

local function port_listed(port)
  for _, r in ipairs(PORT_RANGES) do
    if port >= r[1] and port <= r[2] then return true end
  end
  return false
end

----------------------------------------------------------------------------
-- Peer safety (decoders/tinypb/peer-safety.ts): the conditions; the texts
-- are rpcdiag's own, in PEER_FINDINGS.
----------------------------------------------------------------------------

local function service_of(method)
  return method:match("^([^.]*)%.")
end

-- Each check returns the PEER_FINDINGS variant that applies, or nil.
local PEER_CHECKS = {
  MSG_ID_TOO_LONG = function(f)
    if f.msg_id_len >= ROCKET_MSG_ID_LIMIT then return "any" end
    if f.msg_id_len >= TINYRPC_MSG_ID_LIMIT then return "tinyrpc-only" end
  end,
  METHOD_NAME_TOO_LONG = function(f) if f.method_len >= ROCKET_NAME_LIMIT then return "any" end end,
  ERR_INFO_TOO_LONG = function(f) if f.err_info_len >= ROCKET_NAME_LIMIT then return "any" end end,
  FRAME_DROPPED_BY_ROCKET = function(f) if f.pk_len >= ROCKET_FRAME_DROP then return "any" end end,
  METHOD_WITHOUT_DOT = function(f) if not f.method:find(".", 1, true) then return "any" end end,
  METHOD_HAS_PACKAGE = function(f)
    local dot = f.method:find(".", 1, true)
    if dot and f.method:find(".", dot + 1, true) then return "any" end
  end,
  EMPTY_MSG_ID = function(f) if f.msg_id_len == 0 then return "any" end end,
}

local function peer_findings(f)
  local out = {}
  local seen = {}
  for _, p in ipairs(PEER_FINDINGS) do
    if not seen[p.code] and (f.role == "request" or p.responses_too) and PEER_CHECKS[p.code](f) == p.variant then
      seen[p.code] = true
      local vars = {
        pk_len = f.pk_len, msg_id_len = f.msg_id_len, method_len = f.method_len, err_info_len = f.err_info_len,
        method = display(f.method), service = display(service_of(f.method) or ""),
      }
      out[#out + 1] = { finding = p, text = fill(p.template, vars) }
    end
  end
  return out
end

----------------------------------------------------------------------------
-- State of the first pass
----------------------------------------------------------------------------

local f_tcp_stream = Field.new("tcp.stream")
local f_time = Field.new("frame.time_epoch")

local state

local function reset_state()
  state = { convs = {}, calls = {} }
end
reset_state()

local function endpoint(addr, port)
  return tostring(addr) .. "|" .. port
end

local function new_conv()
  return { dirs = {}, pending = {}, answered = {} }
end

-- The TCP stream this packet belongs to (tcp.stream starts a new one when a
-- SYN reuses the four-tuple, as sniff does).
local function conv_key(pinfo)
  local fi = f_tcp_stream()
  if fi ~= nil then return tostring(fi.value) end
  local a, b = endpoint(pinfo.src, pinfo.src_port), endpoint(pinfo.dst, pinfo.dst_port)
  if a > b then a, b = b, a end
  return a .. "-" .. b
end

local function dir_of(c, pinfo)
  local key = endpoint(pinfo.src, pinfo.src_port)
  local d = c.dirs[key]
  if d == nil then
    d = { key = key, pos = 0, resync = nil, started = false, quiet = false }
    c.dirs[key] = d
  end
  return d
end

local function now(pinfo)
  local fi = f_time()
  if fi ~= nil then return fi.value end
  return NSTime.new(math.floor(pinfo.abs_ts), 0) + NSTime.new(0, math.floor((pinfo.abs_ts % 1) * 1e9 + 0.5))
end

-- Which endpoint is the server, decided at a connection's first frame: a
-- listed port (as sniff --port), a frame only a server sends (err_code or
-- err_info set), the port below the ephemeral range, else the first sender
-- is the client. sniff also takes the SYN's word, which a Lua dissector
-- cannot see; the client sends both the SYN and the first frame.
local function decide_server(c, pinfo, f)
  if c.server ~= nil then return end
  local src = endpoint(pinfo.src, pinfo.src_port)
  local dst = endpoint(pinfo.dst, pinfo.dst_port)
  if port_listed(pinfo.dst_port) then
    c.server, c.server_by = dst, "port"
  elseif port_listed(pinfo.src_port) then
    c.server, c.server_by = src, "port"
  elseif f.err_code ~= 0 or f.err_info_len > 0 then
    c.server, c.server_by = src, "answer"
  else
    local src_low = pinfo.src_port < EPHEMERAL_PORT_MIN
    local dst_low = pinfo.dst_port < EPHEMERAL_PORT_MIN
    if src_low ~= dst_low then
      c.server, c.server_by = (src_low and src or dst), "ports"
    else
      c.server, c.server_by = dst, "first sender"
    end
  end
end

----------------------------------------------------------------------------
-- Pairing by msg_id (src/sniff/transactions/tracker.ts)
----------------------------------------------------------------------------

local function add_request(c, f)
  local waiting = c.pending[f.msg_id]
  if waiting == nil then
    c.pending[f.msg_id] = { f }
  else
    -- A reused msg_id queues behind the first: replies pair oldest first.
    f.in_flight_since = waiting[1]
    waiting[#waiting + 1] = f
  end
end

local function take_pending(c, msg_id)
  local waiting = c.pending[msg_id]
  if waiting == nil then return nil end
  local f = table.remove(waiting, 1)
  if #waiting == 0 then c.pending[msg_id] = nil end
  return f
end

local function add_response(c, f)
  local req = take_pending(c, f.msg_id)
  if req == nil and f.msg_id == ROCKET_EMPTY_MSG_ID_REPLY and c.pending[""] ~= nil then
    req = take_pending(c, "")
    f.empty_msg_id_reply = true
  end
  if req ~= nil then
    req.response = f
    f.request = req
    c.answered[req.msg_id] = { first = f, count = 1 }
    return
  end
  -- A re-sent reply (rocket on a reused connection) is only news as a duplicate.
  local a = c.answered[f.msg_id]
  if a ~= nil then
    a.count = a.count + 1
    f.duplicate_of = a.first
    f.reply_count = a.count
    return
  end
  f.orphan = true
end

----------------------------------------------------------------------------
-- One dissector call of the first pass: frames, errors and skipped bytes of
-- the tvb, with the stream decoder's resync (decoders/tinypb/stream.ts):
-- after an error, drop one byte and scan for the next start byte, as the
-- C++ servers do; an error is one error however many segments its resync spans.
----------------------------------------------------------------------------

local function new_frame(c, d, pinfo, s, off, r)
  local f = {
    num = pinfo.number, ts = now(pinfo), offset = d.pos + off,
    pk_len = r.pk_len, msg_id_len = r.msg_id_len, method_len = r.method_len,
    err_info_len = r.err_info_len, pb_len = r.pb_len, err_code = r.err_code,
    msg_id = s:sub(off + MSG_ID_AT + 1, off + MSG_ID_AT + r.msg_id_len),
    method = s:sub(off + MSG_ID_AT + r.msg_id_len + 5, off + MSG_ID_AT + r.msg_id_len + 4 + r.method_len),
  }
  decide_server(c, pinfo, f)
  f.role = (d.key == c.server) and "response" or "request"
  f.findings = peer_findings(f)
  if f.role == "request" then add_request(c, f) else add_response(c, f) end
  return f
end

local function analyze(tvb, pinfo, c, d)
  local s = tvb:raw()
  local n = #s
  local call = { items = {} }
  local items = call.items
  local off = 0
  if not d.started then
    d.started = true
    -- A direction that does not begin with a frame was caught mid-stream:
    -- what precedes its first whole frame is skipped quietly, as sniff does.
    if starts_with_frame(s) == false then
      d.resync = { code = "MIDSTREAM", message = "the capture starts inside a frame", offset = 0, skipped = 0, num = pinfo.number, quiet = true }
      d.quiet = true
    end
  end
  while true do
    if d.resync ~= nil then
      local at = s:find(START_CHAR, off + 1, true)
      local stop = at ~= nil and at - 1 or n
      if stop > off then
        d.resync.skipped = d.resync.skipped + (stop - off)
        local last = items[#items]
        if last ~= nil and last.err == d.resync then
          last.len = last.len + (stop - off)
        else
          items[#items + 1] = { kind = "skip", off = off, len = stop - off, err = d.resync }
        end
      end
      off = stop
      if at == nil then break end
      d.resync = nil
    end
    if off >= n then break end
    local r = decode_frame(s, off)
    if r.kind == "frame" then
      d.quiet = false
      items[#items + 1] = { kind = "frame", off = off, frame = new_frame(c, d, pinfo, s, off, r) }
      off = off + r.pk_len
    elseif r.kind == "incomplete" then
      call.desegment = { offset = off, len = r.need }
      break
    else
      local e = { code = r.code, message = r.message, offset = d.pos + off, skipped = 1, num = pinfo.number, quiet = d.quiet }
      items[#items + 1] = { kind = "error", off = off, len = 1, err = e }
      d.resync = e
      off = off + 1
    end
  end
  d.pos = d.pos + off
  -- Two requests completed by one segment: rocket loses both (its read path).
  local requests = {}
  for _, it in ipairs(items) do
    if it.kind == "frame" and it.frame.role == "request" then requests[#requests + 1] = it.frame end
  end
  if #requests > 1 then
    for _, f in ipairs(requests) do f.same_segment = true end
  end
  return call
end
`
