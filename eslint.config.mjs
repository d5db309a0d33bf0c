// Lint: Next's recommended rules (core web vitals + TypeScript) plus the house layer order.
// tests/unit/client-boundary.test.ts additionally follows client imports transitively;
// tests/unit/architecture.test.ts proves the layer rules fire; `npm run deps` fails on any import cycle in lib/.
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

/**
 * The layer order (docs/ARCHITECTURE.md "Layers"), lowest first. A module may import its own layer
 * and every layer above it in this list, never one below: each layer lists the modules (folders or
 * single files, without extension) that belong to it. Folders of one layer may import each other.
 */
const LAYERS = [
  { name: "shared", modules: ["lib/schemas", "lib/http", "lib/prng", "lib/timeline-url", "lib/format-ms", "lib/waterfall"] },
  { name: "platform", modules: ["lib/server/config", "lib/server/paths", "lib/server/thread-priority", "lib/server/audit", "lib/server/errors", "lib/server/promise-cache", "lib/server/log"] },
  { name: "parsers", modules: ["lib/server/parsers"] },
  { name: "correlate", modules: ["lib/server/correlate"] },
  { name: "detectors", modules: ["lib/server/detectors"] },
  { name: "analysis", modules: ["lib/server/analysis"] },
  { name: "draft", modules: ["lib/server/draft"] },
  { name: "persistence", modules: ["lib/server/db", "lib/server/storage", "lib/server/bundle"] },
  { name: "pipeline", modules: ["lib/server/pipeline"] },
  { name: "access", modules: ["lib/server/auth", "lib/server/http"] },
  { name: "page-cache", modules: ["lib/server/page-cache"] },
  { name: "views", modules: ["lib/server/views"] },
  { name: "jobs", modules: ["lib/server/jobs"] },
  { name: "services", modules: ["lib/server/services"] },
  { name: "entry", modules: ["lib/server/boot", "lib/server/cli", "lib/server/sample"] },
  // The top: app/ (pages, route handlers) and the root hooks Next.js loads; may import everything.
  { name: "app", modules: ["app", "proxy", "instrumentation", "instrumentation-client"] },
];
/** Never imported by application code: client components are reached from app/ only; scripts and tests sit outside. */
const OUTSIDE = ["components", "scripts", "tests"];
const SOURCES = "{ts,tsx,mts,mjs,js}";

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** "lib/server/views" → views, server/views, lib/server/views: what a relative path may name after its `../`s. */
const suffixes = (module) => module.split("/").map((_, i, parts) => parts.slice(i).join("/"));
const filesOf = (module) => [`${module}.${SOURCES}`, `${module}/**/*.${SOURCES}`];

/**
 * no-restricted-imports (static imports and re-exports) and no-restricted-syntax (dynamic
 * `import("…")` with a literal path, which no-restricted-imports does not see) for a list of
 * forbidden modules, written as `@/` aliases or as relative paths that climb out of a folder
 * (`../views/warm` from lib/server/pipeline).
 */
function forbid(modules, message, { allowTypeImports = false, syntax = [] } = {}) {
  const alias = `^@/(?:${modules.map(escape).join("|")})(?:[/.]|$)`;
  const named = [...new Set(modules.flatMap(suffixes))];
  const relative = `^(?:\\.\\./)+(?:${named.map(escape).join("|")})(?:[/.]|$)`;
  // esquery regexes cannot contain "/": spell it \u002F.
  const literal = (re) => re.replace(/\//g, "\\u002F");
  return {
    "no-restricted-imports": [
      "error",
      {
        patterns: [
          { regex: alias, message, allowTypeImports },
          { regex: relative, message: `${message} (relative path)`, allowTypeImports },
        ],
      },
    ],
    "no-restricted-syntax": [
      "error",
      { selector: `ImportExpression[source.value=/${literal(alias)}/]`, message },
      { selector: `ImportExpression[source.value=/${literal(relative)}/]`, message: `${message} (relative path)` },
      ...syntax,
    ],
  };
}

/**
 * Services throw domain errors (lib/server/errors.ts), never HTTP statuses: only lib/server/http
 * (the one error mapper, responses) and route handlers speak HTTP. A config block's
 * no-restricted-syntax replaces an earlier one's for the same file, so the layer blocks below
 * carry these selectors too.
 */
const DOMAIN_ERRORS = [
  {
    selector: "ImportDeclaration[source.value=/(^|\\/)http\\/errors$/]",
    message: "Throw a domain error from lib/server/errors.ts; lib/server/http/errors.ts maps it to a status for route handlers.",
  },
  {
    selector: "NewExpression[callee.name=/Error$/] > Literal[raw=/^[45][0-9][0-9]$/]",
    message: "Errors carry no HTTP status: throw a domain error (lib/server/errors.ts) and map it in lib/server/http/errors.ts.",
  },
  { selector: "NewExpression[callee.name='Response'], CallExpression[callee.object.name='Response']", message: "Only route handlers and lib/server/http build HTTP responses." },
];
const SPEAKS_HTTP = ["lib/server/http"];

/** One block per module of every layer but the top: the layers after it are forbidden. */
const layerRules = LAYERS.slice(0, -1).flatMap((layer, i) => {
  const higher = LAYERS.slice(i + 1);
  const message = `Layer order (docs/ARCHITECTURE.md "Layers"): ${layer.name} may not import ${higher.map((l) => l.name).join(", ")}, ${OUTSIDE.join(", ")}.`;
  return layer.modules.map((module) => ({
    files: filesOf(module),
    rules: forbid([...higher.flatMap((l) => l.modules), ...OUTSIDE], message, { syntax: SPEAKS_HTTP.includes(module) ? [] : DOMAIN_ERRORS }),
  }));
});

const config = [
  ...nextVitals,
  ...nextTs,
  {
    ignores: [".next/**", "node_modules/**", "lib/server/db/generated/**", "data/**", "test-results/**", "playwright-report/**", "next-env.d.ts", "tmp/**", ".tmp-*"],
  },
  {
    rules: {
      // React Compiler guidance, not a correctness rule: fetch-on-filter-change effects set a loading flag.
      "react-hooks/set-state-in-effect": "warn",
    },
  },
  {
    // `module` is an ordinary local name outside Next pages (iptables match modules).
    files: ["lib/server/**/*.ts", "tests/**/*.ts"],
    rules: { "@next/next/no-assign-module-variable": "off" },
  },
  {
    // Diagnostics go through the process's log (lib/server/log.ts: pino on stderr); what a CLI tells
    // its user is written to process.stdout / process.stderr.
    files: ["lib/**/*.ts"],
    rules: { "no-console": "error" },
  },
  {
    // Components are client-side code: they never import server modules (types are fine), nor pages.
    files: [`components/**/*.${SOURCES}`],
    rules: forbid(["lib/server", "app", "scripts", "tests"], "Client components must not import server code (lib/server), app/, scripts or tests.", { allowTypeImports: true }),
  },
  {
    // Domain errors in lib/ (see DOMAIN_ERRORS) — for a file of lib/ no layer claims yet; the layer
    // blocks after this one repeat the selectors next to their own.
    files: ["lib/**/*.ts"],
    ignores: SPEAKS_HTTP.map((m) => `${m}/**`),
    rules: { "no-restricted-syntax": ["error", ...DOMAIN_ERRORS] },
  },
  ...layerRules,
  {
    // Pages and route handlers call services; the database is reached through lib/server only.
    files: ["app/**/*.{ts,tsx}"],
    rules: {
      "no-restricted-syntax": [
        "error",
        { selector: "ImportDeclaration[source.value=/^@\\/lib\\/server\\/db\\//]", message: "Call a service (lib/server/services) instead of querying the database from app/." },
      ],
    },
  },
];
export default config;
