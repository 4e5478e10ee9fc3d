// kola's qemu platform: local virtual machines without root (see flight.ts).
export { createQemuFlight } from './flight.js';
export type { QemuArch, QemuFirmware, QemuFlightOptions, QemuReadiness } from './options.js';
export { probeKvm, type KvmProbeResult } from './accel.js';
export { mantleCacheDir } from './image.js';
