export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  try {
    const { bootServer } = await import("./server/boot");
    await bootServer();
  } catch (err) {
    // If register() throws, Next keeps running and answers 500 to everything: fail loudly instead.
    console.error(`[slipway] cannot start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
