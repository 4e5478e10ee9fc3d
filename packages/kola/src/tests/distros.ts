/**
 * The distros kola's generic built-in tests run on: mantle's tiny test image (the default image)
 * and Flatcar Container Linux (`cl`), which they were written to run on alike. The tests for the
 * systemd image say `distros: ['systemd']`; `kola run` picks the distro from the image (or -b).
 */
export const TINY_DISTROS: string[] = ['tiny', 'cl'];
