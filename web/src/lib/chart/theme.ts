// Colours shared by the charts (canvas, so they cannot read CSS) and mirrored by the CSS variables in
// app.css. Up/down use the same teal/red everywhere: watchlist, tape, candles, volume.
import type { Theme } from '../settings.js';

export interface Palette {
  background: string;
  text: string;
  grid: string;
  border: string;
  crosshair: string;
  up: string;
  down: string;
  upVolume: string;
  downVolume: string;
}

export const PALETTES: Readonly<Record<Theme, Palette>> = {
  dark: {
    background: '#0f1318',
    text: '#8b96a5',
    grid: '#1a2029',
    border: '#232b36',
    crosshair: '#5d6b7e',
    up: '#26a69a',
    down: '#ef5350',
    upVolume: 'rgba(38, 166, 154, 0.45)',
    downVolume: 'rgba(239, 83, 80, 0.45)',
  },
  light: {
    background: '#ffffff',
    text: '#5b6472',
    grid: '#eef1f4',
    border: '#dde2e8',
    crosshair: '#9aa5b4',
    up: '#089981',
    down: '#e03c3a',
    upVolume: 'rgba(8, 153, 129, 0.4)',
    downVolume: 'rgba(224, 60, 58, 0.4)',
  },
};
