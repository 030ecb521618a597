import type {CommandIo} from '../cli/command-io.js'
import {colorChoice} from '../cli/color-flag.js'
import {parseDuration} from '../cli/duration-flag.js'
import {untilSignal} from '../cli/signals.js'
import type {SocketChange, SocketFilter, SocketsReport, UnixSocketChange} from '../sockets/index.js'
import type {SocketsFlags} from './flags.js'

/** One --watch refresh as --json prints it (one per line): the report plus what changed. */
export type SocketsWatchJson = SocketsReport & {
  readonly tick: number
  readonly changes: readonly SocketChange[]
  /** With --unix. */
  readonly unixChanges?: readonly UnixSocketChange[]
}

/** What the wiring needs beyond CommandIo: whether --json is on, and how a JSON document is printed. */
export interface SocketsIo extends CommandIo {
  readonly json: boolean
  /** One JSON document on stdout: a --watch refresh (the report itself is returned). */
  logJson(json: unknown): void
}

/**
 * `rpcdiag sockets` from its parsed flags and the words of its filter (the
 * command is not strict: ss's filter is any number of words). Returns the
 * report for --json to print (undefined with --watch, which prints as it
 * goes). Modules load lazily so other commands start fast.
 */
export async function runSocketsCommand(flags: SocketsFlags, filterWords: readonly string[], io: SocketsIo): Promise<SocketsReport | undefined> {
  const sockets = await import('../sockets/index.js')
  const filter = sockets.parseSocketFilter({
    port: flags.port,
    state: flags.state,
    pid: flags.pid,
    process: flags.process,
    listen: flags.listen,
    tcp: flags.tcp,
    udp: flags.udp,
    ipv4: flags.ipv4,
    ipv6: flags.ipv6,
    expression: [...filterWords],
  })
  if (!filter.ok) throw filter.error
  let netns: import('../netns/index.js').NetnsAccess | undefined
  if (flags.netns !== undefined) {
    // The namespace's tables through a process inside; ss (listen backlogs) runs inside it.
    const opened = await (await import('../netns/index.js')).openNetns(flags.netns, {tables: true})
    if (!opened.ok) throw opened.error
    netns = opened.value
  }
  try {
    return await list(sockets, flags, filter.value, netns, io)
  } finally {
    netns?.close()
  }
}

async function list(
  sockets: typeof import('../sockets/index.js'),
  flags: SocketsFlags,
  filterValue: SocketFilter,
  netns: {netDir: string | undefined; commandPrefix: readonly string[]} | undefined,
  io: SocketsIo,
): Promise<SocketsReport | undefined> {
  // The renderers (chalk and the tables) only when there is text to print: --json prints none.
  const renderer = async () => {
    const [render, {colorsFor}] = await Promise.all([import('../render/sockets/report.js'), import('../render/color.js')])
    return {render, colors: colorsFor(process.stdout, process.env, colorChoice(flags))}
  }
  const opts = {
    filter: filterValue,
    unix: flags.unix,
    inet: !flags.unix || flags.tcp === true || flags.udp === true,
    tinypb: flags.tinypb || undefined,
    source: netns === undefined ? flags.source : ('proc' as const),
    netDir: netns?.netDir,
    commandPrefix: netns?.commandPrefix,
  }
  const renderOpts = {inet: opts.inet, extended: flags.extended}

  if (flags.watch === undefined) {
    const {report} = await sockets.socketsReport(opts)
    if (io.json) return report
    const {render, colors} = await renderer()
    // One write: 20,000 rows as 20,000 log calls cost more than collecting them.
    io.log(render.renderSocketsReport(report, colors, renderOpts).join('\n'))
    return report
  }

  const interval = parseDuration(flags.watch, '--watch', {bare: 's', minMs: 100, maxMs: 86_400_000})
  if (!interval.ok) throw interval.error
  const seconds = interval.value / 1000
  const stop = untilSignal()
  const tty = process.stdout.isTTY === true
  const {render, colors} = await renderer()
  try {
    await sockets.watchSockets({...opts, intervalMs: interval.value, count: flags.count, signal: stop.signal}, (t) => {
      const frame: SocketsWatchJson = {...t.report, tick: t.tick, changes: t.changes, ...(opts.unix ? {unixChanges: t.unixChanges} : {})}
      if (io.json) io.logJson(frame)
      else io.log(render.renderWatchFrame(t, colors, {seconds, tty, ...renderOpts}).join('\n'))
    })
  } finally {
    stop.dispose()
  }
  return undefined
}
