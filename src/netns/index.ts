/**
 * Network namespaces (--netns NAME|PID|PATH on sniff and sockets):
 *
 *     const ns = resolveNetns('web1')            // or '4242' (a pid), or '/proc/4242/ns/net'
 *     if (!ns.ok) fail(ns.error)                 // UsageError BAD_NETNS, one line that says what to give
 *     netnsCommandPrefix(ns.value)               // ['nsenter', '--net=/run/netns/web1', '--']: run a child inside
 *     const p = await netnsProc(ns.value)        // a process inside: p.value.netDir is /proc/PID/net
 *     ...; p.value.close()
 *     const a = await openNetns('web1', {tables: true})  // all of it, as the commands take --netns
 *
 * Capture children take the prefix (src/capture: commandPrefix); the socket
 * table reads the namespace's /proc/PID/net and finds owners in the host's
 * /proc, so processes are named across the namespace.
 */
export * from './netns.js'
export * from './netns-proc.js'
