import {BaseCommand} from '../src/cli/index.js'

/**
 * `rpcdiag __complete -- WORDS...`: what the shell completion scripts ask
 * for the word being typed (the last of WORDS, the command first), one
 * candidate a line. Hidden: the glue added to @oclif/plugin-autocomplete's
 * scripts (src/cli/completion-hook.ts) runs it; nothing to see for people.
 */
export default class Complete extends BaseCommand {
  static override hidden = true
  static override strict = false
  static override summary = 'print shell completion candidates (used by the completion scripts)'

  public async run(): Promise<void> {
    const words = this.argv[0] === '--' ? this.argv.slice(1) : this.argv
    const [{completeWords, localInterfaces}, {schemaFromFlags}] = await Promise.all([import('../src/cli/complete.js'), import('../src/cli/proto-flags.js')])
    const cmd = words.length > 0 ? this.config.findCommand(words[0]) : undefined
    const flags = Object.values(cmd?.flags ?? {}).map((f) => ({
      name: f.name,
      char: f.char,
      type: f.type,
      options: f.type === 'option' ? f.options : undefined,
    }))
    const found = await completeWords(words, flags, {
      interfaces: localInterfaces,
      methods: async (proto, importPaths) => {
        const loaded = await schemaFromFlags({proto: [...proto], 'import-path': [...importPaths]})
        return loaded.ok && loaded.value !== undefined ? loaded.value.methods.map((m) => m.fullName) : []
      },
    })
    if (found.length > 0) this.log(found.join('\n'))
  }
}
