// @ts-check
// The layering of src/, held by `npm run arch` (part of `npm test`).
// STYLE.md: "A face never reaches past the application API into libp2p or the
// store. dependency-cruiser holds the layering; knip holds the dead code."
//
// Type-only imports (`import type`) count for every layering rule below: a
// face that names a libp2p type is still coupled to libp2p, and a store that
// names an app type still depends on the app. They do not count for cycles:
// see `no-circular`.
//
// Paths are matched against the resolved file, so an npm package is
// `node_modules/<name>/...` and a Node builtin is its bare name (`node:fs`
// resolves to `fs`).

/** Services: one libp2p service (or a small family) each, wired by src/node. */
const SERVICES = '(contacts|delivery|discovery|liveness|presence|profile|receipts|relay|rendezvous)'
/** src/node/ is the node that wires libp2p + store; today's src/node.ts is the same layer until it is split. */
const NODE = 'src/node(/|\\.ts$)'
/** The libp2p stack and the database, which a face reaches only through src/app. */
const LIBP2P_PACKAGES = '(^|/)node_modules/(@libp2p/|libp2p/|@chainsafe/|level/)'
/** The relay subcommands start a relay server or health check, which is src/relay's API, not the app's. */
const RELAY_COMMANDS = ['^src/cli/relay/', '^src/cli/relay-health/', '^src/cli/commands/relay[^/]*\\.ts$']

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A runtime import cycle in src/ makes module initialisation order matter (a class or constant ' +
        'read before its module has run is a TDZ error) and means two modules are really one. Type-only ' +
        'edges are left out (viaOnly: dependencyTypesNot type-only): with verbatimModuleSyntax an ' +
        '`import type` is erased, so a cycle through one cannot misorder anything at run time. And the ' +
        'STYLE.md service shape is such a cycle by design (js-libp2p ping: index.ts exports the interface, ' +
        'the init and the factory, the private class file imports those types back): src/delivery, ' +
        'src/liveness, src/presence, src/receipts, src/node, src/relay/keeper and src/store all have one. ' +
        'The layering rules below still count type-only imports, so a type cycle across layers is caught there.',
      from: { path: '^src/' },
      to: {
        circular: true,
        viaOnly: { dependencyTypesNot: ['type-only'] }
      }
    },
    {
      name: 'crypto-is-pure',
      severity: 'error',
      comment:
        'src/crypto is pure functions over bytes: no I/O (fs, net, dgram, http(s), child_process), no ' +
        'libp2p, nothing from another src/ folder. So it can be tested with fixed keys and reused by the ' +
        'protocol and the store alike. An allow-list: node:crypto and src/crypto itself, nothing else.',
      from: { path: '^src/crypto/' },
      to: { pathNot: ['^src/crypto/', '^(node:)?crypto$'] }
    },
    {
      name: 'faces-are-leaves',
      severity: 'error',
      comment:
        'The faces (src/cli, src/web) render the application API; nothing below them may depend on them, ' +
        'or a change of output format would ripple into the node. Only the entry point src/bin.ts and the ' +
        'face itself (the $1 group: src/cli may import src/cli) import a face; and the chat command, which ' +
        'serves the web face beside the REPL (--web), imports it through its index.',
      from: { path: '^src/([^/]+)', pathNot: '^src/bin\\.ts$' },
      to: { path: '^src/(cli|web)/', pathNot: ['^src/$1/', '^src/web/index\\.ts$'] }
    },
    {
      name: 'web-only-from-chat',
      severity: 'error',
      comment: 'Of the faces, only the chat command (src/cli/chat) runs the web face, and only through src/web/index.ts.',
      from: { path: '^src/', pathNot: ['^src/web/', '^src/cli/chat/', '^src/bin\\.ts$'] },
      to: { path: '^src/web/' }
    },
    {
      name: 'core-below-node-and-services',
      severity: 'error',
      comment:
        'src/protocol (the wire), src/store (LevelDB) and src/crypto are the bottom layers: the node, the ' +
        'app, the faces and the services are built on them, never the other way round. An import upwards ' +
        'would make the protocol untestable without a node.',
      from: { path: '^src/(protocol|store|crypto)/' },
      to: { path: [`^${NODE}`, '^src/(app|cli|web)/', `^src/${SERVICES}/`] }
    },
    {
      name: 'services-below-app',
      severity: 'error',
      comment:
        'A service is a libp2p service the node wires in; the app API and its faces sit above it. A ' +
        'service importing them would make the app a dependency of the node it drives.',
      from: { path: `^src/${SERVICES}/` },
      to: { path: '^src/(app|cli|web)/' }
    },
    {
      name: 'faces-only-through-app',
      severity: 'error',
      comment:
        'STYLE.md: a face (REPL, --json, web) never reaches past the application API (src/app) into the ' +
        'node, the store, a service or libp2p. What a face needs, src/app exports (types included: a ' +
        'type-only import of @libp2p/interface counts), so the API is the one surface to keep stable.',
      from: { path: '^src/(cli|web)/' },
      to: { path: [`^${NODE}`, '^src/store/', `^src/${SERVICES}/`, LIBP2P_PACKAGES], pathNot: '^src/relay/' }
    },
    {
      name: 'faces-relay-only-in-relay-commands',
      severity: 'error',
      comment:
        'The relay and relay-health subcommands run a relay server or a health check, which are ' +
        "src/relay's API, not the chat app's: they alone among the faces may import src/relay.",
      from: { path: '^src/(cli|web)/', pathNot: RELAY_COMMANDS },
      to: { path: '^src/relay/' }
    },
    {
      name: 'not-to-dev-dep',
      severity: 'error',
      comment:
        'src/ ships with production dependencies only (the Docker image installs --omit=dev): an import of ' +
        'a devDependency works in the repo and breaks in the image. Type-only imports are erased and ' +
        '@types/* are types, so both are fine.',
      from: { path: '^src/' },
      to: {
        dependencyTypes: ['npm-dev'],
        dependencyTypesNot: ['type-only'],
        pathNot: ['(^|/)node_modules/@types/']
      }
    },
    {
      name: 'no-non-package-json',
      severity: 'error',
      comment:
        'An npm package that package.json does not declare resolves only because something else happens to ' +
        'hoist it (the generated protobuf code imports uint8arrays, which protons-runtime brings along): ' +
        'the next lock file update can remove it. Declare what you import.',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] }
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment:
        'An import that does not resolve fails at run time. tsc sees most, but not bin/*.js (outside ' +
        'tsconfig); and a layering rule cannot judge an edge whose target it cannot find.',
      from: {},
      to: { couldNotResolve: true }
    }
  ],
  options: {
    // Only our own files are cruised; a package's internals are not our layering.
    doNotFollow: { path: ['node_modules'] },
    // `.ts` extension imports (allowImportingTsExtensions) resolve through the project's tsconfig.
    tsConfig: { fileName: 'tsconfig.json' },
    // See type-only imports too, labelled `type-only`, so the layering rules count them and
    // `no-circular` can leave them out.
    tsPreCompilationDeps: true,
    // Resolve packages the way Node 24 does: the `exports` map first (libp2p packages have no `main`).
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.d.ts', '.js', '.mjs', '.cjs', '.json']
    },
    reporterOptions: {
      text: { highlightFocused: true }
    }
  }
}
