/** @type {import('next').NextConfig} */
const nextConfig = {
  // PGlite ships WASM + data files it loads from its own package folder at run time,
  // and pg has optional native bindings: keep both out of the server bundle.
  serverExternalPackages: ["@electric-sql/pglite", "pg", "bcryptjs"],
  poweredByHeader: false,
  // The app's own files only: tests, benches and scripts are typechecked by `npm test` (tsc), not by every build.
  typescript: { tsconfigPath: "tsconfig.build.json" },
  // Lets a second build live beside the first (parallel local runs); the default is .next.
  distDir: process.env.SLIPWAY_NEXT_DIST || ".next",
};
export default nextConfig;
