// A soak of `rpcdiag serve` under mixed good and hostile traffic, with a live
// `rpcdiag sniff` watching the port, for a set time (issue 13). Three phases:
// warm-up (good calls only), hostile (good calls beside garbage, frames
// claiming 60 MiB, slowloris and RSTs mid-frame), recovery (good calls only).
// Every second: RSS and descriptors of serve and sniff (/proc), the server's
// connections as ss counts them, good calls sent and answered. Prints the
// curves and their start / peak / end, and the verdicts: serve's and sniff's memory back
// within 20% of their level after the warm-up, and no good call unanswered.
//
//   npx tsx bench/soak.ts [--seconds 600] [--rate 400] [--idle-timeout 10000] [--max-buffered 64MiB]
//                         [--huge 4] [--slowloris 20] [--no-sniff] [--sniff-args='--no-processes ...'] [--csv FILE] [--strict]
// --sniff-args: more flags for the watching sniff (e.g. --no-processes, to see its memory without the
// process attribution worker; --max-buffered SIZE).
// sniff needs root (or the capabilities in the README); without them the soak runs without it and says so.
// --strict exits 1 when a verdict fails.
import {type ChildProcess, spawn} from 'node:child_process'
import {once} from 'node:events'
import {writeFileSync} from 'node:fs'
import {createInterface} from 'node:readline'
import {setTimeout as sleep} from 'node:timers/promises'
import {parseArgs} from 'node:util'

import {buildDist, ROOT} from './build-dist.js'
import {curve, probe, type ProcSample, ssEstablished} from './soak/probe.js'
import {GOOD_TIMEOUT_MS, goodTraffic, type HostileCounts} from './soak/traffic.js'

const {values: flags} = parseArgs({
  options: {
    seconds: {type: 'string', default: '600'},
    rate: {type: 'string', default: '400'},
    'idle-timeout': {type: 'string', default: '10000'},
    'max-buffered': {type: 'string', default: '64MiB'},
    huge: {type: 'string', default: '4'},
    slowloris: {type: 'string', default: '20'},
    'no-sniff': {type: 'boolean', default: false},
    'sniff-args': {type: 'string', default: ''},
    csv: {type: 'string'},
    strict: {type: 'boolean', default: false},
  },
})
const SECONDS = Number(flags.seconds)
const RATE = Number(flags.rate)
const GOOD_CONNECTIONS = 4
const GOOD_PER_CALL = 1
if (!(SECONDS >= 10) || !(RATE >= 1)) {
  console.error('bench/soak: --seconds must be at least 10 and --rate at least 1')
  process.exit(2)
}
const WARM = Math.max(3, SECONDS * 0.15)
const HOSTILE = SECONDS * 0.55
const PHASES = [
  {name: 'warm-up', until: WARM},
  {name: 'hostile', until: WARM + HOSTILE},
  {name: 'recovery', until: SECONDS},
]

interface Sample {
  readonly t: number
  readonly phase: string
  readonly serve?: ProcSample
  readonly sniff?: ProcSample
  readonly conns?: number
  readonly sent: number
  readonly answered: number
}

/** Start a CLI process, resolve with the first line of `stream` matching `ready`. */
function start(
  args: string[],
  ready: RegExp,
  stream: 'stdout' | 'stderr',
): Promise<{child: ChildProcess; match: RegExpMatchArray; lines: AsyncIterable<string>; stderrTail: () => string}> {
  const child = spawn(process.execPath, ['bin/run.js', ...args], {cwd: ROOT, env: {...process.env, NO_COLOR: '1'}, stdio: ['ignore', 'pipe', 'pipe']})
  const other = stream === 'stdout' ? child.stderr! : child.stdout!
  const rl = createInterface({input: stream === 'stdout' ? child.stdout! : child.stderr!})
  let early = ''
  other.on('data', (d) => (early.length < 4000 ? (early += d) : undefined))
  // The last words on stderr, for a process that dies during the soak.
  let tail = ''
  child.stderr!.on('data', (d) => (tail = (tail + d).slice(-600)))
  const stderrTail = () => tail.trim().split('\n').slice(-3).join(' | ')
  return new Promise((resolve, reject) => {
    const fail = () => reject(new Error(`${args[0]} exited before it was ready:\n${early}`))
    child.once('exit', fail)
    const it = rl[Symbol.asyncIterator]()
    const next = async (): Promise<void> => {
      for (;;) {
        const r = await it.next()
        if (r.done) return
        const m = ready.exec(r.value)
        if (m) {
          child.off('exit', fail)
          return resolve({child, match: m, lines: {[Symbol.asyncIterator]: () => it}, stderrTail})
        }
      }
    }
    void next()
  })
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill(signal)
  const done = await Promise.race([once(child, 'exit').then(() => true), sleep(20_000).then(() => false)])
  if (!done) child.kill('SIGKILL')
}

const mb = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(1))

async function main(): Promise<number> {
  buildDist()
  console.log('note: this machine is shared with other work; figures are noisy')

  // The floor every Node process pays, measured in this run.
  const idle = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 3000)'], {stdio: 'ignore'})
  await sleep(1000)
  const idleRss = probe(idle.pid)?.rssMb
  idle.kill()

  const serveArgs = ['serve', '--proto', 'examples/order.proto', '--responses', 'examples/order-responses.json', '--port', '0', '--json', '-q']
  serveArgs.push('--idle-timeout', flags['idle-timeout']!, '--max-buffered', flags['max-buffered']!)
  const serve = await start(serveArgs, /^\{"type":"listening".*"address":"127\.0\.0\.1:(\d+)"/, 'stdout')
  const port = Number(serve.match[1])
  let stopped: Record<string, any> | undefined
  void (async () => {
    for await (const line of serve.lines) if (line.startsWith('{"type":"stopped"')) stopped = JSON.parse(line)
  })()

  let sniff: Awaited<ReturnType<typeof start>> | undefined
  let sniffWhy = ''
  const sniffTypes: Record<string, number> = {}
  let sniffSummary: Record<string, any> | undefined
  if (flags['no-sniff']) sniffWhy = '--no-sniff'
  else if (process.getuid?.() !== 0) sniffWhy = 'not root: live capture needs root or the capabilities in the README'
  else {
    try {
      const more = flags['sniff-args']!.split(/\s+/).filter((a) => a !== '')
      sniff = await start(['sniff', '-i', 'lo', '--port', String(port), '--json', ...more], /capturing on/, 'stderr')
      void (async () => {
        for await (const line of sniff!.child.stdout ? createInterface({input: sniff!.child.stdout}) : []) {
          const type = /^\{"type":"([a-z-]+)"/.exec(line)?.[1] ?? 'other'
          sniffTypes[type] = (sniffTypes[type] ?? 0) + 1
          if (type === 'summary') sniffSummary = JSON.parse(line)
        }
      })()
    } catch (e) {
      sniffWhy = (e as Error).message.split('\n').slice(0, 3).join(' ')
    }
  }
  console.log(`serve: ${serveArgs.join(' ')} (pid ${serve.child.pid}, port ${port})`)
  console.log(sniff === undefined ? `sniff: not running (${sniffWhy})` : `sniff: sniff -i lo --port ${port} --json ${flags['sniff-args']} (pid ${sniff.child.pid})`)
  console.log(
    `soak: ${SECONDS} s: warm-up ${WARM.toFixed(1)} s, hostile ${HOSTILE.toFixed(1)} s, recovery ${(SECONDS - WARM - HOSTILE).toFixed(1)} s; ` +
      `good calls about ${RATE}/s on ${GOOD_CONNECTIONS} clients (${GOOD_PER_CALL} with a connection per call), each given ${GOOD_TIMEOUT_MS} ms; ` +
      `hostile: garbage, ${flags.huge} huge (60 MiB claimed), ${flags.slowloris} slowloris, RST mid-frame`,
  )

  const t0 = performance.now()
  const elapsed = () => (performance.now() - t0) / 1000
  const phaseAt = (t: number) => PHASES.find((p) => t < p.until)?.name ?? 'recovery'
  const addr = {host: '127.0.0.1', port}
  const good = goodTraffic(addr, {connections: GOOD_CONNECTIONS, perCall: GOOD_PER_CALL, rate: RATE, until: () => elapsed() >= SECONDS})
  // The hostile clients run in a process of their own (bench/soak/hostile-process.ts).
  const hostile = (async (): Promise<HostileCounts> => {
    await sleep(WARM * 1000)
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/soak/hostile-process.ts', addr.host, String(port), String(WARM + HOSTILE - elapsed()), flags.huge!, flags.slowloris!], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout!.on('data', (d) => (out += d))
    const [code] = await once(child, 'exit')
    if (code !== 0) throw new Error(`bench/soak/hostile-process.ts exited with ${code}`)
    return JSON.parse(out) as HostileCounts
  })()

  const samples: Sample[] = []
  while (elapsed() < SECONDS) {
    await sleep(1000 - ((performance.now() - t0) % 1000))
    const t = elapsed()
    const {sent, answered} = good.counts
    samples.push({t, phase: phaseAt(t - 0.5), serve: probe(serve.child.pid), sniff: probe(sniff?.child.pid), conns: ssEstablished(port), sent, answered})
  }
  await good.done
  const counts = good.counts
  const hostileCounts = await hostile

  if (sniff !== undefined) await stop(sniff.child, 'SIGINT')
  await stop(serve.child, 'SIGTERM')
  await sleep(100)

  // The curves: every sample into --csv, every few on the terminal.
  if (flags.csv !== undefined) {
    const rows = samples.map((s) => [s.t.toFixed(1), s.phase, mb(s.serve?.rssMb), s.serve?.fds ?? '', s.conns ?? '', mb(s.sniff?.rssMb), s.sniff?.fds ?? '', s.sent, s.answered].join(','))
    writeFileSync(flags.csv, ['t,phase,serve_rss_mb,serve_fds,ss_established,sniff_rss_mb,sniff_fds,good_sent,good_answered', ...rows].join('\n') + '\n')
  }
  const every = Math.max(1, Math.round(samples.length / 30))
  console.log('\n     t  phase      serve RSS MiB  fds  ss conns   sniff RSS MiB  fds   good sent/answered')
  for (const [i, s] of samples.entries()) {
    if (i % every !== 0 && i !== samples.length - 1) continue
    console.log(
      `${s.t.toFixed(0).padStart(6)}  ${s.phase.padEnd(9)} ${mb(s.serve?.rssMb).padStart(14)} ${String(s.serve?.fds ?? '-').padStart(4)} ${String(s.conns ?? '-').padStart(9)} ${mb(s.sniff?.rssMb).padStart(15)} ${String(s.sniff?.fds ?? '-').padStart(4)}   ${s.sent}/${s.answered}`,
    )
  }

  const warm = samples.filter((s) => s.phase === 'warm-up')
  const baseline = warm.at(-1)?.serve?.rssMb
  const serveRss = curve(samples.map((s) => s.serve?.rssMb))
  const sniffRss = curve(samples.map((s) => s.sniff?.rssMb))
  const fds = curve(samples.map((s) => s.serve?.fds))
  const conns = curve(samples.map((s) => s.conns))
  const endRss = serveRss.end
  const back = baseline !== undefined && endRss !== undefined && endRss <= baseline * 1.2
  const change = (from: number | undefined, to: number | undefined) => (from !== undefined && to !== undefined ? `${to >= from ? '+' : ''}${(((to - from) / from) * 100).toFixed(0)}%` : '?')
  // sniff's start is read the same way: its level at the end of the warm-up.
  const sniffBaseline = warm.at(-1)?.sniff?.rssMb
  const sniffBack = sniffBaseline !== undefined && sniffRss.end !== undefined && sniffRss.end <= sniffBaseline * 1.2

  console.log('\nFigures')
  console.log(`  serve RSS MiB:  start ${mb(baseline)} (end of warm-up; first sample ${mb(serveRss.start)}), peak ${mb(serveRss.peak)}, end ${mb(endRss)} (${change(baseline, endRss)} of start)`)
  console.log(
    `  sniff RSS MiB:  ${sniff === undefined ? `not run (${sniffWhy})` : `start ${mb(sniffBaseline)} (end of warm-up; first sample ${mb(sniffRss.start)}), peak ${mb(sniffRss.peak)}, end ${mb(sniffRss.end)} (${change(sniffBaseline, sniffRss.end)} of start)`}`,
  )
  console.log(`  idle node process RSS MiB (reference, same run): ${mb(idleRss)}`)
  console.log(`  serve fds: start ${fds.start ?? '-'}, peak ${fds.peak ?? '-'}, end ${fds.end ?? '-'}; ss established on :${port}: start ${conns.start ?? '-'}, peak ${conns.peak ?? '-'}, end ${conns.end ?? '-'}`)
  console.log(`  good calls: sent ${counts.sent}, answered ${counts.answered}, unanswered ${counts.unanswered}${counts.examples.length > 0 ? ` (${counts.examples.join('; ')})` : ''}`)
  const rates = PHASES.map((p) => {
    const inPhase = samples.filter((s) => s.phase === p.name)
    const before = samples[samples.indexOf(inPhase[0]) - 1]
    const last = inPhase.at(-1)
    if (last === undefined) return `${p.name} -`
    const secs = last.t - (before?.t ?? 0)
    return `${p.name} ${((last.answered - (before?.answered ?? 0)) / secs).toFixed(0)}/s`
  })
  console.log(`    answered per second: ${rates.join(', ')} (asked for ${RATE}/s)`)
  // Share of one core each process used in each phase: is serve the one that slows the good calls?
  const cpu = (pick: (s: Sample) => ProcSample | undefined) =>
    PHASES.map((p) => {
      const inPhase = samples.filter((s) => s.phase === p.name && pick(s) !== undefined)
      const [a, b] = [inPhase[0], inPhase.at(-1)]
      return a === undefined || b === undefined || b === a ? `${p.name} -` : `${p.name} ${(((pick(b)!.cpuS - pick(a)!.cpuS) / (b.t - a.t)) * 100).toFixed(0)}%`
    }).join(', ')
  console.log(`  CPU (share of one core): serve ${cpu((s) => s.serve)}${sniff === undefined ? '' : `; sniff ${cpu((s) => s.sniff)}`}`)
  const kinds = Object.keys(hostileCounts.opened) as Array<keyof typeof hostileCounts.opened>
  console.log(`  hostile connections: ${kinds.map((k) => `${k} ${hostileCounts.opened[k]}`).join(', ')}; ${(hostileCounts.bytes / 1024 / 1024).toFixed(1)} MiB sent`)
  console.log(`    closed by serve while still sending: huge ${hostileCounts.closedByServer.huge}, slowloris ${hostileCounts.closedByServer.slowloris}`)
  if (stopped !== undefined) {
    const lim = stopped.closedByLimit ?? {}
    console.log(
      `  serve's own count: ${stopped.connections} connections, ${stopped.requests} requests, ${stopped.replies} replies, ${stopped.malformed} malformed, ` +
        `${stopped.acceptFailures} accept failures; closed by limits: ${Object.entries(lim).map(([k, v]) => `${k} ${v}`).join(', ')}; peak input buffered ${(stopped.peakBuffered / 1024 / 1024).toFixed(1)} MiB`,
    )
  } else console.log('  serve printed no stopped line')
  if (sniffSummary !== undefined) {
    const s = sniffSummary
    console.log(
      `  sniff's count (the wire): ${s.requests} requests, ${s.responses} responses, ${s.paired} paired, ${s.unanswered} unanswered, ${s.malformedFrames} malformed frames, ${s.connections} connections`,
    )
    console.log(`    its NDJSON lines by type: ${Object.entries(sniffTypes).map(([k, v]) => `${k} ${v}`).join(', ')}`)
  } else if (sniff !== undefined) {
    const how = sniff.child.signalCode ?? `exit ${sniff.child.exitCode}`
    const gone = samples.find((s) => s.t > 1 && s.sniff === undefined)
    console.log(`  sniff printed no summary: it ended (${how})${gone === undefined ? '' : ` before t=${gone.t.toFixed(0)} s`}; its NDJSON lines so far: ${Object.entries(sniffTypes).map(([k, v]) => `${k} ${v}`).join(', ')}`)
    console.log(`    its last words: ${sniff.stderrTail().slice(0, 400)}`)
  }

  console.log('\nVerdict')
  console.log(`  serve memory back within 20% of its start after the hostile phase: ${back ? 'yes' : 'NO'} (${mb(baseline)} -> ${mb(endRss)} MiB)`)
  if (sniff !== undefined) console.log(`  sniff memory back within 20% of its start after the hostile phase: ${sniffBack ? 'yes' : 'NO'} (${mb(sniffBaseline)} -> ${mb(sniffRss.end)} MiB)`)
  console.log(`  good calls unanswered: ${counts.unanswered}`)
  return flags.strict && (!back || (sniff !== undefined && !sniffBack) || counts.unanswered > 0) ? 1 : 0
}

process.exitCode = await main()
