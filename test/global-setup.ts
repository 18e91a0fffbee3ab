// Runs once before the suites: builds the dashboard into dist/ui so the served page exists (as after `npm run build`).
import { buildUi } from '../scripts/build-ui.ts';

export default async function setup(): Promise<void> {
  await buildUi();
}
