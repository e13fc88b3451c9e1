// Adapter registry: protocol name → connect function.
import type { AdapterName } from '../config.js';
import { connectSocketIo } from './socketio.js';
import { connectTickwireLongPoll, connectTickwirePoll } from './tickwire-poll.js';
import { connectTickwireSse } from './tickwire-sse.js';
import { connectTickwireStream } from './tickwire-stream.js';
import { connectTickwireWs } from './tickwire-ws.js';
import type { Connect } from './types.js';
import { connectWsJson } from './ws-json.js';

export const ADAPTER_CONNECT: Readonly<Record<AdapterName, Connect>> = {
  'tickwire-ws': connectTickwireWs,
  'tickwire-sse': connectTickwireSse,
  'tickwire-stream': connectTickwireStream,
  'tickwire-longpoll': connectTickwireLongPoll,
  'tickwire-poll': connectTickwirePoll,
  socketio: connectSocketIo,
  'ws-json': connectWsJson,
  // The same-design peers speak the same protocols, with binary Tickwire frames for the ticks.
  'socketio-batch': connectSocketIo,
  'ws-batch': connectWsJson,
};
