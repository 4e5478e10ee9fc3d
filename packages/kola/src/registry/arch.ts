/**
 * Architectures have two spellings in the wild: Go/Flatcar boards (`amd64`, `arm64`) and
 * uname/qemu (`x86_64`, `aarch64`). Tests and flags may use either; kola compares the Go names.
 */
const ALIASES: Record<string, string> = {
  x86_64: 'amd64',
  x64: 'amd64',
  'amd64-usr': 'amd64',
  amd64: 'amd64',
  aarch64: 'arm64',
  'arm64-usr': 'arm64',
  arm64: 'arm64',
};

/** The canonical (Go) name of an architecture, e.g. `x86_64` → `amd64`; unknown names pass through. */
export function normalizeGoArch(arch: string): string {
  return ALIASES[arch.toLowerCase()] ?? arch.toLowerCase();
}

/** The architecture of the host kola runs on, in Go spelling. */
export function hostGoArch(): string {
  return normalizeGoArch(process.arch);
}
