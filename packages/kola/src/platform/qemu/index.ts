// kola's qemu platform: local virtual machines without root (see flight.ts).
export { createQemuFlight } from './flight.js';
export type { QemuFlightOptions } from './options.js';
export { mantleCacheDir } from './image.js';
