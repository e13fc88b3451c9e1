// Entry point: builds the dashboard state against the page's own origin, exposes the debug hook, and
// mounts the root component.
import { mount } from 'svelte';
import App from './App.svelte';
import { Dashboard } from './lib/dashboard.svelte.js';
import './app.css';
import './lib/debug.js';

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null; // storage disabled: the dashboard runs with defaults and forgets on reload
  }
}

const dashboard = new Dashboard({ baseUrl: location.origin, storage: storage(), search: location.search });

window.__tickwire = dashboard.debugHook();

const target = document.getElementById('app');
if (target === null) throw new Error('index.html has no #app element');
mount(App, { target, props: { dashboard } });
void dashboard.start();
