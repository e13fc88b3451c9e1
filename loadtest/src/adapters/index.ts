// Adapter registry: protocol name → connect function.
import type { AdapterName } from '../config.js';
import { connectSocketIo } from './socketio.js';
import { connectTickwireSse } from './tickwire-sse.js';
import { connectTickwireWs } from './tickwire-ws.js';
import type { Connect } from './types.js';
import { connectWsJson } from './ws-json.js';

export const ADAPTER_CONNECT: Readonly<Record<AdapterName, Connect>> = {
  'tickwire-ws': connectTickwireWs,
  'tickwire-sse': connectTickwireSse,
  socketio: connectSocketIo,
  'ws-json': connectWsJson,
};
