import {Args, Flags, type Interfaces} from '@oclif/core'

import {colorFlags} from '../cli/color-flag.js'
import {portFlag} from '../cli/port-flag.js'

// `rpcdiag sockets`'s argument and flags: the command (commands/sockets.ts)
// and its direct run (bin/run.js, src/cli/direct-run.ts) parse the same
// definitions. Imported file by file, not through src/cli/index.ts, whose base
// command would bring all of oclif into the direct run's bundle.

// The filter is any number of words (ss takes them so; the command is not strict): read in order from the parse's raw tokens.
// Never from stdin, where oclif looks for an argument left out when stdin is a pipe: it read
// (and so took from a script's next command) what it then did not use, waiting up to 10 ms for it.
export const socketsArgs = {
  filter: Args.string({description: "ss's filter: [state STATE]... [EXPRESSION], e.g. state close-wait '( sport = :12346 )'", ignoreStdin: true}),
}

export const socketsFlags = {
  port: portFlag('local or peer port, or a range like 8000-8100'),
  state: Flags.string({
    char: 's',
    description:
      'listen, established, syn-sent, syn-recv, fin-wait-1, fin-wait-2, time-wait, close-wait, last-ack, closing, closed, and the groups connected, synchronized, bucket, big, all (repeatable)',
    multiple: true,
    multipleNonGreedy: true,
    delimiter: ',',
    exclusive: ['listen'],
  }),
  pid: Flags.string({description: 'owning process id (repeatable)', multiple: true, multipleNonGreedy: true, delimiter: ','}),
  process: Flags.string({char: 'P', description: 'owning process name, or part of it (repeatable)', multiple: true, multipleNonGreedy: true}),
  listen: Flags.boolean({char: 'l', description: 'listeners only (TCP LISTEN, unconnected UDP)'}),
  tcp: Flags.boolean({char: 't', description: 'TCP sockets (default: TCP and UDP)'}),
  udp: Flags.boolean({char: 'u', description: 'UDP sockets (default: TCP and UDP)'}),
  ipv4: Flags.boolean({char: '4' as never, description: 'IPv4 only'}),
  ipv6: Flags.boolean({char: '6' as never, description: 'IPv6 only'}),
  unix: Flags.boolean({char: 'x', description: 'Unix domain sockets: path, type, state, inode, pid (with --tcp/--udp: both)'}),
  extended: Flags.boolean({char: 'e', description: 'add the uid and inode columns (ss -e)'}),
  tinypb: Flags.boolean({description: 'group by TinyPB server port (the --port values, else 12345 rocket, 39999 tinyrpc and $RPCDIAG_TINYPB_PORTS): clients, states, queues'}),
  watch: Flags.string({char: 'w', description: 'refresh every INTERVAL (default 2s; 500ms, 5s, 1m; a bare number is seconds) and show what changed: new, closed, state changes', helpValue: '[INTERVAL]'}),
  netns: Flags.string({
    description: "list the sockets of this network namespace: a name (ip netns list), a pid (a container's: docker inspect -f '{{.State.Pid}}'), or a path like /proc/PID/ns/net; owners are named across namespaces",
    helpValue: 'NAME|PID|PATH',
  }),
  count: Flags.integer({char: 'n', description: 'with --watch: stop after N refreshes', min: 1, dependsOn: ['watch']}),
  source: Flags.option({options: ['auto', 'proc', 'systeminformation'] as const, default: 'auto' as const, hidden: true, description: 'where to read the socket table'})(),
  ...colorFlags,
}

export type SocketsFlags = Interfaces.InferredFlags<typeof socketsFlags>
