// Loads the native uWebSockets.js binary directly. The npm alias we install silently falls back to a slow
// pure-JS implementation when its binary fails to load; requiring the .node file ourselves makes that
// failure loud, and the native-code check catches an environment that forces the fallback.
import { createRequire } from 'node:module';
import type * as UwsTypes from 'uWebSockets.js';
import { StartupError } from './errors.js';

export type Uws = typeof UwsTypes;

const require = createRequire(import.meta.url);

export function binaryName(): string {
  return `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
}

function isNative(fn: unknown): boolean {
  return typeof fn === 'function' && /\{\s*\[native code\]\s*\}/.test(Function.prototype.toString.call(fn));
}

let loaded: Uws | undefined;

/**
 * The native uWS module, or a StartupError (TW_UWS_NATIVE) saying why it cannot load.
 * TICKWIRE_UWS_BINARY names another binary to load (exotic platforms; tests use it to prove the refusal).
 */
export function loadUws(): Uws {
  if (loaded) return loaded;
  const override = process.env.TICKWIRE_UWS_BINARY;
  const name = override ?? binaryName();
  let mod: Uws;
  try {
    mod = require(override ?? `uWebSockets.js/binaries/${name}`) as Uws;
  } catch (error) {
    throw new StartupError(
      'TW_UWS_NATIVE',
      `cannot load the native uWebSockets.js binary ${name} (${(error as Error).message.split('\n')[0]}). ` +
        `Tickwire needs Node.js 20 (ABI 115) on Linux/macOS/Windows x64 or arm64 with glibc >= 2.36; ` +
        `it refuses to run on the slow pure-JS fallback.`,
      { cause: error },
    );
  }
  if (!isNative(mod.App)) {
    throw new StartupError('TW_UWS_NATIVE', `uWebSockets.js loaded ${name} but App is not native code; refusing the JS fallback`);
  }
  loaded = mod;
  return mod;
}

/** True when the loaded uWS is the native binary (used by /healthz and the test that proves it). */
export function uwsIsNative(mod: Uws): boolean {
  return isNative(mod.App);
}
