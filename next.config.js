/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native and process-spawning packages stay outside the server bundle.
  serverExternalPackages: ["better-sqlite3", "pg", "pg-boss", "@prisma/adapter-better-sqlite3", "@prisma/adapter-pg", "tsx", "yauzl", "tar-stream", "busboy"],
  poweredByHeader: false,
  typedRoutes: false,
  devIndicators: false,
};
module.exports = nextConfig;
