/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native and process-spawning packages stay outside the server bundle.
  serverExternalPackages: ["better-sqlite3", "pg", "pg-boss", "@prisma/adapter-better-sqlite3", "@prisma/adapter-pg", "tsx", "yauzl", "tar-stream", "busboy"],
  poweredByHeader: false,
  // `npm test` type-checks the whole project (tsc --noEmit, first step); repeating it inside
  // `next build` would make a type error in a test file stop `npm start`, and slow the first start.
  typescript: { ignoreBuildErrors: true },
  typedRoutes: false,
  devIndicators: false,
};
module.exports = nextConfig;
