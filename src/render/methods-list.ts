import type {ChalkInstance} from 'chalk'

import type {FieldDescription, SymbolDescription} from '../rpc/proto/describe.js'
import {renderTable} from './table.js'

/** What `rpcdiag methods` lists: one row per rpc. */
export interface MethodRow {
  readonly method: string
  /** method_name a C++ client puts on the wire. */
  readonly wireName: string
  readonly requestType: string
  readonly responseType: string
  readonly file: string | null
  /** Why rocket cannot serve it, if it cannot (a package in the name). */
  readonly rocketWarning?: string
}

export function renderMethodList(rows: readonly MethodRow[], opts: {colors: ChalkInstance}): string[] {
  const c = opts.colors
  if (rows.length === 0) return [c.dim('no services in the loaded .proto files')]
  const out = renderTable(
    [
      {header: 'METHOD', get: (r: MethodRow) => c.bold(r.method)},
      {header: 'REQUEST', get: (r) => r.requestType},
      {header: 'RESPONSE', get: (r) => r.responseType},
    ],
    rows,
  )
  const warned = rows.filter((r) => r.rocketWarning !== undefined)
  if (warned.length > 0) {
    out.push('')
    for (const r of warned) out.push(c.yellow(`${r.method}: ${r.rocketWarning}`))
  }
  return out
}

function fieldLine(f: FieldDescription): string {
  const type = f.label === 'map' ? `map<${f.keyType}, ${f.type}>` : f.type
  const label = f.label === 'repeated' || f.label === 'optional' || f.label === 'required' ? `${f.label} ` : ''
  return `${label}${type} ${f.name} = ${f.number};`
}

/** A message, enum or service as proto source, the way `grpcurl describe` prints it. */
export function renderSymbol(d: SymbolDescription): string[] {
  const simple = d.fullName.slice(d.fullName.lastIndexOf('.') + 1)
  switch (d.kind) {
    case 'message': {
      const out = [`${d.fullName} is a message:`, `message ${simple} {`]
      const oneofs = new Map<string, FieldDescription[]>()
      for (const f of d.fields) {
        if (f.oneof === undefined) {
          out.push(`  ${fieldLine(f)}`)
          continue
        }
        const list = oneofs.get(f.oneof) ?? []
        list.push(f)
        oneofs.set(f.oneof, list)
      }
      for (const [name, fields] of oneofs) {
        out.push(`  oneof ${name} {`, ...fields.map((f) => `    ${fieldLine(f)}`), '  }')
      }
      out.push('}')
      return out
    }
    case 'enum':
      return [`${d.fullName} is an enum:`, `enum ${simple} {`, ...d.values.map((v) => `  ${v.name} = ${v.number};`), '}']
    case 'service':
      return [
        `${d.fullName} is a service:`,
        `service ${simple} {`,
        ...d.methods.map(
          (m) =>
            `  rpc ${m.name} ( ${m.clientStreaming ? 'stream ' : ''}${m.requestType} ) returns ( ${m.serverStreaming ? 'stream ' : ''}${m.responseType} );`,
        ),
        '}',
      ]
  }
}
