// Writes the JSON and HTML reports (creating directories as needed).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LoadTestResult } from '../run.js';
import { renderHtml } from './html.js';

export async function writeReports(result: LoadTestResult, jsonPath: string | null, htmlPath: string | null): Promise<void> {
  if (jsonPath !== null) {
    await mkdir(dirname(jsonPath), { recursive: true });
    await writeFile(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
  }
  if (htmlPath !== null) {
    await mkdir(dirname(htmlPath), { recursive: true });
    await writeFile(htmlPath, renderHtml(result));
  }
}
