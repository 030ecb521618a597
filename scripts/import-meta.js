// Injected by scripts/build.mjs into each CommonJS bundle of an ESM source:
// import.meta.url and import.meta.resolve of the bundle file itself.
import {createRequire} from 'node:module'
import {pathToFileURL} from 'node:url'

export const import_meta_url = pathToFileURL(__filename).href
export const import_meta_resolve = (specifier) => pathToFileURL(createRequire(__filename).resolve(specifier)).href
