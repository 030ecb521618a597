// Lua: what sniff's TransactionTracker does (src/sniff/transactions), for
// Wireshark's way of working. Wireshark dissects every packet once in order
// (pinfo.visited false), then again whenever it shows one: the first pass
// builds the state here (per connection: which side is the server, requests
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

local state

local function reset_state()
  state = { convs = {}, calls = {}, settled = false }
end
reset_state()

local function endpoint(addr, port)
  return tostring(addr) .. "|" .. port
end

-- a: the sender of the first packet the dissector saw, b: its peer.
local function new_conv(pinfo)
  return {
    dirs = {}, pending = {}, answered = {}, undecided = {},
    a = endpoint(pinfo.src, pinfo.src_port), a_port = pinfo.src_port,
    b = endpoint(pinfo.dst, pinfo.dst_port), b_port = pinfo.dst_port,
  }
end

-- The connection this packet belongs to, by its four-tuple. (Field values
-- such as tcp.stream are not there when Wireshark dissects without a tree, as
-- tshark's first pass does, so a four-tuple reused by a new connection goes
-- on as the old one here, where sniff starts afresh at the new SYN.)
local function conv_key(pinfo)
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

-- Seconds since the capture's first packet: a double small enough to keep
-- nanoseconds (pinfo.abs_ts, near 1.7e9, keeps a quarter of a microsecond).
local function now(pinfo)
  return pinfo.rel_ts
end

-- b - a seconds as an NSTime, rounded to the nanosecond.
local function elapsed(a, b)
  local ns = math.floor((b - a) * 1e9 + 0.5)
  return NSTime.new(math.floor(ns / 1e9), ns % 1e9)
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

-- A frame's role, and its place in the pairing, once the server side is known.
local function dispatch(c, f)
  f.role = (f.from == c.server) and "response" or "request"
  f.findings = peer_findings(f)
  if f.role == "request" then add_request(c, f) else add_response(c, f) end
end

local function orient(c, server, by)
  c.server, c.server_by = server, by
  local held = c.undecided
  c.undecided = {}
  for _, f in ipairs(held) do dispatch(c, f) end
end

-- No frame told which side is the server (the capture started mid-stream):
-- the port below the ephemeral range is the server's, else the first frame
-- held was a request (sniff's guessServer).
local function guessed_server(c)
  local a_low, b_low = c.a_port < EPHEMERAL_PORT_MIN, c.b_port < EPHEMERAL_PORT_MIN
  if a_low ~= b_low then return a_low and c.a or c.b end
  local first = c.undecided[1]
  return (first == nil or first.from == c.a) and c.b or c.a
end

local function guess_server(c)
  if c.server == nil then orient(c, guessed_server(c), "guess") end
end

-- A frame's role for showing it before the server side is settled (a
-- one-pass tshark): what the guess would say now.
local function role_of(f)
  if f.role ~= nil then return f.role end
  return (f.from == guessed_server(f.conv)) and "response" or "request"
end

-- A frame only a server sends: err_code or err_info set, or an msg_id the
-- other side sent first (sniff's decideFrom).
local function answers(c, f)
  if f.err_code ~= 0 or f.err_info_len > 0 then return true end
  for _, u in ipairs(c.undecided) do
    if u.from ~= f.from and u.msg_id == f.msg_id then return true end
  end
  return false
end

-- Which side is the server: a listed port says so at once (as sniff --port
-- does). sniff also takes the SYN's word, which a Lua dissector cannot see;
-- without it, frames wait until one is an answer, and at the end of the first
-- pass (or after MAX_UNDECIDED frames) the ports decide, as in sniff.
local function new_frame(c, d, pinfo, s, off, pos, r)
  local f = {
    num = pinfo.number, ts = now(pinfo), offset = pos, from = d.key, conv = c,
    pk_len = r.pk_len, msg_id_len = r.msg_id_len, method_len = r.method_len,
    err_info_len = r.err_info_len, pb_len = r.pb_len, err_code = r.err_code,
    msg_id = s:sub(off + MSG_ID_AT + 1, off + MSG_ID_AT + r.msg_id_len),
    method = s:sub(off + MSG_ID_AT + r.msg_id_len + 5, off + MSG_ID_AT + r.msg_id_len + 4 + r.method_len),
  }
  if c.server == nil then
    if port_listed(pinfo.dst_port) then
      c.server, c.server_by = endpoint(pinfo.dst, pinfo.dst_port), "port"
    elseif port_listed(pinfo.src_port) then
      c.server, c.server_by = f.from, "port"
    elseif answers(c, f) then
      orient(c, f.from, "answer")
    else
      c.undecided[#c.undecided + 1] = f
      if #c.undecided > MAX_UNDECIDED then guess_server(c) end
      return f
    end
  end
  dispatch(c, f)
  return f
end

-- Frames still missing this many bytes are reassembled one whole segment at
-- a time (TCP then calls again for every segment, and the header is checked
-- as early as sniff checks it); longer ones in one go.
local SEGMENT_AT_A_TIME = 256 * 1024

-- The decode loop over s from off, as stream position base + offset: frames,
-- errors and skipped bytes into items. Stops at the end, or at a frame not
-- all there (returned); with finishing (the stream has ended) that frame is
-- TRUNCATED instead and the search for frames goes on inside its bytes, as
-- the stream decoder's finish does.
local function scan(c, d, pinfo, s, off, base, items, finishing)
  local n = #s
  while true do
    if d.resync ~= nil then
      local at = s:find(START_CHAR, off + 1, true)
      local stop = at ~= nil and at - 1 or n
      if stop > off then
        d.resync.skipped = d.resync.skipped + (stop - off)
        local last = items[#items]
        if last ~= nil and last.err == d.resync and last.off + last.len == off then
          last.len = last.len + (stop - off)
        else
          items[#items + 1] = { kind = "skip", off = off, len = stop - off, err = d.resync }
        end
      end
      off = stop
      if at == nil then return off, nil end
      d.resync = nil
    end
    if off >= n then return off, nil end
    local r = decode_frame(s, off)
    if r.kind == "frame" then
      d.quiet = false
      items[#items + 1] = { kind = "frame", off = off, frame = new_frame(c, d, pinfo, s, off, base + off, r) }
      off = off + r.pk_len
    elseif r.kind == "incomplete" and not finishing then
      return off, r
    else
      if r.kind == "incomplete" then
        local avail = n - off
        local message = avail >= PK_LEN_AT + 4
          and string.format("stream ended %d bytes into a frame of pk_len %d", avail, int32_at(s, off + PK_LEN_AT))
          or string.format("stream ended %d bytes into a frame header", avail)
        r = { code = "TRUNCATED", message = message }
      end
      local e = { code = r.code, message = r.message, offset = base + off, skipped = 1, num = pinfo.number, quiet = d.quiet }
      items[#items + 1] = { kind = "error", off = off, len = 1, err = e }
      d.resync = e
      off = off + 1
    end
  end
end


local function analyze(tvb, pinfo, c, d)
  local s = tvb:raw()
  local n = #s
  local call = { items = {}, num = pinfo.number }
  local items = call.items
  -- Where this tvb starts in the stream, what of it was analyzed already,
  -- and how much of it came from earlier segments. TCP hands over a
  -- reassembled PDU from its start; when the dissector asked for more at a
  -- point inside the bytes TCP already had, TCP extends that same PDU and
  -- presents it from its start again (and shows only that last time).
  local base, off, old_len = d.pos, 0, 0
  if d.msp ~= nil then
    base, old_len = d.msp.base, d.msp.old_len
    off = d.pos - base
    for _, it in ipairs(d.msp.carried) do
      items[#items + 1] = it
      if it.frame ~= nil then it.frame.num = pinfo.number end
      if it.err ~= nil and it.kind == "error" then it.err.num = pinfo.number end
    end
    d.msp = nil
  end
  d.tail = nil
  local first_new = #items + 1
  if not d.started then
    d.started = true
    -- A direction that does not begin with a frame was caught mid-stream:
    -- what precedes its first whole frame is skipped quietly, as sniff does.
    if starts_with_frame(s) == false then
      d.resync = { code = "MIDSTREAM", message = "the capture starts inside the stream", offset = base, skipped = 0, num = pinfo.number, quiet = true }
      d.quiet = true
      items[#items + 1] = { kind = "error", off = 0, len = 0, err = d.resync }
    end
  end
  local r
  off, r = scan(c, d, pinfo, s, off, base, items, false)
  if r ~= nil then
    local whole = r.rest and r.need > SEGMENT_AT_A_TIME
    call.desegment = { offset = off, len = whole and r.need or DESEGMENT_ONE_MORE_SEGMENT }
    if old_len > 0 and off <= old_len then
      d.msp = { base = base, old_len = n, carried = items }
      call.items = {}
    else
      d.msp = { base = base + off, old_len = n - off, carried = {} }
      -- What comes before the unfinished frame is shown in this packet.
      if off > 0 then d.shown, c.shown = call, call end
    end
    -- If the stream ends here, these bytes are what sniff calls TRUNCATED.
    d.tail = {
      call = call, off = off, bytes = s:sub(off + 1), pos = base + off,
      pinfo = { number = pinfo.number, rel_ts = pinfo.rel_ts, src = tostring(pinfo.src), src_port = pinfo.src_port, dst = tostring(pinfo.dst), dst_port = pinfo.dst_port },
    }
  end
  if r == nil then d.shown, c.shown = call, call end
  d.pos = base + off
  -- Frames completed by one segment were read together: rocket loses the whole
  -- read when it is 128 bytes or more (sniff's rule: the bytes of the segment).
  local completed, together = {}, 0
  for i = first_new, #items do
    if items[i].kind == "frame" then
      completed[#completed + 1] = items[i].frame
      together = together + items[i].frame.pk_len
    end
  end
  if #completed > 1 then
    for _, f in ipairs(completed) do f.segment_bytes = together end
  end
  return call
end

-- The first pass is over: a direction that ended inside a frame gets sniff's
-- TRUNCATED, and the frames inside those bytes. TCP keeps an unfinished
-- reassembly to itself, so they are shown from a copy of the bytes, with the
-- last packet of the connection that Wireshark shows with TinyPB in it.
local function finish_tail(c, d)
  local t = d.tail
  d.tail = nil
  -- Cut by the snap length, not by the stream's end: the rest of the frame
  -- was on the wire (sniff counts it as a gap, not a TRUNCATED frame).
  if d.cut then return end
  local items = {}
  scan(c, d, t.pinfo, t.bytes, 0, t.pos, items, true)
  local target = d.shown or c.shown
  if target == nil then return end
  target.tail = { bytes = t.bytes, items = items }
  for _, it in ipairs(items) do
    if it.frame ~= nil then it.frame.num = target.num end
    if it.kind == "error" then it.err.num = target.num end
  end
end

-- The first pass is over: directions that ended inside a frame are finished,
-- connections still undecided are guessed.
local function settle()
  if state.settled then return end
  state.settled = true
  for _, c in pairs(state.convs) do
    for _, d in pairs(c.dirs) do
      if d.tail ~= nil then finish_tail(c, d) end
    end
    if c.undecided ~= nil and #c.undecided > 0 then guess_server(c) end
  end
end
`
