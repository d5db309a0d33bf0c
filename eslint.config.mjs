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
];
export default config;
