// `call --repeat/--duration --format csv|json`: one record per measured call,
// written as the calls finish (no list of records is kept, however long the
// run), like ghz's -O csv and the `details` of its -O json.
//
// The fields, the same names in both formats (and the camelCase of sniff --json):
//   ts         when the call began (its send, or its connect with --connection-per-call),
//              epoch seconds with microseconds (src/render/timestamp.ts)
//   latencyMs  to the whole reply, or to the error
//   errCode    the reply's err_code; empty (null) when no reply came
//   errName    OK, the framework's name of err_code, or the transport error (CALL_TIMEOUT...)
//   status     ok | server-error | transport-error (as a one-shot call's status)
//   msgId      the msg_id sent
//   connection 1, 2... in the order connections were opened; 0 when none could be
//
// json: `{"details": [record, ...], <the summary's fields>}`, streamed: the
// records first, the summary (loadReportToJson) once the run is over.

import {describeErrorCode} from '../../decoders/tinypb/index.js'
import type {LoadCallSample} from '../rpc/load-test.js'
import {roundMs} from '../stats/index.js'
import {epochSecondsFromMs, epochSecondsTextFromMs} from './timestamp.js'

export type RecordFormat = 'csv' | 'json'

export const RECORD_FIELDS = ['ts', 'latencyMs', 'errCode', 'errName', 'status', 'msgId', 'connection'] as const

export interface CallRecord {
  readonly ts: number
  readonly latencyMs: number
  readonly errCode: number | null
  readonly errName: string
  readonly status: 'ok' | 'server-error' | 'transport-error'
  readonly msgId: string
  readonly connection: number
}

export function callRecord(c: LoadCallSample): CallRecord {
  const answered = c.error === undefined
  return {
    ts: epochSecondsFromMs(c.startEpochMs),
    latencyMs: roundMs(c.endMs - c.startMs),
    errCode: answered ? (c.errCode ?? 0) : null,
    errName: answered ? describeErrorCode(c.errCode ?? 0) : c.error!.code,
    status: !answered ? 'transport-error' : c.errCode === 0 ? 'ok' : 'server-error',
    msgId: c.msgId,
    connection: c.connection,
  }
}

/** RFC 4180: quoted only when it holds a comma, a quote or a line break. */
function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v
}

function csvRow(c: LoadCallSample): string {
  const r = callRecord(c)
  return [epochSecondsTextFromMs(c.startEpochMs), r.latencyMs.toFixed(3), r.errCode === null ? '' : String(r.errCode), csvField(r.errName), r.status, csvField(r.msgId), String(r.connection)].join(',')
}

/** Chunks of about this many characters go to the stream at once: one write per ~600 records, not one each. */
const FLUSH_AT = 64 * 1024

/** Writes records as calls finish; finish() closes the document (json: with the summary). */
export class CallRecordWriter {
  private buf = ''
  private first = true

  constructor(
    private readonly format: RecordFormat,
    private readonly write: (text: string) => void,
  ) {
    this.buf = format === 'csv' ? RECORD_FIELDS.join(',') + '\n' : '{"details": ['
  }

  /** Bound, so it can be handed over as runLoad's onCall. */
  readonly add = (c: LoadCallSample): void => {
    if (this.format === 'csv') this.buf += csvRow(c) + '\n'
    else {
      this.buf += (this.first ? '\n  ' : ',\n  ') + JSON.stringify(callRecord(c))
      this.first = false
    }
    if (this.buf.length >= FLUSH_AT) this.flush()
  }

  /** The end of the output; json closes the records and adds the summary's fields. */
  finish(summary?: Record<string, unknown>): void {
    if (this.format === 'json') {
      this.buf += this.first ? ']' : '\n]'
      const rest = JSON.stringify(summary ?? {}, null, 2)
      this.buf += rest === '{}' ? '}\n' : ',\n' + rest.slice(2) + '\n'
    }
    this.flush()
  }

  private flush(): void {
    if (this.buf !== '') this.write(this.buf)
    this.buf = ''
  }
}
