export async function register() {
  // The console's boot (database, keys, engine) runs in the Node.js server only, never on the edge.
  if (process.env.NEXT_RUNTIME === "nodejs") await (await import("./server/boot")).bootOrExit();
}
