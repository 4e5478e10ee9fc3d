/**
 * Test flags (mantle's register.Flag), spelled in kebab-case:
 * - no-ssh-key-in-userdata: the platform must not add kola's SSH key to the test's user data
 * - no-kernel-panic-check: the post-test console check ignores kernel panics
 * - no-emergency-shell-check: the post-test console check ignores emergency shells
 * - no-console-check: no post-test console check at all
 */
export const TEST_FLAGS = [
  'no-ssh-key-in-userdata',
  'no-kernel-panic-check',
  'no-emergency-shell-check',
  'no-console-check',
] as const;

export type TestFlag = (typeof TEST_FLAGS)[number];
