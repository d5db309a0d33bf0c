// Lint: Next's recommended rules (core web vitals + TypeScript) plus the house boundary rule.
// tests/unit/client-boundary.test.ts additionally follows imports transitively.
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

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
    // Components are client-side code: they never import server modules (types are fine).
    files: ["components/**/*.{ts,tsx}"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["@/lib/server/*", "**/lib/server/*"], allowTypeImports: true, message: "Client components must not import server code (lib/server)." }] },
      ],
    },
  },
  {
    // Services throw domain errors (lib/server/errors.ts), never HTTP statuses: only lib/server/http
    // (the one error mapper, responses) and route handlers speak HTTP. no-restricted-syntax rather
    // than no-restricted-imports, so this never replaces another block's import rules for lib/.
    files: ["lib/**/*.ts"],
    ignores: ["lib/server/http/**"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "ImportDeclaration[source.value=/(^|\\/)http\\/errors$/]",
          message: "Throw a domain error from lib/server/errors.ts; lib/server/http/errors.ts maps it to a status for route handlers.",
        },
        {
          selector: "NewExpression[callee.name=/Error$/] > Literal[raw=/^[45][0-9][0-9]$/]",
          message: "Errors carry no HTTP status: throw a domain error (lib/server/errors.ts) and map it in lib/server/http/errors.ts.",
        },
        { selector: "NewExpression[callee.name='Response'], CallExpression[callee.object.name='Response']", message: "Only route handlers and lib/server/http build HTTP responses." },
      ],
    },
  },
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
