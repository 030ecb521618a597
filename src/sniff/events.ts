// What a sniff session reports, one event at a time, in capture order. Events
// are plain data: strings, numbers and copies, never views into captured
// packets, so they may be kept, sent elsewhere or rendered later.
//
// Times (`t`) are ms since the capture's first whole second (SniffSession.baseSec),
// exact to the nanosecond; renderers turn them into clock time.

import type {PeerFinding} from '../../decoders/tinypb/index.js'
import type {NetAddr} from '../net/index.js'
import type {PayloadResult} from './payload-decoder.js'
import type {CloseReason} from './reassembly/index.js'

/** The process owning one end of a connection (live captures only). */
export interface ProcessRef {
  readonly pid: number
  readonly name: string
}

/** A connection as events name it. Shared by every event of the connection. */
export interface ConnRef {
  /** 1-based, in order of first sight. */
  readonly id: number
  /** "host:port", IPv6 in brackets. */
  client: string
  server: string
  clientAddr: NetAddr
  serverAddr: NetAddr
  /** How the server side was decided: --port, the SYN, who answered whom, or a guess from the port numbers. */
  serverBy: 'port' | 'syn' | 'answer' | 'guess' | undefined
  /** The capture started after the connection did. */
  midstream: boolean
  clientProcess?: ProcessRef
  serverProcess?: ProcessRef
}

/** A TinyPB frame, decoded. */
export interface FrameInfo {
  /** When its last byte was captured. */
  readonly t: number
  readonly msgId: string
  readonly method: string
  /** pk_len: the whole frame in bytes. */
  readonly size: number
  readonly pbLen: number
  readonly errCode: number
  readonly errInfo: string
  /** Decoded pb_data, when payloads are decoded (-v, --json -v, --proto). */
  payload?: PayloadResult
  /**
   * What this frame would do to rocket or tinyrpc (peerSafety), when anything:
   * every frame carries its own, while the PEER_SAFETY warning is reported once
   * per method (metrics count them all).
   */
  findings?: readonly PeerFinding[]
  /** A copy of the whole frame, when hex was asked for (-x). */
  readonly bytes?: Buffer
}

export type Side = 'client' | 'server'

/**
 * Why a transaction cannot be told: the capture lost bytes of the connection
 * (gap), kept only part of packets (truncated: a snap length shorter than the
 * packet), dropped packets (drop: the kernel's capture buffer or rpcdiag's own
 * queue overflowed), or saw two copies of the same bytes that disagree
 * (conflict: a retransmission with different data).
 */
export type UncertainReason = 'gap' | 'truncated' | 'drop' | 'conflict'

/** Why a request is thought to have gone unanswered. Most specific first. */
export interface Cause {
  readonly code: string
  readonly message: string
}

/** Why an `unanswered` event came, in words. */
export const UNANSWERED_REASON_TEXT: Readonly<Record<'timeout' | 'closed' | 'end', string>> = {
  timeout: 'no reply within --timeout',
  closed: 'the connection ended first',
  end: 'the capture ended first',
}

/** What made a call uncertain, in a word or two (the event's note says the rest). */
export const UNCERTAIN_LABEL: Readonly<Record<UncertainReason, string>> = {
  gap: 'capture gap',
  truncated: 'truncated packets',
  drop: 'dropped packets',
  conflict: 'retransmission with different data',
}

export type SniffEvent =
  | {readonly type: 'connection'; readonly t: number; readonly conn: ConnRef; readonly state: 'open'}
  /** One side sent its FIN (its stream ended in order). */
  | {readonly type: 'connection'; readonly t: number; readonly conn: ConnRef; readonly state: 'fin'; readonly from: Side}
  | {
      readonly type: 'connection'
      readonly t: number
      readonly conn: ConnRef
      readonly state: 'close'
      readonly reason: CloseReason
      /** The side that sent the RST, when reason is 'rst'. */
      readonly resetBy?: Side
      readonly packets: number
      readonly bytes: number
      readonly durationMs: number
    }
  | {readonly type: 'frame'; readonly t: number; readonly conn: ConnRef; readonly role: 'request' | 'response'; readonly frame: FrameInfo}
  | {
      readonly type: 'transaction'
      readonly t: number
      readonly conn: ConnRef
      readonly request: FrameInfo
      readonly response: FrameInfo
      /** Request's last byte to response's last byte. */
      readonly latencyMs: number
      readonly status: 'ok' | 'error'
      /** describeErrorCode(err_code) for an error response. */
      readonly errName?: string
      /** The reply came after --timeout, when the request had already been reported unanswered. */
      readonly late?: boolean
    }
  | {
      readonly type: 'unanswered'
      readonly t: number
      readonly conn: ConnRef
      readonly request: FrameInfo
      readonly waitedMs: number
      /** timeout: --timeout passed; closed: the connection ended first; end: the capture ended first. */
      readonly reason: 'timeout' | 'closed' | 'end'
      readonly causes: readonly Cause[]
    }
  | {
      readonly type: 'duplicate-response'
      readonly t: number
      readonly conn: ConnRef
      readonly response: FrameInfo
      /** When this msg_id was first answered, and how many replies it has had now. */
      readonly firstAnsweredAt: number
      readonly count: number
    }
  | {readonly type: 'orphan-response'; readonly t: number; readonly conn: ConnRef; readonly response: FrameInfo; readonly note: string}
  | {
      /**
       * A call whose fate the capture cannot tell, reported instead of an
       * unanswered request or a reply without request: a request with no reply
       * seen, a reply with no request seen, or both, when bytes the answer
       * depends on were lost, cut or seen twice with different data.
       */
      readonly type: 'uncertain'
      readonly t: number
      readonly conn: ConnRef
      readonly reason: UncertainReason
      /** Why, for humans: what is missing and what may be in it. */
      readonly note: string
      readonly request?: FrameInfo
      readonly response?: FrameInfo
      /** Request and reply both seen: request's last byte to reply's last byte. */
      readonly latencyMs?: number
      /** Only the request seen: how long it waited, and what ended the wait (as for unanswered). */
      readonly waitedMs?: number
      readonly waitEnded?: 'timeout' | 'closed' | 'end'
    }
  | {
      /**
       * The server answered a connection's SYN with a bare ACK: a challenge ACK
       * for an older connection it still holds on the same ports (rocket's
       * CLOSE_WAIT sockets). The client's stack reset that old connection and
       * retried its SYN (retried), or had not when the connection ended.
       */
      readonly type: 'stale-socket'
      readonly t: number
      readonly conn: ConnRef
      readonly retried: boolean
      readonly message: string
    }
  | {
      readonly type: 'malformed'
      readonly t: number
      readonly conn: ConnRef
      readonly from: Side
      /** The TinyPB decoder's code: BAD_END, PK_LEN_TOO_SMALL, TRUNCATED, ... (BAD_START is garbage between frames). */
      readonly code: string
      readonly message: string
      /** Stream offset in that direction. */
      readonly offset: number
      /** Bytes dropped before the next frame start. */
      readonly skipped: number
    }
  | {
      readonly type: 'gap'
      readonly t: number
      readonly conn: ConnRef
      readonly from: Side
      /** Bytes the capture lost. */
      readonly missing: number
      /** Bytes of a frame cut by the hole, thrown away. */
      readonly dropped: number
      /** lost: the capture missed the bytes; truncated: it kept only the first bytes of a packet (snap length). */
      readonly cause: 'lost' | 'truncated'
    }
  | {readonly type: 'chunk'; readonly t: number; readonly conn: ConnRef; readonly from: Side; readonly bytes: Buffer}
  | {
      readonly type: 'warning'
      readonly t: number
      readonly conn?: ConnRef
      /** PEER_SAFETY, DUPLICATE_MSG_ID, SERVER_NO_FIN, BUFFER_LIMIT, PAYLOAD, RESYNC, EMPTY_MSG_ID_REPLY, METHOD_MISMATCH, RETRANSMISSION_CONFLICT. */
      readonly code: string
      readonly message: string
      readonly msgId?: string
      readonly method?: string
      /** For PEER_SAFETY: what the frame does to rocket or tinyrpc. */
      readonly finding?: PeerFinding
    }
