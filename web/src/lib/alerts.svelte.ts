// The price alerts' user side: adding and deleting them (saved with the settings), and delivering a firing
// as an in-page toast and, when the user allowed it, a browser notification. Evaluation happens in the
// market store on every trade (market/alerts.ts); this class only hears about what fired.
import { describeAlert, newAlert, type AlertChanges, type AlertOp, type PriceAlert } from './market/alerts.js';

/** Toasts on screen at once (one per alert: a repeating alert updates its own); older ones give way. */
const MAX_TOASTS = 4;

export interface AlertToast {
  id: number;
  alertId: string;
  text: string;
  op: AlertOp;
  repeat: boolean;
  /** Times this alert fired while its toast was up. */
  count: number;
}

/** What the alerts need of the dashboard. */
export interface AlertHost {
  alerts(): readonly PriceAlert[];
  /** Saves the list; `reload`: the store evaluates the new list (an alert was added or deleted). */
  save(alerts: PriceAlert[], reload: boolean): void;
  /** Current price in price units (NaN unknown). */
  lastPrice(symbol: string): number;
  /** A price in the symbol's own format ("1,234.50"). */
  formatPrice(symbol: string, price: number): string;
}

export class AlertCenter {
  toasts: AlertToast[] = $state.raw([]);
  private toastId = 0;

  constructor(private readonly host: AlertHost) {}

  /** Adds an alert (from the form: a user gesture, so the notification permission may be asked here). */
  add(symbol: string, op: AlertOp, price: number, repeat: boolean): PriceAlert {
    const alert = newAlert(symbol, op, price, repeat, this.host.lastPrice(symbol));
    this.host.save([...this.host.alerts(), alert], true);
    askNotificationPermission();
    return alert;
  }

  remove(id: string): void {
    this.host.save(
      this.host.alerts().filter((a) => a.id !== id),
      true,
    );
    this.toasts = this.toasts.filter((t) => t.alertId !== id);
  }

  /** "BTCUSD above 65,193.585" */
  describe(a: PriceAlert): string {
    return describeAlert(a, this.host.formatPrice(a.symbol, a.price));
  }

  dismiss(toastId: number): void {
    this.toasts = this.toasts.filter((t) => t.id !== toastId);
  }

  /** The store evaluated a trade: save the new states, announce what fired. */
  readonly onChanges = (changes: AlertChanges): void => {
    const byId = new Map(changes.changed.map((a) => [a.id, a]));
    this.host.save(
      this.host.alerts().map((a) => byId.get(a.id) ?? a),
      false,
    );
    if (changes.fired.length === 0) return;
    let toasts = this.toasts;
    for (const a of changes.fired) {
      const text = `${this.describe(a)}: now ${this.host.formatPrice(a.symbol, this.host.lastPrice(a.symbol))}`;
      notify(`Price alert: ${a.symbol}`, text, a.id);
      const count = (toasts.find((t) => t.alertId === a.id)?.count ?? 0) + 1;
      toasts = [...toasts.filter((t) => t.alertId !== a.id), { id: ++this.toastId, alertId: a.id, text, op: a.op, repeat: a.repeat, count }];
    }
    this.toasts = toasts.slice(-MAX_TOASTS);
  };
}

/** Asks once, and only from a user gesture (browsers ignore or penalise unprompted requests). */
function askNotificationPermission(): void {
  if (typeof Notification === 'undefined' || Notification.permission !== 'default') return;
  Notification.requestPermission().catch(() => undefined);
}

function notify(title: string, body: string, tag: string): void {
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  try {
    new Notification(title, { body, tag });
  } catch {
    // Some browsers only allow notifications from a service worker: the toast is enough.
  }
}
