/** A Next.js config object (`NextConfig` from 'next'), kept structural so `next` stays an optional peer. */
export interface NextConfigLike {
  serverExternalPackages?: string[]
  [key: string]: unknown
}

export type NextConfigFunction<C extends object = NextConfigLike> = (
  phase: string,
  context: { defaultConfig: any },
) => C | Promise<C>

/**
 * Adds next-auth-native to `serverExternalPackages` (so the addon is loaded by Node, not bundled;
 * this also covers proxy.ts and Node-runtime middleware). Works with a config object or function.
 */
export declare function withNextAuthNative<C extends object>(nextConfig: C): C
export declare function withNextAuthNative(): NextConfigLike
export default withNextAuthNative
