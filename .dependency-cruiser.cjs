// Package boundaries of the mantle workspace, checked by `pnpm run check:deps` (and .ci/run).
// Tool packages import only @mantle/core (plus kola -> kolet/ore, plume -> ore, bakery -> ore),
// always through the package name and its exports; core imports no tool and no cloud SDK;
// @mantle/test-utils is for tests only.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles, within a package or across packages.',
      from: {},
      // type-only imports are erased at compile time, so a cycle through one is no cycle at run time
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'core-no-cloud-sdk',
      severity: 'error',
      comment: 'Cloud code lives in ore; core stays free of cloud SDKs.',
      from: { path: '^packages/core/src/' },
      to: { path: '(^|node_modules/)(@aws-sdk|@google-cloud|@azure)/' },
    },
    {
      name: 'core-no-other-package',
      severity: 'error',
      comment: 'core is the bottom layer: it imports no other workspace package.',
      from: { path: '^packages/core/src/' },
      to: { path: '^(packages/|@mantle/)(?!core(/|$))[^/]+' },
    },
    {
      name: 'no-cross-package-relative',
      severity: 'error',
      comment: "Another package's files are reached through its name and exports, never a relative path.",
      from: { path: '^packages/([^/]+)/' },
      to: { path: '^packages/(?!$1/)[^/]+/', dependencyTypes: ['local'] },
    },
    {
      name: 'leaf-tools-import-only-core',
      severity: 'error',
      comment: 'kolet, ore and pilot build on core alone (kolet never imports kola: kola drives it).',
      from: { path: '^packages/(kolet|ore|pilot)/src/' },
      to: {
        path: '^(packages/|@mantle/)(kola|kolet|ore|plume|bakery|pilot)(/|$)',
        pathNot: '^(packages/|@mantle/)$1(/|$)',
      },
    },
    {
      name: 'kola-imports-core-kolet-ore',
      severity: 'error',
      comment: 'kola may import core, kolet (the agent it ships) and ore (cloud uploads) only.',
      from: { path: '^packages/kola/src/' },
      to: { path: '^(packages/|@mantle/)(plume|bakery|pilot)(/|$)' },
    },
    {
      name: 'plume-bakery-import-core-ore',
      severity: 'error',
      comment: 'plume and bakery may import core and ore only.',
      from: { path: '^packages/(plume|bakery)/src/' },
      to: {
        path: '^(packages/|@mantle/)(kola|kolet|plume|bakery|pilot)(/|$)',
        pathNot: '^(packages/|@mantle/)$1(/|$)',
      },
    },
    {
      name: 'src-no-test-code',
      severity: 'error',
      comment: 'Shipped code never imports @mantle/test-utils or test files (tests kept next to src may).',
      from: { path: '^packages/(?!test-utils/)[^/]+/src/', pathNot: '\\.test\\.ts$' },
      to: { path: ['^(packages/|@mantle/)test-utils(/|$)', '^packages/[^/]+/test/', '\\.test\\.ts$'] },
    },
  ],
  options: {
    // other packages' built output and third-party code are leaves: their own sources are cruised
    doNotFollow: { path: ['node_modules', '^packages/[^/]+/dist/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    combinedDependencies: false,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.d.ts'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
