import {err, ok, type Result, UsageError} from '../errors.js'

// `rpcdiag sockets` command lines as people who live in ss type them: the flag
// bundles (-tanp, -lntu), and --watch with no value. Rewritten into rpcdiag's
// own flags before oclif parses them.

/** ss letters rpcdiag takes in a bundle, and what each becomes ('' = always so here). */
const SS_LETTERS: Readonly<Record<string, string>> = {
  t: '-t', // --tcp
  u: '-u', // --udp
  l: '-l', // --listen
  '4': '-4',
  '6': '-6',
  x: '-x', // --unix
  e: '-e', // --extended: uid and inode columns
  a: '', // all states: rpcdiag always shows listening and non-listening sockets
  n: '', // numeric: rpcdiag never resolves names or services
  p: '', // processes: rpcdiag always shows them
}

/** ss letters rpcdiag cannot honour, and why. */
const SS_MISSING: Readonly<Record<string, string>> = {
  o: 'timers',
  m: 'socket memory',
  i: 'TCP internals',
  K: 'killing sockets',
  b: 'BPF filters',
  E: 'socket-destroy events',
}

const SS_LONG: Readonly<Record<string, string>> = {
  '--listening': '--listen',
  '--all': '',
  '--numeric': '',
  '--processes': '',
}

const DEFAULT_WATCH_SECONDS = '2'

/** A value --watch can take: seconds or a duration (0.5, 2, 500ms, 1m). */
function looksLikeDuration(text: string | undefined): boolean {
  return text !== undefined && /^(?:\d+(?:\.\d+)?|\.\d+)\s*[a-z\u00b5]*$/i.test(text)
}

/**
 * oclif has no flag with an optional value, and `--watch [SECONDS]` is one:
 * a bare --watch gets the default interval here.
 */
export function withWatchDefault(argv: readonly string[]): string[] {
  const out = [...argv]
  for (let i = 0; i < out.length; i++) {
    if (out[i] === '--') break
    if (out[i] !== '--watch' && out[i] !== '-w') continue
    if (!looksLikeDuration(out[i + 1])) out.splice(i + 1, 0, DEFAULT_WATCH_SECONDS)
  }
  return out
}

/**
 * ss's flags in rpcdiag's terms: -tanp is --tcp (all, numeric and processes
 * are what rpcdiag always shows), -lntu is --listen --tcp --udp, -e adds uid
 * and inode. A lone -p or -n is ss's too, unless a value follows (then it is
 * --port PORT or --count N, as before). ss letters for what netlink adds to
 * each socket on request (-o, -m, -i...: rpcdiag asks for the sockets only)
 * are refused with the reason.
 */
export function fromSsFlags(argv: readonly string[]): Result<string[], UsageError> {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--') {
      out.push(...argv.slice(i))
      break
    }
    if (a in SS_LONG) {
      if (SS_LONG[a] !== '') out.push(SS_LONG[a])
      continue
    }
    const next = argv[i + 1]
    if (a === '-p' || a === '-n') {
      const takesValue = a === '-p' ? next !== undefined && /^\d[\d,-]*$/.test(next) : next !== undefined && /^\d+$/.test(next)
      if (takesValue) out.push(a, next!), i++
      continue
    }
    if (a === '-a') continue
    if (a === '-s' && (next === undefined || next.startsWith('-'))) {
      return err(
        new UsageError('BAD_FLAGS', 'ss -s is the summary, which rpcdiag prints under every table; here -s is --state STATE', {
          hint: 'try: rpcdiag sockets (the summary is at the end), or rpcdiag sockets -s close-wait',
        }),
      )
    }
    const bundle = /^-([A-Za-z0-9]{2,})$/.exec(a)
    if (bundle !== null) {
      const letters = [...bundle[1]]
      const missing = letters.filter((l) => l in SS_MISSING)
      if (missing.length > 0) {
        const what = missing.map((l) => `-${l} (${SS_MISSING[l]})`).join(', ')
        return err(new UsageError('BAD_FLAGS', `ss ${what}: rpcdiag reads the socket tables without that; ss asks netlink for it beside each socket`, {hint: 'run ss itself for that'}))
      }
      if (letters.every((l) => l in SS_LETTERS)) {
        for (const l of letters) if (SS_LETTERS[l] !== '') out.push(SS_LETTERS[l])
        continue
      }
    }
    out.push(a)
  }
  return ok(out)
}
