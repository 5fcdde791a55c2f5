import "server-only";
import { EventEmitter } from "node:events";

export type BusEvents = {
  /** A deployment got a new event row (or changed status). */
  deployment: { deploymentId: string; environmentId: string };
  /** A service's observed state changed. */
  service: { serviceId: string; environmentId: string | null };
  /** New log lines were stored for a service. */
  logs: { serviceId: string };
  /** New work is queued. */
  queued: { environmentId: string };
  /** The metrics sampler stored a tick (time in ms): live charts re-read. */
  metrics: { at: number };
  /**
   * Notifications may have been lost (the PostgreSQL event bridge was disconnected, here or in the
   * console that published them): every live view re-reads from the last id it delivered.
   */
  resync: { reason: string };
  /** Who may do what in an organization changed (a token revoked, a member removed or given another role): open streams check again. */
  access: { orgId: string };
};

/**
 * One process-wide bus (a globalThis singleton: Next's bundles do not share modules). Subscribers
 * re-read rows from the database by id, so the bus carries only pointers, never data to trust.
 */
class Bus {
  private emitter = new EventEmitter().setMaxListeners(0);
  private remote: ((name: keyof BusEvents, payload: BusEvents[keyof BusEvents]) => void) | null = null;
  emit<K extends keyof BusEvents>(name: K, payload: BusEvents[K]) {
    this.emitter.emit(name, payload);
    this.remote?.(name, payload);
  }
  /** Delivers an event that another console process published (never forwarded again). */
  emitLocal<K extends keyof BusEvents>(name: K, payload: BusEvents[K]) {
    this.emitter.emit(name, payload);
  }
  /** With several console processes on one PostgreSQL, every event is also published to the others. */
  setRemote(publish: ((name: keyof BusEvents, payload: BusEvents[keyof BusEvents]) => void) | null) {
    this.remote = publish;
  }
  on<K extends keyof BusEvents>(name: K, fn: (p: BusEvents[K]) => void): () => void {
    this.emitter.on(name, fn);
    return () => this.emitter.off(name, fn);
  }
}

const g = globalThis as typeof globalThis & { __slipwayBus?: Bus };
export const bus: Bus = (g.__slipwayBus ??= new Bus());
