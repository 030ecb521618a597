// Decode throughput of the TinyPB stream path that live connections and the
// sniffer share: TcpBuffer + TinyPbCoder, fed in 1460-byte chunks (one TCP MSS).
// Prints frames/s and MB/s for 64-byte and 4 KiB payloads, and memcpy speed
// measured in the same run as the ceiling.
//
//   npx tsx bench/decode.ts [rounds]

import {encodeFrame, type TinyPbFrame} from '../decoders/tinypb/index.js'
import {type DecodeIssue, TcpBuffer, TinyPbCoder} from '../src/net/index.js'

const CHUNK = 1460
const ROUNDS = Number(process.argv[2] ?? 7)
const STREAM_BYTES = 64 * 1024 * 1024

function makeStream(payload: number): {chunks: Buffer[]; frames: number; bytes: number} {
  const one = encodeFrame({msgId: '20000000000000000001', methodName: 'Order.makeOrder', pbData: Buffer.alloc(payload, 0x61)})
  const frames = Math.floor(STREAM_BYTES / one.length)
  const stream = Buffer.allocUnsafe(frames * one.length)
  for (let i = 0; i < frames; i++) one.copy(stream, i * one.length)
  const chunks: Buffer[] = []
  for (let at = 0; at < stream.length; at += CHUNK) chunks.push(stream.subarray(at, Math.min(stream.length, at + CHUNK)))
  return {chunks, frames, bytes: stream.length}
}

/** One pass over the stream; touch = also read each frame's msg_id and pb_data as a consumer would. */
function decodePass(chunks: Buffer[], touch: boolean): number {
  const coder = new TinyPbCoder()
  const input = new TcpBuffer()
  const out: Array<TinyPbFrame | DecodeIssue> = []
  let frames = 0
  let sink = 0
  for (const c of chunks) {
    input.append(c)
    coder.decode(input, out)
    for (let i = 0; i < out.length; i++) {
      const f = out[i] as TinyPbFrame
      if (touch) sink += f.msgId.length + f.pbData.length
    }
    frames += out.length
    out.length = 0
  }
  if (touch && sink === 0) throw new Error('unreachable')
  return frames
}

function memcpyPass(chunks: Buffer[], target: Buffer): void {
  let at = 0
  for (const c of chunks) {
    c.copy(target, at)
    at += c.length
  }
}

function best(fn: () => void): number {
  const times: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint()
    fn()
    times.push(Number(process.hrtime.bigint() - t0) / 1e9)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)] // median
}

const fmt = (n: number, d = 1) => n.toLocaleString('en-US', {maximumFractionDigits: d, minimumFractionDigits: d})

console.log(`node ${process.version}, ${ROUNDS} rounds (median), ${STREAM_BYTES / 1048576} MiB stream per case, ${CHUNK}-byte chunks`)
const rows: string[][] = [['case', 'frames/s', 'MB/s', 'vs memcpy']]
let memcpyMBs = 0
{
  const {chunks, bytes} = makeStream(64)
  const target = Buffer.allocUnsafe(bytes)
  const t = best(() => memcpyPass(chunks, target))
  memcpyMBs = bytes / t / 1e6
  rows.push([`memcpy in ${CHUNK} B chunks`, '-', fmt(memcpyMBs, 0), '1.00'])
  const big = Buffer.allocUnsafe(bytes)
  const tb = best(() => target.copy(big))
  rows.push(['memcpy, one block', '-', fmt(bytes / tb / 1e6, 0), fmt(bytes / tb / 1e6 / memcpyMBs, 2)])
}
for (const payload of [64, 4096]) {
  const {chunks, frames, bytes} = makeStream(payload)
  const expected = decodePass(chunks, true)
  if (expected !== frames) throw new Error(`decoded ${expected} of ${frames} frames`)
  for (const touch of [false, true]) {
    const t = best(() => decodePass(chunks, touch))
    const mbs = bytes / t / 1e6
    rows.push([`${payload === 64 ? '64 B' : '4 KiB'} payload${touch ? ', reading msg_id + pb_data' : ''}`, fmt(frames / t / 1e6, 2) + ' M', fmt(mbs, 0), fmt(mbs / memcpyMBs, 2)])
  }
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
