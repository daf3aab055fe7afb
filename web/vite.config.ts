/**
 * The web app's build (`npm run build:web`, run by `npm install` through
 * `prepare`): Preact, bundled into dist/web, which the node serves. Nothing
 * loads from outside: no CDN, no inline script (the server's CSP allows
 * only its own files).
 */
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    // no inline script for the preload polyfill: the CSP forbids it, and every browser we support has modulepreload
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false
  }
})
