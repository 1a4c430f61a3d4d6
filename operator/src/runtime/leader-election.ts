// Lease-based leader election (coordination.k8s.io/v1), written here because client-node has no leader
// elector. It follows client-go's: a candidate takes the Lease when it is free or when the holder has
// not renewed it for leaseDuration — measured on OUR clock from when we last saw the record change, so
// clocks need not agree; the leader renews every retryPeriod and gives up (stops reconciling) when it
// could not renew within renewDeadline; every write carries the resourceVersion it read, so two
// candidates never both win. Releasing (on SIGTERM) empties holderIdentity so a standby takes over at once.
import { setTimeout as sleep } from "node:timers/promises";
import { type CoordinationV1Api, type V1Lease, V1MicroTime } from "@kubernetes/client-node";
import { isConflict, isNotFound } from "./kube.ts";
import type { Logger } from "./logger.ts";

/** Which Lease, who campaigns for it, and client-go's three timings (the operator's configuration). */
export interface LeaseSettings {
  name: string;
  namespace: string;
  identity: string;
  durationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export interface LeaderElectionOptions extends LeaseSettings {
  api: CoordinationV1Api;
  logger: Logger;
  onStartedLeading: () => Promise<void> | void;
  /** Called when leadership is lost or released; the caller stops reconciling. */
  onStoppedLeading: () => Promise<void> | void;
}

export interface LeaderElector {
  /** Campaigns until stop(); leadership may be won and lost several times. */
  run(): Promise<void>;
  readonly isLeader: boolean;
  /** Stops campaigning; if leading, calls onStoppedLeading, then releases the Lease. */
  stop(): Promise<void>;
}

export function createLeaderElector(options: LeaderElectionOptions): LeaderElector {
  const { api, name, namespace, identity, logger } = options;
  const log = logger.child({ lease: `${namespace}/${name}`, identity });
  let leading = false;
  let stopping = false;
  let observed: { record: string; at: number } | undefined;
  const wake = new AbortController();

  const leaseSpec = (now: V1MicroTime, acquireTime: V1MicroTime | undefined, transitions: number) => ({
    holderIdentity: identity,
    leaseDurationSeconds: Math.ceil(options.durationMs / 1000),
    acquireTime,
    renewTime: now,
    leaseTransitions: transitions,
  });

  /** One attempt to acquire or renew; true when we hold the Lease afterwards. */
  async function tryAcquireOrRenew(): Promise<boolean> {
    // V1MicroTime: Lease times are MicroTime (6 fractional digits); a plain Date is refused with 400.
    const now = new V1MicroTime();
    let lease: V1Lease;
    try {
      lease = await api.readNamespacedLease({ name, namespace });
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec: leaseSpec(now, now, 0) } });
      return true;
    }
    const spec = lease.spec ?? {};
    const record = `${spec.holderIdentity}|${spec.renewTime?.toISOString?.() ?? spec.renewTime}`;
    if (observed?.record !== record) observed = { record, at: Date.now() };
    const held = Boolean(spec.holderIdentity) && spec.holderIdentity !== identity;
    const durationMs = (spec.leaseDurationSeconds ?? options.durationMs / 1000) * 1000;
    if (held && Date.now() < observed.at + durationMs) return false;
    const ours = spec.holderIdentity === identity;
    const body: V1Lease = {
      ...lease,
      spec: leaseSpec(
        now,
        ours && spec.acquireTime ? new V1MicroTime(spec.acquireTime) : now,
        (spec.leaseTransitions ?? 0) + (ours ? 0 : 1),
      ),
    };
    try {
      await api.replaceNamespacedLease({ name, namespace, body });
    } catch (error) {
      if (isConflict(error)) return false; // another candidate wrote first; read again next round
      throw error;
    }
    return true;
  }

  async function attempt(): Promise<boolean> {
    try {
      return await tryAcquireOrRenew();
    } catch (error) {
      log.warn({ err: error }, "leader election: could not read or write the Lease");
      return false;
    }
  }

  async function pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: wake.signal }).catch(() => undefined);
  }

  return {
    get isLeader() {
      return leading;
    },
    async run() {
      while (!stopping) {
        // Candidate: try every retryPeriod until we hold the Lease.
        if (!(await attempt())) {
          await pause(options.retryPeriodMs);
          continue;
        }
        if (stopping) break;
        leading = true;
        log.info("became leader");
        await options.onStartedLeading();
        // Leader: renew every retryPeriod; a renewal that cannot succeed within renewDeadline ends the term.
        let lastRenew = Date.now();
        while (!stopping) {
          await pause(options.retryPeriodMs);
          if (stopping) break;
          if (await attempt()) lastRenew = Date.now();
          else if (Date.now() - lastRenew > options.renewDeadlineMs) {
            log.warn("lost the Lease (not renewed within the renew deadline); stopping reconciles");
            leading = false;
            await options.onStoppedLeading();
            break;
          }
        }
      }
    },
    async stop() {
      stopping = true;
      wake.abort();
      if (!leading) return;
      await options.onStoppedLeading();
      leading = false;
      // Release only after reconciles stopped, so two leaders never act at once.
      try {
        const lease = await api.readNamespacedLease({ name, namespace });
        if (lease.spec?.holderIdentity === identity) {
          await api.replaceNamespacedLease({
            name,
            namespace,
            body: {
              ...lease,
              spec: {
                ...lease.spec,
                holderIdentity: undefined,
                leaseDurationSeconds: 1,
                renewTime: new V1MicroTime(),
                acquireTime: lease.spec.acquireTime ? new V1MicroTime(lease.spec.acquireTime) : undefined,
              },
            },
          });
          log.info("released the Lease");
        }
      } catch (error) {
        log.warn({ err: error }, "could not release the Lease; a standby takes over when it expires");
      }
    },
  };
}
