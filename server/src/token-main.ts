// Issues an access token for a server started with an auth secret:
//   TICKWIRE_AUTH_SECRET=… npm run token -- --sub alice --ttl 3600
// The secret comes from the environment only, so it never shows in the process list or shell history.
import { Command, InvalidArgumentError } from 'commander';
import { signToken } from './auth.js';

const program = new Command('tickwire-token')
  .description('print an HMAC-signed, expiring Tickwire access token (secret from TICKWIRE_AUTH_SECRET)')
  .requiredOption('--sub <subject>', 'who the token is for')
  .option(
    '--ttl <seconds>',
    'lifetime in seconds',
    (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 31_536_000) throw new InvalidArgumentError('expected 1..31536000');
      return n;
    },
    3600,
  )
  .parse();

const secret = process.env.TICKWIRE_AUTH_SECRET ?? '';
if (secret.length < 16) {
  process.stderr.write("tickwire-token: set TICKWIRE_AUTH_SECRET (at least 16 characters) to the server's secret\n");
  process.exit(78);
}
const { sub, ttl } = program.opts<{ sub: string; ttl: number }>();
process.stdout.write(`${signToken(secret, { sub, exp: Math.floor(Date.now() / 1000) + ttl })}\n`);
