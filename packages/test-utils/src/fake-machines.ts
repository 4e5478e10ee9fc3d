// What the local cloud API servers (fake-aws's EC2 instances, fake-gce's instances) put behind an
// instance: a backend the test supplies. kola's cloud tests boot a real qemu machine with the user
// data the API received and report its forwarded SSH port; without a backend an instance runs at
// once with no machine behind it. The servers track every start/stop under way so a test can
// wait for them (settle) before asserting that nothing is left.

/** An instance as a backend sees it, whichever cloud API made it. */
export interface FakeMachine {
  /** the cloud's id (EC2 instance id, GCE instance name) */
  id: string;
  /** the user data as the API received it (decoded) */
  userData: string;
}

/** What runs behind an instance: start resolves with its addresses once it is "running". */
export interface FakeMachineBackend {
  start(m: FakeMachine): Promise<{ publicIp: string; privateIp: string; tags?: Record<string, string> }>;
  console?(m: FakeMachine): Promise<string>;
  stop(m: FakeMachine): Promise<void>;
}

/** Tracks backend starts and stops under way; settle() waits until none is left. */
export function pendingWork(): { track: (p: Promise<unknown>) => void; settle: () => Promise<void> } {
  const pending = new Set<Promise<unknown>>();
  return {
    track: (p) => {
      const q = p.catch(() => undefined).finally(() => pending.delete(q));
      pending.add(q);
    },
    settle: async () => {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
