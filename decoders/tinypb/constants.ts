// TinyPB wire constants (see ../shared/TINYPB.md). All integers are int32, big-endian.

export const START = 0x02 // STX: first byte of every frame
export const END = 0x03 // ETX: last byte of every frame

/** start(1) + pk_len(4) + msg_id_len(4) + method_name_len(4) + err_code(4) + err_info_len(4) + checksum(4) + end(1) */
export const FIXED_OVERHEAD = 26
export const MIN_FRAME = FIXED_OVERHEAD

/** Byte offsets relative to the frame start that do not depend on variable fields. */
export const PK_LEN_AT = 1
export const MSG_ID_LEN_AT = 5
export const MSG_ID_AT = 9
/** checksum(4) + end(1) sit at the tail of the frame. */
export const TRAILER = 5

/** Both frameworks always write 1 here and never verify it. */
export const DEFAULT_CHECKSUM = 1

/** Default largest frame the decoder accepts; larger pk_len values are rejected before any allocation. */
export const DEFAULT_MAX_FRAME = 64 * 1024 * 1024

// Limits of the C++ peers, from their fixed-size buffers and read paths.
/** tinyrpc copies msg_id into char[50]; rocket into char[100]. */
export const TINYRPC_MSG_ID_LIMIT = 50
export const ROCKET_MSG_ID_LIMIT = 100
/** rocket copies method_name and err_info into char[512]. */
export const ROCKET_NAME_LIMIT = 512
/** rocket's first read buffer is 128 bytes and an off-by-one loses larger frames. */
export const ROCKET_FRAME_DROP = 128
/** rocket replies to an empty msg_id with this one. */
export const ROCKET_EMPTY_MSG_ID_REPLY = '123456789'
