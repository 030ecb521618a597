import {describeChunk, type ChunkView, type DescribeOptions} from './chunk.js'

// A string-protocol conversation is two independent byte streams, one per
// direction. Chunks are numbered per direction and placed by their stream
// offset, so "< #3 at 120" can be found again in a capture or a hex dump.

export interface StringChunk<D extends string = string> {
  readonly direction: D
  /** Order of arrival across both directions, from 0. */
  readonly seq: number
  /** Order of arrival within this direction, from 0. */
  readonly index: number
  /** Stream offset of the first byte: bytes seen before it in this direction. */
  readonly offset: number
  /** The chunk itself, not copied: copy it if the caller reuses the memory. */
  readonly bytes: Uint8Array
}

export interface DirectionTotals {
  chunks: number
  bytes: number
}

/**
 * Numbers the chunks of a conversation as they arrive. Pure bookkeeping, no
 * I/O: the sniffer feeds it reassembled segments, a client its reads.
 */
export class StringChunkSequencer<D extends string = string> {
  private seq = 0
  private readonly totals = new Map<D, DirectionTotals>()

  next(direction: D, bytes: Uint8Array): StringChunk<D> {
    let t = this.totals.get(direction)
    if (t === undefined) {
      t = {chunks: 0, bytes: 0}
      this.totals.set(direction, t)
    }
    const chunk: StringChunk<D> = {direction, seq: this.seq++, index: t.chunks, offset: t.bytes, bytes}
    t.chunks += 1
    t.bytes += bytes.length
    return chunk
  }

  /** Chunks and bytes seen so far in one direction. */
  totalsFor(direction: D): DirectionTotals {
    const t = this.totals.get(direction)
    return t === undefined ? {chunks: 0, bytes: 0} : {...t}
  }
}

export interface FormatChunkOptions extends Omit<DescribeOptions, 'offset'> {
  /** Marks the direction in the header, e.g. '>' for client to server and '<' back (default: the direction name). */
  label?: string
  /** Prefix of the body lines (default two spaces). */
  indent?: string
}

/** The header line of a chunk: `> #0 12 bytes at 0, text`. */
export function chunkHeader(chunk: StringChunk, view: ChunkView, label: string = chunk.direction): string {
  const size = `${view.length} byte${view.length === 1 ? '' : 's'}`
  const cut = view.omitted > 0 ? `, first ${view.shown} shown` : ''
  return `${label} #${chunk.index} ${size} at ${chunk.offset}, ${view.kind}${cut}`
}

/**
 * A chunk as display lines: the header, then the text or hex dump indented.
 * Hex dump offsets are stream offsets, so consecutive binary chunks read as one dump.
 */
export function formatChunk(chunk: StringChunk, opts: FormatChunkOptions = {}): string[] {
  const view = describeChunk(chunk.bytes, {maxBytes: opts.maxBytes, offset: chunk.offset})
  const indent = opts.indent ?? '  '
  const lines = [chunkHeader(chunk, view, opts.label)]
  for (const l of view.lines) lines.push(indent + l)
  if (view.omitted > 0) lines.push(`${indent}... ${view.omitted} more byte${view.omitted === 1 ? '' : 's'}`)
  return lines
}
