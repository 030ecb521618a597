// Start-up of the built CLI as users run it (bin/rpcdiag, package.json's bin,
// which sh starts node on and which loads bin/run.js), as whole processes, beside
// `node -e 0` (the floor of any Node tool) in the same interleaved rounds.
// Goals (issue 14): `rpcdiag --version` <= 1.3x `node -e 0`; a one-shot
// `rpcdiag call` <= 150 ms here. `sniff --read` of a small capture (25 calls)
// is timed beside `tcpdump -nr` and `tshark -r` of the same file (where
// installed): there start-up is nearly all of the time.
//
//   npx tsx bench/startup.ts [runs=20] [--before=DIR] [--no-build]
//
// --before=DIR times DIR's bin (bin/rpcdiag, or node on bin/run.js where a
// checkout has no launcher; another checkout, built) in the same
// rounds, so the before and after figures share the machine's moods. The call
// goes to a `rpcdiag serve` started from this checkout. `--version` is
// answered without oclif when nothing could change oclif's answer (bin/run.js):
// the row "through oclif" (DEBUG set to a name nothing logs under) shows the
// start-up every other command pays. A one-shot call runs directly, without
// oclif's Config (src/cli/direct-run.ts), from a bundle with a V8 code cache;
// "call through oclif" (RPCDIAG_DIRECT=0) is the same call oclif's way. When
// NODE_EXTRA_CA_CERTS is set, node parses that bundle before running
// anything: a row without it shows its cost, and the launcher bin/rpcdiag
// starts node without it (rpcdiag makes no TLS connection); the row "call,
// node on bin/run.js" is the call that pays it.
// Where rocket is built (bench/rocket/build.sh, $RPCDIAG_ROCKET_DIR, default
// /opt/rocket), the one-shot call is also timed against rocket's own
// test_rpc_server, beside rocket's C++ test_rpc_client (the issue's peer).
import {type ChildProcess, spawn, spawnSync} from 'node:child_process'

import {buildDist, ROOT, rpcdiagCommand} from './build-dist.js'
import {findRocket, startRocketServer} from './rocket/peer.js'
import {median, ms, type ProcessRow, timeInterleaved} from './timing.js'

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const RUNS = Number(positional[0] ?? 20)
const BEFORE = /--before=(\S+)/.exec(process.argv.join(' '))?.[1]
const BUILD = !process.argv.includes('--no-build')
const CALL_GOAL_MS = 150
const VERSION_GOAL_RATIO = 1.3
/** A small capture: 25 rocket calls, 225 packets. */
const SMALL_CAPTURE = `${ROOT}test/fixtures/pcap/rocket_25calls.pcapng`

/** Whether `tool` is on the PATH. */
function installed(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], {stdio: 'ignore'}).status === 0
}

/** `rpcdiag serve` on a free loopback port; resolves with the port once it listens. */
function startServer(): Promise<{child: ChildProcess; port: number}> {
  const child = spawn(process.execPath, ['bin/run.js', 'serve', '--port', '0', '--proto', 'examples/order.proto', '-q'], {cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe']})
  return new Promise((resolve, reject) => {
    let err = ''
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`rpcdiag serve exited ${code} before listening:\n${err}`)))
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString()
      const m = /listening on [\d.]+:(\d+)/.exec(err)
      if (m !== null) resolve({child, port: Number(m[1])})
    })
  })
}

function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 3000)
    child.once('exit', () => (clearTimeout(force), resolve()))
    child.kill('SIGTERM')
  })
}

/** A one-shot call of Order.makeOrder to addr. */
const callArgs = (addr: string) => ['call', 'Order.makeOrder', '--json', '{"price":100,"goods":"apple"}', '--proto', `${ROOT}examples/order.proto`, '--addr', addr]

function rpcdiagRows(label: string, cmd: string[], port: number): ProcessRow[] {
  return [
    {name: `${label} --version`, argv: [...cmd, '--version']},
    {name: `${label} --version through oclif`, argv: [...cmd, '--version'], env: {...process.env, DEBUG: 'rpcdiag-bench-nothing'}},
    {name: `${label} --help`, argv: [...cmd, '--help']},
    {name: `${label} call (one-shot)`, argv: [...cmd, ...callArgs(`127.0.0.1:${port}`)]},
    {name: `${label} call through oclif`, argv: [...cmd, ...callArgs(`127.0.0.1:${port}`)], env: {...process.env, RPCDIAG_DIRECT: '0'}},
    {name: `${label} sockets --port 1 --json`, argv: [...cmd, 'sockets', '--port', '1', '--json']},
    {name: `${label} sniff --read (25 calls)`, argv: [...cmd, 'sniff', '--read', SMALL_CAPTURE]},
    {name: `${label} sniff --read through oclif`, argv: [...cmd, 'sniff', '--read', SMALL_CAPTURE], env: {...process.env, RPCDIAG_DIRECT: '0'}},
  ]
}

async function main(): Promise<void> {
  if (BUILD) buildDist()
  const server = await startServer()
  const rocket = findRocket()
  const rocketServer = rocket.ok ? await startRocketServer(rocket.peer) : undefined
  try {
    const toRocket: ProcessRow[] =
      rocket.ok && rocketServer !== undefined
        ? [
            {name: "rocket's test_rpc_client (C++) → rocket", argv: [rocket.peer.client, rocketServer.addr]},
            {
              name: 'rpcdiag call (one-shot) → rocket',
              argv: [...rpcdiagCommand(), ...callArgs(rocketServer.addr)],
            },
          ]
        : []
    const rows: ProcessRow[] = [
      {name: 'node -e 0', argv: [process.execPath, '-e', '0']},
      ...(process.env.NODE_EXTRA_CA_CERTS ? [{name: 'node -e 0, NODE_EXTRA_CA_CERTS unset', argv: [process.execPath, '-e', '0'], env: {...process.env, NODE_EXTRA_CA_CERTS: undefined}}] : []),
      ...rpcdiagRows('rpcdiag', rpcdiagCommand(), server.port),
      // Where the setting is there: the call paying for it, and what the launcher's sh costs on a machine without it.
      ...(process.env.NODE_EXTRA_CA_CERTS
        ? [
            {name: 'rpcdiag call, node on bin/run.js', argv: [process.execPath, `${ROOT}bin/run.js`, ...callArgs(`127.0.0.1:${server.port}`)]},
            {name: 'rpcdiag --version, setting unset', argv: [...rpcdiagCommand(), '--version'], env: {...process.env, NODE_EXTRA_CA_CERTS: undefined}},
            {name: 'node bin/run.js --version, unset', argv: [process.execPath, `${ROOT}bin/run.js`, '--version'], env: {...process.env, NODE_EXTRA_CA_CERTS: undefined}},
          ]
        : []),
      ...(BEFORE === undefined ? [] : rpcdiagRows('before:', rpcdiagCommand(BEFORE), server.port)),
      {name: 'ss -tanp', argv: ['ss', '-tanp']},
      ...(installed('tcpdump') ? [{name: 'tcpdump -nr (25 calls)', argv: ['tcpdump', '-nr', SMALL_CAPTURE]}] : []),
      ...(installed('tshark') ? [{name: 'tshark -r (25 calls)', argv: ['tshark', '-r', SMALL_CAPTURE]}] : []),
      ...toRocket,
    ]
    console.log(`\nnode ${process.version}; ${RUNS} interleaved rounds after a warm-up; medians; server on 127.0.0.1:${server.port}${BEFORE === undefined ? '' : `; before: ${BEFORE}`}`)
    console.log('the machine may be shared with other work: read rows against node -e 0 of the same run')
    const t = timeInterleaved(rows, RUNS, ROOT)
    const wall = (name: string) => median(t.get(name)!.wall)
    const node = wall('node -e 0')
    const bareNode = t.has('node -e 0, NODE_EXTRA_CA_CERTS unset') ? wall('node -e 0, NODE_EXTRA_CA_CERTS unset') : undefined
    // What rpcdiag adds to node's own start: against node as the launcher starts it.
    const floor = bareNode ?? node
    const floorName = bareNode === undefined ? 'node' : 'node without NODE_EXTRA_CA_CERTS'
    console.log(`${'command'.padEnd(44)}${'wall'.padStart(7)}${'min'.padStart(7)}${'cpu'.padStart(7)}${'x node'.padStart(8)}`)
    for (const r of rows) {
      const x = t.get(r.name)!
      console.log(`${r.name.padEnd(44)}${ms(median(x.wall)).padStart(7)}${ms(Math.min(...x.wall)).padStart(7)}${ms(median(x.cpu)).padStart(7)}${(median(x.wall) / node).toFixed(2).padStart(8)}`)
    }
    console.log('\ngoals (wall medians):')
    for (const label of ['rpcdiag', ...(BEFORE === undefined ? [] : ['before:'])]) {
      const version = wall(`${label} --version`)
      const call = wall(`${label} call (one-shot)`)
      // The goal is held against node started as the launcher starts it (the stricter of the two).
      const goal = bareNode === undefined ? `--version / node -e 0 = ${(version / node).toFixed(2)}x (goal <= ${VERSION_GOAL_RATIO})` : `--version / node -e 0 without NODE_EXTRA_CA_CERTS = ${(version / bareNode).toFixed(2)}x (goal <= ${VERSION_GOAL_RATIO}); / node -e 0 with it ${(version / node).toFixed(2)}x`
      console.log(`  ${label.padEnd(9)} ${goal}; through oclif ${(wall(`${label} --version through oclif`) / node).toFixed(2)}x`)
      console.log(`  ${''.padEnd(9)} one-shot call ${ms(call).trim()} ms (goal <= ${CALL_GOAL_MS} ms here; node alone is ${ms(node).trim()} ms), ${ms(call - floor).trim()} ms above ${floorName}; through oclif ${ms(wall(`${label} call through oclif`)).trim()} ms`)
      const sniff = wall(`${label} sniff --read (25 calls)`)
      const peers = ['tcpdump -nr (25 calls)', 'tshark -r (25 calls)'].filter((p) => t.has(p)).map((p) => `${p.split(' ')[0]} ${ms(wall(p)).trim()} ms (${(sniff / wall(p)).toFixed(2)}x)`)
      console.log(`  ${''.padEnd(9)} sniff --read of 25 calls ${ms(sniff).trim()} ms, ${ms(sniff - floor).trim()} ms above ${floorName}; through oclif ${ms(wall(`${label} sniff --read through oclif`)).trim()} ms${peers.length > 0 ? `; ${peers.join(', ')}` : ''}`)
    }
    if (toRocket.length > 0 && rocket.ok) {
      const peer = wall(toRocket[0].name)
      const ours = wall(toRocket[1].name)
      console.log(`  one-shot call to rocket's test_rpc_server: rpcdiag ${ms(ours).trim()} ms, rocket's C++ client ${ms(peer).trim()} ms (${(ours / peer).toFixed(1)}x); ${rocket.peer.info}`)
    } else if (!rocket.ok) {
      console.log(`  one-shot call to rocket: not timed: ${rocket.why}`)
    }
    if (bareNode !== undefined) {
      console.log(`  NODE_EXTRA_CA_CERTS (${process.env.NODE_EXTRA_CA_CERTS}) costs every node process ${ms(node - bareNode).trim()} ms here; bin/rpcdiag starts node without it: the call with node on bin/run.js took ${ms(wall('rpcdiag call, node on bin/run.js')).trim()} ms`)
      console.log(`  without the setting, bin/rpcdiag --version ${ms(wall('rpcdiag --version, setting unset')).trim()} ms, node bin/run.js --version ${ms(wall('node bin/run.js --version, unset')).trim()} ms: the launcher's own cost`)
    }
  } finally {
    await rocketServer?.stop()
    await stopServer(server.child)
  }
}

await main()
