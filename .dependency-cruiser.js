/**
 * `npm run deps`: no import cycle in lib/ (dependency-cruiser). Part of `npm test` (scripts/test-all.mjs)
 * and so of CI. The layer order itself is an ESLint rule (eslint.config.mjs, docs/ARCHITECTURE.md
 * "Layers"); a cycle inside one layer — or through files that lint cannot place — is caught here.
 *
 * Every kind of import counts: static, dynamic `import()`, re-exports and type-only imports
 * (tsPreCompilationDeps), relative or through the tsconfig `@/` alias (tsConfig).
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "An import cycle: the modules on it cannot be understood, loaded or layered one without the other.",
      from: { path: "^lib/" },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "(^|/)node_modules/" },
    exclude: { path: "^lib/server/db/generated/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".tsx", ".mts", ".mjs", ".js", ".d.ts", ".d.mts"] },
  },
};
