// Operator-facing failures: each has a stable code that README.md's troubleshooting table explains.

export type StartupErrorCode = 'TW_CONFIG' | 'TW_UWS_NATIVE' | 'TW_LISTEN' | 'TW_WEB_DIR' | 'TW_TLS' | 'TW_INSTRUMENTS' | 'TW_SOURCE';

export class StartupError extends Error {
  override readonly name = 'StartupError';
  constructor(
    readonly code: StartupErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
