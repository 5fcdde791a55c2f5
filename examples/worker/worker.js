// worker: a background service with no port. Prints a tick line every second; on SIGTERM it stops
// ticking, says so, and exits 0. No dependencies.
import { clearInterval, setInterval } from "node:timers";

let ticks = 0;
console.log("worker started");
const timer = setInterval(() => {
  ticks += 1;
  console.log(`tick ${ticks}`);
}, 1000);

process.once("SIGTERM", () => {
  clearInterval(timer);
  console.log(`SIGTERM: stopping after ${ticks} ticks`);
  process.exit(0);
});
