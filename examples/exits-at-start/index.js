// exits-at-start: a service that fails at once (prints an error to stderr and exits 1), to test
// crash-loop detection and the "it printed: …" hints. No dependencies.
console.error("fatal: DATABASE_URL is not set; cannot start (this example always exits 1)");
process.exit(1);
