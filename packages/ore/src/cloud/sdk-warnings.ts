/**
 * Turn off the AWS SDK's NodeVersionSupportWarning (a multi-line notice, printed on stderr by
 * every SDK client made under Node < 22, that future SDK releases will need Node 22) through the
 * SDK's own documented switch, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED. ore's stderr is
 * for its own log and errors; the notice is about the SDK's release plans, not about this run.
 * Only that one notice is affected (the SDK reads the variable for nothing else; other warnings
 * and errors still print), and a value the user set is kept.
 */
export function quietAwsSdkNodeNotice(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}
