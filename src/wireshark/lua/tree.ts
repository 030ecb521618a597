// Lua: the protocol, its fields and expert infos, and how a dissector call's
// record is shown (tree, Info column, protobuf payload).

export const LUA_FIELDS = String.raw`
----------------------------------------------------------------------------
-- Protocol, fields, expert infos
----------------------------------------------------------------------------

local tinypb = Proto("tinypb", "TinyPB (rocket / tinyrpc RPC)")

local F = {
  type         = ProtoField.uint8("tinypb.type", "Type", base.DEC, { [0] = "Request", [1] = "Response" }),
  start        = ProtoField.uint8("tinypb.start", "Start", base.HEX),
  pk_len       = ProtoField.int32("tinypb.pk_len", "pk_len (whole frame)", base.DEC),
  msg_id_len   = ProtoField.int32("tinypb.msg_id_len", "msg_id_len", base.DEC),
  msg_id       = ProtoField.string("tinypb.msg_id", "msg_id"),
  method_len   = ProtoField.int32("tinypb.method_len", "method_name_len", base.DEC),
  method       = ProtoField.string("tinypb.method", "method_name"),
  service      = ProtoField.string("tinypb.service", "Service (method_name up to its first dot, as the servers split it)"),
  err_code     = ProtoField.int32("tinypb.err_code", "err_code", base.DEC, ERROR_NAMES),
  err_info_len = ProtoField.int32("tinypb.err_info_len", "err_info_len", base.DEC),
  err_info     = ProtoField.string("tinypb.err_info", "err_info"),
  pb_len       = ProtoField.uint32("tinypb.pb_len", "pb_data length", base.DEC),
  pb_data      = ProtoField.bytes("tinypb.pb_data", "pb_data"),
  checksum     = ProtoField.uint32("tinypb.checksum", "checksum (always 1, never checked)", base.DEC),
  stop         = ProtoField.uint8("tinypb.end", "End", base.HEX),
  offset       = ProtoField.uint64("tinypb.offset", "Offset in this direction's stream", base.DEC),
  request_in   = ProtoField.framenum("tinypb.request_in", "Request in frame", base.NONE, frametype.REQUEST),
  response_in  = ProtoField.framenum("tinypb.response_in", "Response in frame", base.NONE, frametype.RESPONSE),
  time         = ProtoField.relative_time("tinypb.time", "Time since request"),
  likely_cause = ProtoField.string("tinypb.likely_cause", "Likely cause"),
  duplicate_of = ProtoField.framenum("tinypb.duplicate_of", "First reply to this msg_id in frame", base.NONE),
  error        = ProtoField.string("tinypb.error", "Decode error"),
  error_text   = ProtoField.string("tinypb.error_text", "Decode error text"),
  skipped      = ProtoField.uint32("tinypb.skipped", "Bytes skipped to the next start byte", base.DEC),
  resync_of    = ProtoField.framenum("tinypb.resync_of", "Still skipping after the error in frame", base.NONE),
}
local field_list = {}
for _, f in pairs(F) do field_list[#field_list + 1] = f end
tinypb.fields = field_list

local E = {
  malformed = ProtoExpert.new("tinypb.malformed", "Malformed TinyPB frame", expert.group.MALFORMED, expert.severity.ERROR),
  garbage = ProtoExpert.new("tinypb.garbage", "Bytes between frames that are not a frame", expert.group.MALFORMED, expert.severity.WARN),
  midstream = ProtoExpert.new("tinypb.midstream", "Skipped to the first whole frame: the capture starts inside the stream", expert.group.SEQUENCE, expert.severity.NOTE),
  error_response = ProtoExpert.new("tinypb.error_response", "Response with err_code != 0", expert.group.RESPONSE_CODE, expert.severity.NOTE),
  unanswered = ProtoExpert.new("tinypb.unanswered", "Request with no response in the capture", expert.group.SEQUENCE, expert.severity.WARN),
  uncertain = ProtoExpert.new("tinypb.uncertain", "Request with no response seen, on a connection the capture cut short: the reply may be in the missing bytes", expert.group.SEQUENCE, expert.severity.NOTE),
  duplicate_response = ProtoExpert.new("tinypb.duplicate_response", "Duplicate response", expert.group.SEQUENCE, expert.severity.WARN),
  orphan_response = ProtoExpert.new("tinypb.orphan_response", "Response without a request", expert.group.SEQUENCE, expert.severity.WARN),
  duplicate_msg_id = ProtoExpert.new("tinypb.duplicate_msg_id", "msg_id already in flight", expert.group.SEQUENCE, expert.severity.WARN),
  method_mismatch = ProtoExpert.new("tinypb.method_mismatch", "Reply names another method than its request", expert.group.PROTOCOL, expert.severity.WARN),
  payload = ProtoExpert.new("tinypb.payload", "pb_data does not parse", expert.group.MALFORMED, expert.severity.WARN),
  empty_msg_id_reply = ProtoExpert.new("tinypb.empty_msg_id_reply", "rocket's reply to an empty msg_id", expert.group.PROTOCOL, expert.severity.NOTE),
}
-- One expert per peer-safety finding: tinypb.peer.msg_id_too_long, ...
local PEER_EXPERTS = {}
for _, p in ipairs(PEER_FINDINGS) do
  if PEER_EXPERTS[p.code] == nil then
    local crash = p.effect == "crash"
    PEER_EXPERTS[p.code] = ProtoExpert.new("tinypb.peer." .. p.code:lower(), p.title,
      crash and expert.group.SECURITY or expert.group.PROTOCOL, crash and expert.severity.ERROR or expert.severity.WARN)
  end
end
local expert_list = {}
for _, e in pairs(E) do expert_list[#expert_list + 1] = e end
for _, e in pairs(PEER_EXPERTS) do expert_list[#expert_list + 1] = e end
tinypb.experts = expert_list
`

export const LUA_RENDER = String.raw`
----------------------------------------------------------------------------
-- Showing a call's record
----------------------------------------------------------------------------

local protobuf = nil
do
  local ok, d = pcall(Dissector.get, "protobuf")
  if ok then protobuf = d end
end

local function error_name(code)
  return ERROR_NAMES[code] or fill(APPLICATION_ERROR, { code = code })
end

-- The Info column, like rpcdiag's frame lines.
local function summary(f, visited)
  local role = role_of(f)
  local head = string.format("%s %s #%s", display(f.method), role, display(f.msg_id))
  if role == "request" then
    if visited and f.response == nil then head = head .. " [no response]" end
    return head
  end
  head = head .. string.format(" err_code %d", f.err_code)
  if f.err_code ~= 0 then head = head .. " " .. error_name(f.err_code) end
  if f.duplicate_of ~= nil then head = head .. " [duplicate]" elseif f.orphan then head = head .. " [no request]" end
  return head
end

local function add_string(t, field, tvb, off, len)
  if len > 0 then return t:add_packet_field(field, tvb(off, len), ENC_UTF_8) end
  return t:add(field, tvb(off, 0), "")
end

-- Is s[from, to) protobuf wire format: tags with a field number and a known
-- wire type, varints of at most 10 bytes, lengths and fixed fields inside the
-- bytes, groups closed? (What rpcdiag's schema-less decoder accepts at the top
-- level.) Wireshark 4.0's protobuf dissector can trip over bytes that are not.
local function protobuf_wire(s, from, to)
  local at = from
  local function varint()
    local v, mul = 0, 1
    for _ = 1, 10 do
      if at >= to then return nil end
      local b = s:byte(at + 1)
      at = at + 1
      v = v + (b % 128) * mul
      mul = mul * 128
      if b < 128 then return v end
    end
    return nil
  end
  local groups = {}
  while at < to do
    local tag = varint()
    if tag == nil then return false end
    local field, wire = math.floor(tag / 8), tag % 8
    if field == 0 then return false end
    if wire == 0 then
      if varint() == nil then return false end
    elseif wire == 1 or wire == 5 then
      at = at + (wire == 1 and 8 or 4)
      if at > to then return false end
    elseif wire == 2 then
      local len = varint()
      if len == nil or len > to - at then return false end
      at = at + len
    elseif wire == 3 then
      groups[#groups + 1] = field
    elseif wire == 4 then
      if groups[#groups] ~= field then return false end
      groups[#groups] = nil
    else
      return false
    end
  end
  return #groups == 0
end

local function show_payload(tvb, pinfo, t, f, off)
  if protobuf == nil or f.pb_len == 0 then return end
  if not protobuf_wire(tvb:raw(off, f.pb_len), 0, f.pb_len) then
    t:add_proto_expert_info(E.payload, string.format("%s pb_data is not protobuf wire format (%d bytes)", role_of(f), f.pb_len))
    return
  end
  local types = METHODS[f.method]
  local type_name = types ~= nil and types[role_of(f)] or nil
  -- Wireshark's protobuf dissector takes the message type this way; without
  -- one it shows the fields by number (schema-less).
  pinfo.private["pb_msg_type"] = type_name ~= nil and ("message," .. type_name) or nil
  -- pb_data that is not protobuf (or not this type) makes it throw: say so and go on.
  local ok, why = pcall(Dissector.call, protobuf, tvb(off, f.pb_len):tvb(), pinfo, t)
  pinfo.private["pb_msg_type"] = nil
  if not ok then
    t:add_proto_expert_info(E.payload, string.format("%s payload does not parse as %s: %s", role_of(f), type_name or "protobuf", tostring(why)))
  end
end

local function show_frame(tvb, pinfo, root, it)
  local f, o = it.frame, it.off
  local role = role_of(f)
  local t = root:add(tinypb, tvb(o, f.pk_len))
  t:append_text(", " .. summary(f, pinfo.visited))
  t:add(F.type, role == "request" and 0 or 1):set_generated()
  t:add(F.start, tvb(o, 1))
  t:add(F.pk_len, tvb(o + PK_LEN_AT, 4))
  t:add(F.msg_id_len, tvb(o + MSG_ID_LEN_AT, 4))
  add_string(t, F.msg_id, tvb, o + MSG_ID_AT, f.msg_id_len)
  local at = o + MSG_ID_AT + f.msg_id_len
  t:add(F.method_len, tvb(at, 4))
  add_string(t, F.method, tvb, at + 4, f.method_len)
  local service = service_of(f.method)
  if service ~= nil then t:add(F.service, tvb(at + 4, #service), service):set_generated() end
  at = at + 4 + f.method_len
  t:add(F.err_code, tvb(at, 4))
  t:add(F.err_info_len, tvb(at + 4, 4))
  add_string(t, F.err_info, tvb, at + 8, f.err_info_len)
  at = at + 8 + f.err_info_len
  t:add(F.pb_len, f.pb_len):set_generated()
  if f.pb_len > 0 then t:add(F.pb_data, tvb(at, f.pb_len)) end
  local pb_at = at
  at = at + f.pb_len
  t:add(F.checksum, tvb(at, 4))
  t:add(F.stop, tvb(at + 4, 1))
  t:add(F.offset, UInt64.new(f.offset)):set_generated()

  if f.role == nil then
    -- Not paired yet: sniff holds such frames too, until one tells the sides apart.
  elseif role == "request" then
    if f.response ~= nil then
      t:add(F.response_in, f.response.num):set_generated()
    elseif pinfo.visited and f.conv.cut then
      t:add_proto_expert_info(E.uncertain, string.format("No response to msg_id %s seen; packets of this connection were cut by the snap length", display(f.msg_id)))
    elseif pinfo.visited then
      t:add_proto_expert_info(E.unanswered, string.format("No response to msg_id %s in this capture", display(f.msg_id)))
      if f.segment_bytes ~= nil and f.segment_bytes >= ROCKET_FRAME_DROP then
        t:add(F.likely_cause, fill(READ_RULE_CAUSE, { size = f.pk_len, segment = f.segment_bytes })):set_generated()
      end
      local which = next(METHODS) == nil and "noSchema" or (METHODS[f.method] ~= nil and "inProto" or "notInProto")
      for _, cause in ipairs(UNANSWERED_CAUSES[which]) do
        t:add(F.likely_cause, fill(cause, { method = display(f.method) })):set_generated()
      end
    end
    if f.in_flight_since ~= nil then
      t:add_proto_expert_info(E.duplicate_msg_id, string.format("msg_id %s is already in flight on this connection (frame %d): replies cannot be told apart", display(f.msg_id), f.in_flight_since.num))
    end
  else
    if f.request ~= nil then
      t:add(F.request_in, f.request.num):set_generated()
      t:add(F.time, elapsed(f.request.ts, f.ts)):set_generated()
      if f.request.method ~= f.method then
        t:add_proto_expert_info(E.method_mismatch, string.format("the reply to msg_id %s names method \"%s\", the request \"%s\"", display(f.request.msg_id), display(f.method), display(f.request.method)))
      end
      if f.empty_msg_id_reply then
        t:add_proto_expert_info(E.empty_msg_id_reply, string.format("rocket answered a request with an empty msg_id using msg_id \"%s\"", ROCKET_EMPTY_MSG_ID_REPLY))
      end
    elseif f.duplicate_of ~= nil then
      t:add(F.duplicate_of, f.duplicate_of.num):set_generated()
      t:add_proto_expert_info(E.duplicate_response, string.format("msg_id %s was answered before (frame %d); this is reply %d: rocket re-sends every earlier reply on a reused connection", display(f.msg_id), f.duplicate_of.num, f.reply_count))
    else
      t:add_proto_expert_info(E.orphan_response, string.format("no request with msg_id %s was seen on this connection", display(f.msg_id)))
    end
    if f.err_code ~= 0 then
      local info = f.err_info_len > 0 and (": " .. display(tvb(o + MSG_ID_AT + f.msg_id_len + 4 + f.method_len + 8, f.err_info_len):raw())) or ""
      t:add_proto_expert_info(E.error_response, string.format("err_code %d %s%s", f.err_code, error_name(f.err_code), info))
    end
  end
  for _, p in ipairs(f.findings or peer_findings({ role = role, pk_len = f.pk_len, msg_id_len = f.msg_id_len, method_len = f.method_len, err_info_len = f.err_info_len, method = f.method })) do
    t:add_proto_expert_info(PEER_EXPERTS[p.finding.code], string.format("%s %s", role, p.text))
  end
  show_payload(tvb, pinfo, t, f, pb_at)
end

local function show_error(tvb, root, it)
  local e = it.err
  local t = root:add(tinypb, tvb(it.off, it.len))
  if it.kind == "skip" then
    t:append_text(string.format(", %d bytes skipped to the next start byte", it.len))
    t:add(F.resync_of, e.num):set_generated()
    return
  end
  t:append_text(string.format(", %s at stream offset %d: %d bytes skipped", e.code, e.offset, e.skipped))
  t:add(F.error, e.code):set_generated()
  t:add(F.error_text, e.message):set_generated()
  t:add(F.offset, UInt64.new(e.offset)):set_generated()
  t:add(F.skipped, e.skipped):set_generated()
  local text = string.format("%s (%s); %d bytes skipped to the next start byte", e.message, e.code, e.skipped)
  if e.quiet then
    t:add_proto_expert_info(E.midstream, text)
  elseif e.code == "BAD_START" then
    t:add_proto_expert_info(E.garbage, text)
  else
    t:add_proto_expert_info(E.malformed, text)
  end
end

local function show_items(tvb, pinfo, root, items, texts)
  for _, it in ipairs(items) do
    if it.kind == "frame" then
      show_frame(tvb, pinfo, root, it)
      texts[#texts + 1] = summary(it.frame, pinfo.visited)
    else
      show_error(tvb, root, it)
      if it.kind == "error" then
        texts[#texts + 1] = it.err.quiet and string.format("%d bytes before the first whole frame", it.len) or ("malformed: " .. it.err.code)
      end
    end
  end
end

local function show(tvb, pinfo, root, call)
  local texts = {}
  show_items(tvb, pinfo, root, call.items, texts)
  if call.tail ~= nil then
    local bytes = ByteArray.new(call.tail.bytes, true):tvb("TinyPB at the end of the stream")
    show_items(bytes, pinfo, root, call.tail.items, texts)
  end
  if #texts == 0 and #call.items == 0 then return end
  pinfo.cols.protocol = "TinyPB"
  local text = table.concat(texts, "; ")
  if text == "" then return end
  -- A packet can carry the end of one reassembled frame and more frames after it: two calls.
  if pinfo.private["tinypb_info"] == nil then
    pinfo.cols.info = text
    pinfo.private["tinypb_info"] = "1"
  else
    pinfo.cols.info:append("; " .. text)
  end
end
`
