// Lua: the frame decoder, a line-by-line port of decoders/tinypb/decode.ts
// (same checks in the same order, same error codes and messages), and the
// protocol detection of src/sniff/protocol-detect.ts. It reads a Lua string
// of the tvb's bytes (tvb:raw()), offsets 0-based as in the TypeScript.

export const LUA_DECODE = String.raw`
----------------------------------------------------------------------------
-- Reading frames (decoders/tinypb/decode.ts in Lua)
----------------------------------------------------------------------------

local START_CHAR = string.char(START_BYTE)

-- A big-endian int32 at 0-based offset o of the string s.
local function int32_at(s, o)
  local a, b, c, d = s:byte(o + 1, o + 4)
  local v = ((a * 256 + b) * 256 + c) * 256 + d
  if v >= 2147483648 then v = v - 4294967296 end
  return v
end

-- rest: every header check passed and only the rest of the frame is missing.
local function incomplete(need, rest)
  return { kind = "incomplete", need = need, rest = rest }
end

local function failure(code, message, pk_len)
  return { kind = "error", code = code, message = message, pk_len = pk_len }
end

local function overrun(pk_len, field, len)
  return failure("FIELD_OVERRUN", string.format("%s_len %d runs past pk_len %d", field, len, pk_len), pk_len)
end

-- One frame at offset off of s: a frame, "incomplete" with the bytes still
-- needed for the next check, or an error with rpcdiag's code. Every length is
-- checked as soon as its bytes are there, so garbage is refused early.
local function decode_frame(s, off)
  local avail = #s - off
  if avail <= 0 then return incomplete(1) end
  local first = s:byte(off + 1)
  if first ~= START_BYTE then
    return failure("BAD_START", string.format("expected start byte 0x%02x, got 0x%02x", START_BYTE, first))
  end
  if avail < PK_LEN_AT + 4 then return incomplete(PK_LEN_AT + 4 - avail) end

  local pk_len = int32_at(s, off + PK_LEN_AT)
  if pk_len < MIN_FRAME then
    return failure("PK_LEN_TOO_SMALL", string.format("pk_len %d is below the %d-byte minimum", pk_len, FIXED_OVERHEAD), pk_len)
  end
  if pk_len > MAX_FRAME then
    return failure("PK_LEN_TOO_LARGE", string.format("pk_len %d exceeds the maximum frame size %d", pk_len, MAX_FRAME), pk_len)
  end

  -- msg_id_len, then the 4-byte method_name_len after msg_id, must fit in pk_len.
  if avail < MSG_ID_AT then return incomplete(MSG_ID_AT - avail) end
  local msg_id_len = int32_at(s, off + MSG_ID_LEN_AT)
  if msg_id_len < 0 or MSG_ID_AT + msg_id_len + 4 > pk_len then return overrun(pk_len, "msg_id", msg_id_len) end

  -- method_name, then err_code and err_info_len.
  local method_len_at = MSG_ID_AT + msg_id_len
  if avail < method_len_at + 4 then return incomplete(method_len_at + 4 - avail) end
  local method_len = int32_at(s, off + method_len_at)
  local err_code_at = method_len_at + 4 + method_len
  if method_len < 0 or err_code_at + 8 > pk_len then return overrun(pk_len, "method_name", method_len) end

  -- err_info must end inside the frame.
  if avail < err_code_at + 8 then return incomplete(err_code_at + 8 - avail) end
  local err_info_len = int32_at(s, off + err_code_at + 4)
  if err_info_len < 0 or err_code_at + 8 + err_info_len > pk_len then return overrun(pk_len, "err_info", err_info_len) end

  local pb_len = pk_len - FIXED_OVERHEAD - msg_id_len - method_len - err_info_len
  if pb_len < 0 then
    return failure("NEGATIVE_PB_LEN", string.format("fields leave a pb_data length of %d", pb_len), pk_len)
  end

  if avail < pk_len then return incomplete(pk_len - avail, true) end
  local last = s:byte(off + pk_len)
  if last ~= END_BYTE then
    return failure("BAD_END", string.format("expected end byte 0x%02x at +%d, got 0x%02x", END_BYTE, pk_len - 1, last), pk_len)
  end
  return {
    kind = "frame", pk_len = pk_len, msg_id_len = msg_id_len, method_len = method_len,
    err_info_len = err_info_len, pb_len = pb_len, err_code = int32_at(s, off + err_code_at),
  }
end

-- Is this connection TinyPB? (src/sniff/protocol-detect.ts) From a stream's
-- first bytes: a frame, or a frame start whose lengths agree so far. From the
-- middle of a stream: a whole frame within the first DETECT_SCAN_BYTES.
-- Returns true, false, or nil when more bytes are needed to tell.
local function starts_with_frame(s)
  if #s == 0 then return nil end
  if s:byte(1) ~= START_BYTE then return false end
  local r = decode_frame(s, 0)
  if r.kind == "error" then return false end
  if r.kind == "frame" or #s >= PK_LEN_AT + 4 then return true end
  return nil
end

-- 0-based offset of the first whole frame within the scan window, or nil.
local function first_whole_frame(s)
  local limit = math.min(#s, DETECT_SCAN_BYTES + MIN_FRAME)
  local at = s:find(START_CHAR, 1, true)
  while at ~= nil and at <= limit do
    if decode_frame(s, at - 1).kind == "frame" then return at - 1 end
    at = s:find(START_CHAR, at + 1, true)
  end
  return nil
end
`
